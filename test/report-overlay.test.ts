/**
 * Pages that overlay several runs (`benchmark report A.json B.json`,
 * `benchmark merge --html`), read in Chromium as uPlot drew them: one
 * colour per run, one dash per scenario, the legend grouped by run, eight
 * runs in eight colours; a page of one run colours its scenarios.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { renderPage } from '../src/html/page.js';
import type { ReportRun, RunScenario } from '../src/html/runs.js';
import { createHistogram, encodeHistogram, initHistograms } from '../src/stats/histogram.js';
import { type DrawnChart, type DrawnSeries, chromiumPath, drawnCharts } from './report-browser.js';
import { tempDir } from './helpers.js';

const browser = chromiumPath();

/** An encoded histogram of 200 values from `fromNs` up. */
function encoded(fromNs: number): string {
  const h = createHistogram();
  for (let i = 0; i < 200; i++) h.recordValue(fromNs + i * 500);
  const out = encodeHistogram(h);
  h.destroy();
  return out;
}

function scenario(name: string, fromNs: number, open: boolean): RunScenario {
  return {
    name,
    messages: 200,
    msgPerS: 200,
    latencyUs: { min: 1, mean: 2, stdev: 1, p50: 2, p90: 3, p99: 3, p99_9: 3, p99_99: 3, max: 3 },
    errors: 0,
    partial: false,
    latency: encoded(fromNs),
    uncorrected: open ? encoded(fromNs / 2) : null,
    timeline: [],
    warnings: [],
    sloBreaches: [],
  };
}

/** A run of the given scenarios (an open-loop one, r1000, gets its uncorrected series too). */
function run(label: string, names: readonly string[], shift: number): ReportRun {
  return {
    label,
    source: 'test',
    context: [],
    server: null,
    warnings: [],
    scenarios: names.map((n, i) => scenario(n, 20_000 * (i + 1) + shift, n.includes('-r'))),
    slo: [],
    targetUs: null,
  };
}

/** Write the page of `runs` and read its charts as drawn. */
async function drawn(dir: string, name: string, runs: ReportRun[]): Promise<DrawnChart[]> {
  const file = join(dir, name);
  writeFileSync(file, renderPage(runs, { title: name, generator: 'test' }));
  if ('skip' in browser) throw new Error(browser.skip);
  const { charts, problems } = await drawnCharts(browser.path, file);
  assert.deepEqual(problems, []);
  return charts;
}

const byGroup = (series: readonly DrawnSeries[], group: string) => series.filter((s) => s.group === group);
const distinct = <T>(xs: readonly T[]) => new Set(xs.map((x) => JSON.stringify(x))).size;

describe('overlay pages in Chromium', () => {
  let dir: string;
  before(async () => {
    await initHistograms();
    dir = tempDir();
  });

  it("two runs: each run's series in its own colour, each scenario in its own dash, the legend grouped by run", async (t) => {
    if ('skip' in browser) return t.skip(browser.skip);
    const names = ['c1-p1-closed', 'c4-p1-closed', 'c4-p1-r1000'];
    const charts = await drawn(dir, 'two.html', [run('before', names, 0), run('after', names, 3000)]);
    const every = charts[0];
    assert.match(every.title, /by percentile/);
    assert.deepEqual(every.legendGroups, ['before', 'after'], 'the legend names each run once, in order');
    const a = byGroup(every.series, 'before');
    const b = byGroup(every.series, 'after');
    assert.deepEqual([a.map((s) => s.label), b.map((s) => s.label)], [names, names]);
    assert.equal(distinct(a.map((s) => s.stroke)), 1, `one colour for run before: ${a.map((s) => s.stroke)}`);
    assert.equal(distinct(b.map((s) => s.stroke)), 1, `one colour for run after: ${b.map((s) => s.stroke)}`);
    assert.notEqual(a[0].stroke, b[0].stroke, 'the two runs in two colours');
    assert.equal(distinct(a.map((s) => s.dash)), names.length, `a dash per scenario: ${JSON.stringify(a.map((s) => s.dash))}`);
    assert.deepEqual(
      a.map((s) => s.dash),
      b.map((s) => s.dash),
      'a scenario has the same dash in both runs',
    );

    // Each scenario's own chart draws every run of it in the same colour and dash as above; open loop adds the uncorrected, paler.
    for (const [i, name] of names.entries()) {
      const chart = charts.find((c) => c.kind === 'spectrum' && c.title.startsWith(`${name}:`))!;
      assert.deepEqual(chart.legendGroups, ['before', 'after']);
      for (const [group, look] of [
        ['before', a[i]],
        ['after', b[i]],
      ] as const) {
        const mine = byGroup(chart.series, group);
        assert.equal(mine.length, name.includes('-r') ? 2 : 1);
        for (const s of mine) assert.deepEqual([s.stroke, s.dash], [look.stroke, look.dash], `${name}, ${group}: ${s.label}`);
        if (mine.length === 2) assert.ok(mine[1].alpha < mine[0].alpha, `${mine[1].label} drawn paler than ${mine[0].label}`);
      }
    }
  });

  it('eight runs in eight colours', async (t) => {
    if ('skip' in browser) return t.skip(browser.skip);
    const runs = Array.from({ length: 8 }, (_, i) => run(`run-${i + 1}`, ['c1-p1-closed', 'c2-p1-closed'], i * 1000));
    const [every] = await drawn(dir, 'eight.html', runs);
    assert.equal(every.legendGroups.length, 8);
    const strokes = runs.map((r) => byGroup(every.series, r.label).map((s) => s.stroke));
    for (const s of strokes) assert.equal(distinct(s), 1);
    assert.equal(distinct(strokes.map((s) => s[0])), 8, `colours: ${strokes.map((s) => s[0]).join(' ')}`);
  });

  it('one run: its scenarios in their own colours, solid, the legend not grouped', async (t) => {
    if ('skip' in browser) return t.skip(browser.skip);
    const [every] = await drawn(dir, 'one.html', [run('only', ['c1-p1-closed', 'c4-p1-closed', 'c8-p1-closed'], 0)]);
    assert.deepEqual(every.legendGroups, []);
    assert.equal(distinct(every.series.map((s) => s.stroke)), 3);
    assert.deepEqual(
      every.series.map((s) => s.dash),
      [[], [], []],
    );
  });
});
