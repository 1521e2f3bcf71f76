/**
 * The report pages' legends in Chromium: uPlot prints "--" for a series
 * with no point under the cursor, which a still page always is (the page
 * formatted its own gaps as "-"). Every legend is read as loaded, with the
 * cursor at the start, middle and far end of its plot, and after the cursor
 * left: no value cell is ever a placeholder. Still (and after the cursor
 * left), a spectrum's legend reads each series at p99, a timeline's its
 * last interval; under the cursor, the figures there, and an empty cell
 * where a series has none (past a short series' last percentile). Pages of
 * one run and of several (the legend grouped by run), written from
 * fixtures with every kind of series (open loop, SLO points, a target,
 * error marks, a series of fewer than 100 values) and by the programs
 * from real runs.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderPage } from '../src/html/page.js';
import type { ReportRun, RunScenario } from '../src/html/runs.js';
import { pointsOf } from '../src/html/timeline.js';
import { createHistogram, encodeHistogram, initHistograms } from '../src/stats/histogram.js';
import { type ChartLegends, HOVER_AT, type LegendReading, chromiumPath, legendReadings } from './report-browser.js';
import { type RunningServer, runBin, startServer, tempDir } from './helpers.js';

const browser = chromiumPath();

/** A fixed start, ms since the epoch. */
const T0 = 1_700_000_000_000;

/** An encoded histogram of `n` values from `fromNs` up, `stepNs` apart. */
function encoded(n: number, fromNs: number, stepNs: number): string {
  const h = createHistogram();
  for (let i = 0; i < n; i++) h.recordValue(fromNs + i * stepNs);
  const out = encodeHistogram(h);
  h.destroy();
  return out;
}

/** Kept intervals of 1 s from T0, `n` round trips each, the given errors. */
const intervals = (errors: readonly number[], n: number, fromNs: number) =>
  errors.map((e, i) => ({ startMs: T0 + i * 1000, endMs: T0 + (i + 1) * 1000, latency: encoded(n, fromNs + i * 1000, 400), errors: e }));

/**
 * A closed-loop scenario of 2000 round trips with an interval of errors in
 * the middle of its timeline, and an open-loop one of 50 (its spectrum line
 * ends at x = 50, before p99, where the other goes on).
 */
function scenarios(shiftNs: number): RunScenario[] {
  const base = { latencyUs: { min: 1, mean: 2, stdev: 1, p50: 2, p90: 3, p99: 3, p99_9: 3, p99_99: 3, max: 3 }, partial: false, warnings: [], sloBreaches: [] };
  return [
    {
      ...base,
      name: 'c1-p1-closed',
      messages: 2000,
      msgPerS: 1000,
      errors: 2,
      latency: encoded(2000, 20_000 + shiftNs, 50),
      uncorrected: null,
      timeline: pointsOf(intervals([0, 2, 0], 700, 20_000 + shiftNs), 1000),
    },
    {
      ...base,
      name: 'c4-p1-r1000',
      messages: 50,
      msgPerS: 25,
      errors: 0,
      latency: encoded(50, 30_000 + shiftNs, 900),
      uncorrected: encoded(50, 15_000 + shiftNs, 500),
      timeline: pointsOf(intervals([0, 0], 25, 30_000 + shiftNs), 1000),
    },
  ];
}

const run = (label: string, shiftNs: number): ReportRun => ({
  label,
  source: 'test',
  context: [],
  server: null,
  warnings: [],
  scenarios: scenarios(shiftNs),
  slo: [
    { name: 'p99', p: 99, us: 5000 },
    { name: 'max', p: 100, us: 9000 },
  ],
  targetUs: 1000,
});

/** A legend cell's number ("1,234", "45.25", "99.9%", "2.0 (last)"), and how far from the figure its rounding may be. */
function numberOf(cell: string): { n: number; within: number } {
  const digits = /^[\d,]+(\.\d+)?/.exec(cell)?.[0] ?? 'NaN';
  const decimals = digits.split('.')[1]?.length ?? 0;
  return { n: Number(digits.replace(/,/g, '')), within: 0.5 * 10 ** -decimals + 1e-9 };
}

