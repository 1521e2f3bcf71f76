/**
 * Report timelines drawn as the intervals happened. A run ends with whatever
 * was left of its last interval: a few milliseconds and a message or two.
 * Drawn as an interval of its own, a full interval late (from an hlog) or as
 * a rate over its few milliseconds, it ended every timeline in a collapse
 * that never happened. Here, kept runs whose last interval is such a
 * fragment (written by the programs' own writers, drawn by the programs'
 * own commands) are opened in Chromium, and the series as uPlot drew them
 * are checked against the data: no fall the data do not contain, the last
 * point at the run's real end. A run shorter than one interval draws its
 * one point.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pointsOf } from '../src/html/timeline.js';
import { createHistogram, encodeHistogram, initHistograms, type Histogram } from '../src/stats/histogram.js';
import { HlogFile } from '../src/stats/hlog.js';
import { type DrawnChart, chromiumPath, drawnCharts } from './report-browser.js';
import { javaTool } from './hlog-helpers.js';
import { type RunningServer, runBin, startServer, tempDir } from './helpers.js';

const browser = chromiumPath();
const java = javaTool();

/** A fixed start, ms since the epoch: the fixtures are the same at every run. */
const T0 = 1_700_000_000_000;

/** One kept interval of the fixtures: where it lies (ms from T0), how many round trips, and their latency in ns. */
interface Fixture {
  fromMs: number;
  toMs: number;
  values: number[];
}

/** 1000 round trips a second at 20-39 us, two seconds of it, then what was left at the stop: 4 ms, one reply of 6 ms. */
const STEADY = Array.from({ length: 1000 }, (_, i) => 20_000 + (i % 20) * 1000);
const RUN: Fixture[] = [
  { fromMs: 0, toMs: 1000, values: STEADY },
  { fromMs: 1000, toMs: 2000, values: STEADY },
  { fromMs: 2000, toMs: 2004, values: [6_000_000] },
];

function histogramOf(values: readonly number[]): Histogram {
  const h = createHistogram();
  for (const v of values) h.recordValue(v);
  return h;
}

/** Write `run` as an interval log (tag rtt) with the programs' own writer, starting `offsetMs` after T0. */
function writeHlog(path: string, run: readonly Fixture[], offsetMs = 0): void {
  const log = new HlogFile(path, T0 + offsetMs);
  for (const iv of run) {
    const h = histogramOf(iv.values);
    log.write('rtt', T0 + offsetMs + iv.fromMs, T0 + offsetMs + iv.toMs, h);
    h.destroy();
  }
  log.close();
}

/** `run` as a --json report's intervals. */
const keptIntervals = (run: readonly Fixture[]) =>
  run.map((iv) => {
    const h = histogramOf(iv.values);
    const latency = encodeHistogram(h);
    h.destroy();
    return { startMs: T0 + iv.fromMs, endMs: T0 + iv.toMs, latency, uncorrected: null, errors: 0 };
  });

/** A drawn series by label. */
function seriesOf(chart: DrawnChart, label: string): Array<number | null> {
  const s = chart.series.find((x) => x.label === label);
  assert.ok(s !== undefined, `${chart.title}: no ${label} series (${chart.series.map((x) => x.label).join(', ')})`);
  return s.values;
}

/**
 * The timeline of `run` (one generator, or `generators` of them at once), as
 * drawn, against the data: every full interval's rate is 1000 a second per
 * generator and its p50 under 40 us; the fragment is 4 ms and one reply. A
 * drawn rate under the steady one or a p50 at the fragment's 6 ms is a fall
 * that did not happen; the last point is at the run's last reply (2.004 s
 * after its start), and its max still shows the fragment's reply.
 */
function assertNoFall(chart: DrawnChart, generators: number): void {
  const rate = seriesOf(chart, 'msg/s');
  const p50 = seriesOf(chart, 'p50');
  const max = seriesOf(chart, 'max');
  const steady = 1000 * generators;
  for (const [i, r] of rate.entries()) assert.ok(r !== null && r >= 0.99 * steady, `${chart.title}: point ${i} at ${chart.x[i]} s draws ${r} msg/s; the data never fall below ${steady}`);
  for (const [i, v] of p50.entries()) assert.ok(v !== null && v < 40, `${chart.title}: point ${i} at ${chart.x[i]} s draws p50 ${v} us; no interval's p50 is above 40 us`);
  assert.ok(Math.abs(chart.x.at(-1)! - 2.004) < 0.0015, `${chart.title}: the last point is at ${chart.x.at(-1)} s, the run ended at 2.004 s`);
  assert.ok(Math.abs(max.at(-1)! - 6000) / 6000 < 0.001, `${chart.title}: the last max is ${max.at(-1)} us, the fragment's reply took 6000 us`);
}

