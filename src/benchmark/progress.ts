/**
 * A progress bar on stderr while scenarios run, drawn only when both stderr
 * and stdout are terminals: never in CI logs, never into a pipe.
 */
import cliProgress from 'cli-progress';
import { fmtInt } from '../stats/report.js';

export interface Progress {
  /** A scenario starts: its label and its length in seconds (warm-up included). */
  begin(label: string, seconds: number): void;
  /** Replies so far in this scenario. */
  update(replies: number): void;
  end(): void;
}

const silent: Progress = { begin() {}, update() {}, end() {} };

export function createProgress(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY || !process.stdout.isTTY) return silent;
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: '{label} |{bar}| {value}/{total} s  {rate} msg/s',
    barsize: 30,
    hideCursor: true,
    clearOnComplete: true,
    fps: 5,
  });
  let started = 0;
  let lastAt = 0;
  let lastReplies = 0;
  return {
    begin(label, seconds) {
      started = lastAt = performance.now();
      lastReplies = 0;
      bar.start(Math.ceil(seconds), 0, { label, rate: '-' });
    },
    update(replies) {
      const now = performance.now();
      // Rate over the last second or so, not since the start, so that it shows what is happening now.
      if (now - lastAt < 1000) return bar.update(Math.floor((now - started) / 1000));
      const rate = ((replies - lastReplies) * 1000) / (now - lastAt);
      lastAt = now;
      lastReplies = replies;
      bar.update(Math.floor((now - started) / 1000), { rate: fmtInt(rate) });
    },
    end() {
      bar.stop();
    },
  };
}