/** `cell` shows `value`, rounded as the page rounds (nothing for no value). */
function assertShows(cell: string, value: number | null, what: string): void {
  if (value === null) {
    assert.equal(cell, '', `${what}: no value, an empty cell`);
    return;
  }
  const { n, within } = numberOf(cell);
  assert.ok(Math.abs(n - value) <= within, `${what}: shows ${JSON.stringify(cell)} for ${value}`);
}

/** What each series' legend shows with no point under the cursor: a spectrum's value at x = 100 (p99), or its last when it ends before; a timeline's last interval. */
function stillOf(chart: ChartLegends, reading: LegendReading, si: number): number | null {
  const [x, ys] = [reading.data[0] as number[], reading.data[si]];
  if (chart.kind === 'timeline') return ys.at(-1) ?? null;
  const at = x.indexOf(100);
  if (at >= 0 && ys[at] !== null) return ys[at];
  const last = ys.reduce<number>((at, y, i) => (y === null ? at : i), -1);
  return last >= 0 && x[last] < 100 ? ys[last] : null;
}

/** A placeholder: uPlot's "--", the page's old "-", or any cell of dashes. */
const PLACEHOLDER = /^\s*[-\u2013\u2014]+\s*$/;

/**
 * Every legend of a page: no placeholder in any reading; still and after
 * the cursor left, the x row says where the figures are and each series
 * shows its still figure; under the cursor, each series its value there.
 * `errors` holds each timeline's interval errors, in order, for its marks'
 * legend (no mark where there were none; the legend says 0).
 */
function assertLegends(charts: ChartLegends[], errors: Map<string, number[]>): void {
  assert.ok(charts.length > 0);
  for (const chart of charts) {
    const readings = [
      ['still', chart.still],
      ...chart.hovered.map((r, i) => [`under the cursor at ${HOVER_AT[i] * 100}% of the plot`, r] as const),
      ['after the cursor left', chart.left],
    ] as const;
    for (const [when, r] of readings) {
      for (const [label, value] of r.rows) assert.doesNotMatch(value, PLACEHOLDER, `${chart.title}, ${when}: ${label} reads ${JSON.stringify(value)}`);
    }
    for (const [when, r] of [
      ['still', chart.still],
      ['after the cursor left', chart.left],
    ] as const) {
      assert.equal(r.idx, null);
      const [xLabel, xValue] = r.rows[0];
      if (chart.kind === 'spectrum') assert.deepEqual([xLabel, xValue], ['percentile', '99%'], `${chart.title}, ${when}`);
      else assertShows(xValue, (r.data[0] as number[]).at(-1)!, `${chart.title}, ${when}, the x row`);
      if (chart.kind === 'timeline') assert.match(xValue, /\(last\)$/, `${chart.title}, ${when}: the x row says the figures are the last interval's`);
      for (const [si, [label, value]] of r.rows.entries()) {
        if (si === 0) continue;
        assert.notEqual(value, '', `${chart.title}, ${when}: ${label} shows a figure`);
        if (label.startsWith('target ')) assertShows(value, 1000, `${chart.title}, ${when}, ${label}`);
        else if (label.startsWith('SLO ')) assertShows(value, Number(/ (\d+) us$/.exec(label)![1]), `${chart.title}, ${when}, ${label}`);
        else if (label === 'errors') assertShows(value, errors.get(chart.title)!.at(-1)!, `${chart.title}, ${when}, ${label}`);
        else assertShows(value, stillOf(chart, r, si), `${chart.title}, ${when}, ${label}`);
      }
    }
    assert.deepEqual(chart.left.rows, chart.still.rows, `${chart.title}: the cursor gone, the still legend is back`);
    for (const [i, r] of chart.hovered.entries()) {
      const when = `under the cursor at ${HOVER_AT[i] * 100}% of the plot`;
      assert.notEqual(r.idx, null, `${chart.title}, ${when}`);
      const idx = r.idx!;
      assert.notEqual(r.rows[0][1], '', `${chart.title}, ${when}: the x row`);
      for (const [si, [label, value]] of r.rows.entries()) {
        if (si === 0) continue;
        if (label.startsWith('target ')) assertShows(value, 1000, `${chart.title}, ${when}, ${label}`);
        else if (label === 'errors') assertShows(value, errors.get(chart.title)![idx], `${chart.title}, ${when}, ${label}`);
        else assertShows(value, r.data[si][idx], `${chart.title}, ${when}, ${label}`);
      }
    }
  }
}