describe('timeline points', () => {
  before(() => initHistograms());

  it('a last interval shorter than a quarter interval is folded into the one before, at its real end, its rate over the real length', () => {
    const points = pointsOf(keptIntervals(RUN), 1000);
    assert.deepEqual(
      points.map((p) => [p.endS, p.msgPerS]),
      [
        [1, 1000],
        [2.004, Math.round(1001 / 1.004)],
      ],
    );
    assert.ok(points[1].p50! < 40);
    assert.ok(Math.abs(points[1].max! - 6000) / 6000 < 0.001, `the fragment's reply is the last point's max (${points[1].max} us)`);
  });

  it('a last interval of a quarter interval or more is drawn as it is; a run of one fragment is one point', () => {
    const long = [...RUN.slice(0, 2), { fromMs: 2000, toMs: 2250, values: STEADY.slice(0, 250) }];
    assert.deepEqual(
      pointsOf(keptIntervals(long), 1000).map((p) => [p.endS, p.msgPerS]),
      [
        [1, 1000],
        [2, 1000],
        [2.25, 1000],
      ],
    );
    const one = pointsOf(keptIntervals([RUN[2]]), 1000);
    assert.deepEqual(
      one.map((p) => [p.endS, p.msgPerS]),
      [[0.004, 250]],
    );
  });
});

