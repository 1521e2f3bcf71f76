/**
 * Interval histograms, live lines and `--hlog`, through the real programs
 * against the real server: the intervals add up to the run's total, one
 * live line per interval appears on stderr, and HdrHistogram's own Java
 * tool reads the log and finds our counts and percentiles.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { type RunningServer, runBin, startServer, tempDir } from './helpers.js';
import { javaFigures, javaTool, readIntervals, sameBucket } from './hlog-helpers.js';

/** `rtt     0.4 s   33,405 msg/s  p50 25.09  p99 47.74  p99.9 1125.4  max 12166 us  errors 0` */
const LIVE_LINE = /^(\S+)\s+([\d.]+) s\s+([\d,]+) msg\/s\s+(?:p50 [\d.]+\s+p99 [\d.]+\s+p99\.9 [\d.]+\s+max [\d.]+ us|no replies)\s+errors (\d+)$/;

function liveLines(stderr: string): RegExpExecArray[] {
  return stderr
    .split('\n')
    .map((l) => LIVE_LINE.exec(l))
    .filter((m) => m !== null);
}

const java = javaTool();

describe('client', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--port', '0']);
  });
  after(async () => {
    await server.stop();
  });

  it('--interval 0.2: live lines on stderr, with every field; the --hlog intervals add up to the measured count', async () => {
    const log = join(tempDir(), 'rtt.hlog');
    const r = await runBin('client', ['--port', String(server.port), '--duration', '1', '--warmup', '100', '--interval', '0.2', '--hlog', log, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const lines = liveLines(r.stderr);
    assert.ok(lines.length >= 1, `no live line in:\n${r.stderr}`);
    for (const m of lines) assert.equal(m[1], 'rtt');
    const counts = readIntervals(log, 'rtt');
    assert.ok(counts.length >= 2, `intervals: ${counts.join(', ')}`);
    assert.equal(counts.length, lines.length, 'one live line per logged interval');
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      j.received - j.warmup,
    );
  });

  it('without --interval and with stderr not a terminal: no live lines', async () => {
    const r = await runBin('client', ['--port', String(server.port), '--count', '2000', '--warmup', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(liveLines(r.stderr).length, 0, r.stderr);
  });

  it('--rate: rtt and rtt-uncorrected, each adding up to the measured count', async () => {
    const log = join(tempDir(), 'open.hlog');
    const r = await runBin('client', ['--port', String(server.port), '--count', '600', '--warmup', '10', '--rate', '2000', '--interval', '0.1', '--hlog', log, '--json']);
    assert.equal(r.code, 0, r.stderr);
    for (const tag of ['rtt', 'rtt-uncorrected']) {
      const counts = readIntervals(log, tag);
      assert.ok(counts.length >= 2, `${tag}: ${counts.join(', ')}`);
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        600,
        tag,
      );
    }
  });

  it('--json carries the histograms, whole run and intervals, encoded: they decode to the measured count', async () => {
    const r = await runBin('client', ['--port', String(server.port), '--count', '600', '--warmup', '10', '--rate', '2000', '--interval', '0.1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const h = j.histograms;
    assert.ok(h, 'histograms in the JSON report');
    for (const key of ['latency', 'uncorrected'] as const) {
      assert.equal(decodeFromCompressedBase64(h[key], 32, false).totalCount, 600, key);
      const sum = h.intervals.reduce((a: number, iv: Record<string, string>) => a + decodeFromCompressedBase64(iv[key], 32, false).totalCount, 0);
      assert.equal(sum, 600, `${key}: the intervals add up to the run`);
    }
    assert.ok(h.intervals.length >= 2, `${h.intervals.length} intervals`);
  });

  it("HdrHistogram's HistogramLogProcessor reads --hlog: same count, p50 and p99 as the JSON report", async (t) => {
    if ('skip' in java) {
      t.skip(java.skip);
      return;
    }
    const dir = tempDir();
    const log = join(dir, 'rtt.hlog');
    const r = await runBin('client', ['--port', String(server.port), '--count', '5000', '--warmup', '100', '--interval', '0.1', '--hlog', log, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const f = javaFigures(java.jar, log, 'rtt', dir);
    assert.equal(f.count, 5000);
    assert.ok(sameBucket(j.latencyUs.p50, f.p50), `p50: ours ${j.latencyUs.p50}, Java's ${f.p50}`);
    assert.ok(sameBucket(j.latencyUs.p99, f.p99), `p99: ours ${j.latencyUs.p99}, Java's ${f.p99}`);
  });
});

describe('benchmark', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--port', '0']);
  });
  after(async () => {
    await server.stop();
  });

  const SHORT = ['--warmup', '0.1', '--duration', '0.6', '--interval', '0.2'];

  /** Run the benchmark with `args`, --hlog into a fresh directory and --json; its report, stderr and log. */
  async function bench(args: string[]) {
    const dir = tempDir();
    const log = join(dir, 'run.hlog');
    const r = await runBin('benchmark', ['--port', String(server.port), ...SHORT, ...args, '--hlog', log, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return { dir, log, report: JSON.parse(r.stdout), stderr: r.stderr };
  }

  it("two scenarios: a tag each, intervals adding up to each scenario's count; live lines for both", async () => {
    const { log, report, stderr } = await bench(['--connections', '1,2']);
    const tags = ['c1-p1-closed', 'c2-p1-closed'];
    for (const [i, tag] of tags.entries()) {
      const counts = readIntervals(log, tag);
      assert.ok(counts.length >= 2, `${tag}: ${counts.join(', ')}`);
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        report.scenarios[i].messages,
        tag,
      );
      const lines = liveLines(stderr).filter((m) => m[1] === tag);
      assert.equal(lines.length, counts.length, `one live line per interval of ${tag}:\n${stderr}`);
    }
  });

  it('--json carries the histograms: the whole window and each interval, encoded; they decode to the reported counts and percentiles', async () => {
    for (const args of [
      ['--connections', '2', '--threads', '2'],
      ['--connections', '2', '--rate', '2000'],
    ]) {
      const { report } = await bench(args);
      const s = report.scenarios[0];
      const h = s.histograms;
      assert.ok(h, 'histograms in the JSON report');
      const total = decodeFromCompressedBase64(h.latency, 32, false);
      assert.equal(total.totalCount, s.messages);
      assert.equal(Math.round(total.getValueAtPercentile(50)) / 1000, s.latencyUs.p50);
      assert.ok(h.intervals.length >= 2, `${h.intervals.length} intervals`);
      let sum = 0;
      for (const iv of h.intervals) {
        assert.ok(iv.endMs >= iv.startMs);
        sum += decodeFromCompressedBase64(iv.latency, 32, false).totalCount;
      }
      assert.equal(sum, s.messages, 'the intervals add up to the window');
      if (args.includes('--rate')) {
        assert.equal(decodeFromCompressedBase64(h.uncorrected, 32, false).totalCount, s.messages);
        assert.ok(h.intervals.every((iv: { uncorrected: string | null }) => iv.uncorrected !== null));
      } else {
        assert.equal(h.uncorrected, null);
      }
    }
  });

  it("--threads 2: the threads' intervals merged add up to the total", async () => {
    const { log, report } = await bench(['--connections', '4', '--threads', '2']);
    const counts = readIntervals(log, 'c4-p1-closed');
    assert.ok(counts.length >= 2, counts.join(', '));
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      report.scenarios[0].messages,
    );
  });

  it('open loop: corrected and uncorrected tags, each adding up to the count', async () => {
    const { log, report } = await bench(['--connections', '2', '--rate', '2000']);
    for (const tag of ['c2-p1-r2000', 'c2-p1-r2000-uncorrected']) {
      const counts = readIntervals(log, tag);
      assert.ok(counts.length >= 2, `${tag}: ${counts.join(', ')}`);
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        report.scenarios[0].messages,
        tag,
      );
    }
  });

  it("HdrHistogram's HistogramLogProcessor reads --hlog: per scenario tag, the same count, p50 and p99 as the JSON report", async (t) => {
    if ('skip' in java) {
      t.skip(java.skip);
      return;
    }
    const { dir, log, report } = await bench(['--connections', '1,2']);
    for (const [i, tag] of ['c1-p1-closed', 'c2-p1-closed'].entries()) {
      const s = report.scenarios[i];
      const f = javaFigures(java.jar, log, tag, dir);
      assert.equal(f.count, s.messages, tag);
      assert.ok(sameBucket(s.latencyUs.p50, f.p50), `${tag} p50: ours ${s.latencyUs.p50}, Java's ${f.p50}`);
      assert.ok(sameBucket(s.latencyUs.p99, f.p99), `${tag} p99: ours ${s.latencyUs.p99}, Java's ${f.p99}`);
    }
  });
});