/** Write the page of `runs` and read its legends. */
async function legendsOf(dir: string, name: string, runs: ReportRun[]): Promise<ChartLegends[]> {
  const file = join(dir, name);
  writeFileSync(file, renderPage(runs, { title: name, generator: 'test' }));
  return read(file);
}

async function read(file: string): Promise<ChartLegends[]> {
  if ('skip' in browser) throw new Error(browser.skip);
  const { charts, problems } = await legendReadings(browser.path, file);
  assert.deepEqual(problems, []);
  return charts;
}

/** Each fixture timeline's errors by chart title (`prefix`: the run's name and ': ' on a page of several). */
const fixtureErrors = (prefix: string) => new Map([[`${prefix}c1-p1-closed over time: p50, p99, max (us, left), msg/s (right), errors (red marks)`, [0, 2, 0]]]);

describe('report legends in Chromium', () => {
  let dir: string;
  let server: RunningServer;
  before(async () => {
    await initHistograms();
    dir = tempDir();
    server = await startServer(['--port', '0']);
  });
  after(() => server?.stop());

  it('a page of one run: never a placeholder; still, p99 on the spectra and the last interval on the timelines; hovered, the figures there', async (t) => {
    if ('skip' in browser) return t.skip(browser.skip);
    const charts = await legendsOf(dir, 'one.html', [run('only', 0)]);
    // Every scenario's spectrum, then per scenario its spectrum and its timeline.
    assert.deepEqual(
      charts.map((c) => c.kind),
      ['spectrum', 'spectrum', 'timeline', 'spectrum', 'timeline'],
    );
    assertLegends(charts, fixtureErrors(''));
    // The far end of the every-scenario spectrum is past the 50-value series' last point: nothing to show there, and no placeholder.
    const far = charts[0].hovered.at(-1)!;
    assert.deepEqual(
      far.rows.find(([label]) => label.startsWith('c4-p1-r1000')),
      ['c4-p1-r1000', ''],
    );
  });

  it('a page of two runs: never a placeholder, the legend still grouped by run after the cursor came and went', async (t) => {
    if ('skip' in browser) return t.skip(browser.skip);
    const charts = await legendsOf(dir, 'two.html', [run('A', 0), run('B', 3000)]);
    assert.deepEqual(
      charts.map((c) => c.kind),
      ['spectrum', 'spectrum', 'timeline', 'timeline', 'spectrum', 'timeline', 'timeline'],
    );
    for (const c of charts.filter((x) => x.kind === 'spectrum')) assert.deepEqual(c.groups, ['A', 'B'], c.title);
    assertLegends(charts, new Map([...fixtureErrors('A: '), ...fixtureErrors('B: ')]));
  });

  it('pages the programs write from real runs: client --report, and benchmark report of two kept runs', async (t) => {
    if ('skip' in browser) return t.skip(browser.skip);
    const page = join(dir, 'client.html');
    const jsons: string[] = [];
    for (const name of ['a', 'b']) {
      const c = await runBin('client', ['-p', String(server.port), '-n', '400', '-w', '10', '--interval', '0.05', '--json', ...(name === 'a' ? ['--report', page] : [])]);
      assert.equal(c.code, 0, c.stderr);
      jsons.push(join(dir, `${name}.json`));
      writeFileSync(jsons.at(-1)!, c.stdout);
    }
    const one = await read(page);
    assert.deepEqual(
      one.map((c) => c.kind),
      ['spectrum', 'timeline'],
    );
    assertLegends(one, new Map());
    const both = join(dir, 'both.html');
    const r = await runBin('benchmark', ['report', ...jsons, '--html', both]);
    assert.equal(r.code, 0, r.stderr);
    const overlay = await read(both);
    assert.deepEqual(overlay[0].groups, ['a', 'b']);
    assertLegends(overlay, new Map());
  });
});