describe('timelines in Chromium', () => {
  let server: RunningServer;
  let dir: string;
  before(async () => {
    await initHistograms();
    dir = tempDir();
    server = await startServer(['--port', '0']);
  });
  after(() => server?.stop());

  it('benchmark report of an hlog whose last interval is a fragment: no fall, the last point at the real end', async (t) => {
    if ('skip' in browser) return t.skip(browser.skip);
    const log = join(dir, 'fragment.hlog');
    writeHlog(log, RUN);
    const page = join(dir, 'hlog.html');
    const r = await runBin('benchmark', ['report', log, '--html', page]);
    assert.equal(r.code, 0, r.stderr);
    const { charts, problems } = await drawnCharts(browser.path, page);
    assert.deepEqual(problems, []);
    const timelines = charts.filter((c) => c.kind === 'timeline');
    assert.equal(timelines.length, 1);
    assertNoFall(timelines[0], 1);
  });

  it("benchmark report of a client's --json whose last interval is a fragment: no fall, the last point at the real end", async (t) => {
    if ('skip' in browser) return t.skip(browser.skip);
    const c = await runBin('client', ['-p', String(server.port), '-n', '200', '-w', '10', '--json']);
    assert.equal(c.code, 0, c.stderr);
    // A real report, its intervals replaced by the fixture's (the run's own interval, 1 s, unchanged).
    const report = JSON.parse(c.stdout);
    assert.equal(report.options.interval, null);
    report.histograms.intervals = keptIntervals(RUN);
    const json = join(dir, 'client.json');
    writeFileSync(json, JSON.stringify(report));
    const page = join(dir, 'client.html');
    const r = await runBin('benchmark', ['report', json, '--html', page]);
    assert.equal(r.code, 0, r.stderr);
    const { charts, problems } = await drawnCharts(browser.path, page);
    assert.deepEqual(problems, []);
    assertNoFall(charts.find((x) => x.kind === 'timeline')!, 1);
  });

  it('benchmark merge --html of two generators, each ending in a fragment: no fall in the merged load nor in either', async (t) => {
    if ('skip' in browser) return t.skip(browser.skip);
    const a = join(dir, 'gen-a.hlog');
    const b = join(dir, 'gen-b.hlog');
    writeHlog(a, RUN);
    // The second generator started 0.3 s later, as generators started by hand do.
    writeHlog(b, RUN, 300);
    const page = join(dir, 'merged.html');
    const r = await runBin('benchmark', ['merge', a, b, '--html', page]);
    assert.equal(r.code, 0, r.stderr);
    const { charts, problems } = await drawnCharts(browser.path, page);
    assert.deepEqual(problems, []);
    const timelines = charts.filter((c) => c.kind === 'timeline');
    assert.deepEqual(
      timelines.map((c) => c.title.split(':')[0]),
      ['merged', 'gen-a', 'gen-b'],
    );
    // The merged load: both generators at once, its last bucket ending at the later one's last reply (0.3 s + 2.004 s).
    const merged = timelines[0];
    for (const r of seriesOf(merged, 'msg/s')) assert.ok(r !== null && r >= 0.99 * 2000, `the merged load draws ${r} msg/s; it never falls below 2000`);
    assert.ok(Math.abs(merged.x.at(-1)! - 2.304) < 0.0015, `the merged load's last point at ${merged.x.at(-1)} s, its last reply at 2.304 s`);
    assertNoFall(timelines[1], 1);
    assertNoFall(timelines[2], 1);
  });

  it('a run shorter than one interval draws its one point: a client run of 0.3 s, and an hlog of one fragment', async (t) => {
    if ('skip' in browser) return t.skip(browser.skip);
    const clientPage = join(dir, 'short.html');
    const c = await runBin('client', ['-p', String(server.port), '-d', '0.3', '-w', '10', '--report', clientPage, '--json']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(JSON.parse(c.stdout).histograms.intervals.length, 1, 'one interval');
    const log = join(dir, 'one.hlog');
    writeHlog(log, [RUN[2]]);
    const logPage = join(dir, 'one.html');
    const r = await runBin('benchmark', ['report', log, '--html', logPage]);
    assert.equal(r.code, 0, r.stderr);
    for (const page of [clientPage, logPage]) {
      const { charts, problems } = await drawnCharts(browser.path, page);
      assert.deepEqual(problems, []);
      const timeline = charts.find((x) => x.kind === 'timeline')!;
      assert.equal(timeline.x.length, 1, `${page}: one point`);
      for (const s of timeline.series) assert.notEqual(s.values[0], null, `${page}: ${s.label} has its value`);
      // Drawn: a line needs two points, so the one point is drawn as a mark in each series' colour.
      assert.ok(timeline.coloured > 20, `${page}: the timeline has ${timeline.coloured} pixels in its series' colours`);
    }
  });

  it("the hlog keeps each interval's true start and length, and HdrHistogram's HistogramLogProcessor reads them", async (t) => {
    if ('skip' in java) return t.skip(java.skip);
    const log = join(dir, 'run.hlog');
    const c = await runBin('client', ['-p', String(server.port), '-d', '1', '--interval', '0.25', '-w', '10', '--hlog', log, '--json']);
    assert.equal(c.code, 0, c.stderr);
    const kept = JSON.parse(c.stdout).histograms.intervals as Array<{ startMs: number; endMs: number }>;
    const lines = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Tag=rtt,'))
      .map((l) => l.split(',').slice(1, 3).map(Number));
    assert.equal(lines.length, kept.length);
    // Start and length in seconds to the millisecond, from the log's start: as the run kept them.
    const base = kept[0].startMs - lines[0][0] * 1000;
    for (const [i, [start, length]] of lines.entries()) {
      assert.ok(Math.abs(base + start * 1000 - kept[i].startMs) <= 1, `interval ${i}: start ${start} s`);
      assert.ok(Math.abs(length * 1000 - (kept[i].endMs - kept[i].startMs)) <= 1, `interval ${i}: length ${length} s`);
    }
    const out = join(dir, 'java');
    const j = spawnSync('java', ['-cp', java.jar, 'org.HdrHistogram.HistogramLogProcessor', '-i', log, '-o', out, '-tag', 'rtt'], { encoding: 'utf8' });
    assert.equal(j.status, 0, j.stderr);
    // Its interval lines are stamped with each interval's end (start + length), the last one included.
    const stamps = readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => /^\d/.test(l))
      .map((l) => Number(l.split(':')[0]));
    assert.equal(stamps.length, lines.length);
    for (const [i, [start, length]] of lines.entries()) assert.ok(Math.abs(stamps[i] - (start + length)) < 0.0015, `interval ${i}: stamped ${stamps[i]}, ends at ${start + length}`);
  });
});
