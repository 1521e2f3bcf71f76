/**
 * A progress bar on stderr over the whole run, drawn only when both stderr
 * and stdout are terminals: never in CI logs, never into a pipe. It shows
 * which scenario runs (i/n), how far the run is, the reply rate now, and the
 * time left by the plan (each scenario's warm-up and window; connecting and
 * draining take a moment more). Between scenarios it is taken off the screen
 * so that the finished row can be printed in its place; at the end it leaves
 * one line saying how far the run went and how long it took.
 */
import cliProgress from 'cli-progress';
import type { ProgramIo } from '../cli/program.js';
import { fmtInt } from '../stats/report.js';
import { type Scenario, sizesOf } from '../report/scenario.js';

export interface Progress {
  /** Scenario `i` (from 0) starts. */
  begin(i: number): void;
  /** Replies so far in the current scenario. */
  update(replies: number): void;
  /** The current scenario is over: the bar leaves the screen (its row is printed next). */
  end(): void;
  /** The run is over (`stoppedBy`: what ended it early, if anything): leave a final line. */
  finish(stoppedBy: string | null): void;
}

const silent: Progress = { begin() {}, update() {}, end() {}, finish() {} };

const BAR_SIZE = 30;

/** `75 s`, `2 min 05 s`. */
export function fmtSeconds(s: number): string {
  const whole = Math.max(0, Math.round(s));
  return whole < 60 ? `${whole} s` : `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

/** The bar, drawn on `io.stderr` when `enabled` and both of `io`'s streams are terminals. */
export function createProgress(enabled: boolean, scenarios: readonly Scenario[], ascii: boolean, io: ProgramIo): Progress {
  if (!enabled || io.stderr.isTTY !== true || io.stdout.isTTY !== true) return silent;
  const [full, empty] = ascii ? ['=', '-'] : ['█', '░'];
  const planned = scenarios.map((s) => s.warmupS + s.durationS);
  const total = planned.reduce((a, b) => a + b, 0);
  const bar = new cliProgress.SingleBar({
    stream: io.stderr as NodeJS.WritableStream,
    format: '{label} |{bar}| {percentage}%  {rate} msg/s  {left} left',
    barsize: BAR_SIZE,
    barCompleteChar: full,
    barIncompleteChar: empty,
    hideCursor: true,
    clearOnComplete: true,
    fps: 5,
  });
  const runStart = performance.now();
  let current = -1;
  let before = 0;
  let started = 0;
  let lastAt = 0;
  let lastReplies = 0;
  let rate = '-';
  /** Where the last scenario to end left the run, in planned seconds. */
  let reached = 0;
  const position = () => before + Math.min((performance.now() - started) / 1000, planned[current]);
  const sized = sizesOf(scenarios).length > 1;
  const label = (i: number) => {
    const s = scenarios[i];
    return `scenario ${i + 1}/${scenarios.length} ${s.connections}c x${s.pipeline} ${s.rate === null ? 'closed' : `${fmtInt(s.rate)}/s`}${sized ? ` ${fmtInt(s.size)} B` : ''}`;
  };
  const payload = () => ({ label: label(current), rate, left: fmtSeconds(total - position()) });
  return {
    begin(i) {
      current = i;
      before = planned.slice(0, i).reduce((a, b) => a + b, 0);
      started = lastAt = performance.now();
      lastReplies = 0;
      rate = '-';
      bar.start(total, before, payload());
    },
    update(replies) {
      const now = performance.now();
      // Rate over the last second or so, not since the start, so that it shows what is happening now.
      if (now - lastAt >= 1000) {
        rate = fmtInt(((replies - lastReplies) * 1000) / (now - lastAt));
        lastAt = now;
        lastReplies = replies;
      }
      bar.update(position(), payload());
    },
    end() {
      reached = position();
      bar.stop();
    },
    finish(stoppedBy) {
      bar.stop();
      const filled = Math.round((reached / total) * BAR_SIZE);
      const took = fmtSeconds((performance.now() - runStart) / 1000);
      const how = stoppedBy === null ? `done in ${took}` : `${stoppedBy} after ${took}`;
      io.stderr.write(`${current + 1}/${scenarios.length} scenarios |${full.repeat(filled)}${empty.repeat(BAR_SIZE - filled)}| ${Math.floor((reached / total) * 100)}%  ${how}\n`);
    },
  };
}
