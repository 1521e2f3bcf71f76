/**
 * `benchmark ab --report`'s page (src/results/ab-page.ts): the comparison
 * in noise-text's words, both sides' spectra, and each figure round by
 * round, read in Chromium as uPlot drew them. Rounds from real runs of the
 * benchmark, and rounds built from real histograms where the answer must
 * be known (B three times slower, one outlying round of A).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { BenchmarkReport } from '../src/report/benchmark.js';
import { abPage } from '../src/results/ab-page.js';
import { DEFAULT_FIGURES } from '../src/results/compare.js';
import { figureLabel } from '../src/results/compare-text.js';
import { type NoisyComparison, compareSides } from '../src/results/noise-compare.js';
import { AB_NAMES, verdictText } from '../src/results/noise-text.js';
import { createHistogram, encodeHistogram, initHistograms, summarize } from '../src/stats/histogram.js';
import { type DrawnChart, chromiumPath, drawnCharts } from './report-browser.js';
import { runBin, tempDir } from './helpers.js';

const browser = chromiumPath();
const OPTIONS = { at: DEFAULT_FIGURES, maxRegressionPct: 10, noiseThresholdPct: 1 };

function compared(a: BenchmarkReport[], b: BenchmarkReport[]): NoisyComparison {
  const r = compareSides(a, b, OPTIONS);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.comparison;
}

/** The page's text as it would read, for a phrase of the comparison's words (the page escapes its apostrophes and ampersands). */
const html = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Write the page and read its charts as drawn; no console error and no page error allowed. */
async function drawn(file: string, page: string): Promise<DrawnChart[]> {
  writeFileSync(file, page);
  if ('skip' in browser) throw new Error(browser.skip);
  const { charts, problems } = await drawnCharts(browser.path, file);
  assert.deepEqual(problems, []);
  return charts;
}

/**
 * A round built on a real report: one scenario whose latency is 1 000
 * values from `baseNs` up to 20% above it, a tail of `tailPct`% at
 * `tailX` times it; its figures summarised from that histogram.
 */
function round(template: BenchmarkReport, startedAt: string, baseNs: number, tailPct: number, tailX: number, perS: number): BenchmarkReport {
  const h = createHistogram();
  const tail = tailPct * 10;
  for (let i = 0; i < 1000 - tail; i++) h.recordValue(Math.round(baseNs * (1 + (0.2 * i) / 1000)));
  for (let i = 0; i < tail; i++) h.recordValue(Math.round(baseNs * tailX));
  const latency = encodeHistogram(h);
  const latencyUs = summarize(h);
  h.destroy();
  const r = structuredClone(template);
  r.meta.startedAt = startedAt;
  r.scenarios = [{ ...r.scenarios[0], throughputPerSec: perS, latencyUs, histograms: { latency, uncorrected: null, intervals: [] } }];
  return r;
}

describe('the A/B page', () => {
  let dir: string;
  /** Four real runs, in the order they ran: A, B, B, A. */
  const runs: BenchmarkReport[] = [];
  before(async () => {
    await initHistograms();
    dir = tempDir();
    for (let i = 0; i < 4; i++) {
      const r = await runBin('benchmark', ['--spawn-server', '-c', '1', '-d', '0.2', '-w', '0.1', '--json']);
      assert.equal(r.code, 0, r.stderr);
      runs.push(JSON.parse(r.stdout) as BenchmarkReport);
    }
  });

  it('real rounds: both labels, the words of every verdict and of too few rounds; both spectra and every figure by round drawn', async (t) => {
    const a = { label: 'tcp://127.0.0.1:7001', rounds: [runs[0], runs[3]] };
    const b = { label: 'unix:/tmp/b.sock', rounds: [runs[1], runs[2]] };
    const comparison = compared(a.rounds, b.rounds);
    const page = abPage({ a, b, comparison, generator: 'test' });
    for (const phrase of [a.label, b.label, comparison.method, comparison.tooFew!]) assert.ok(page.includes(html(phrase)), `the page says: ${phrase}`);
    const [s] = comparison.scenarios;
    for (const f of s.figures) assert.ok(page.includes(html(verdictText(f, AB_NAMES, 1))), verdictText(f, AB_NAMES, 1));
    // Each side's placement, from its first round.
    assert.ok(page.includes(html(`benchmark CPUs ${runs[0].placement.clientCpus ?? '?'}`)));

    if ('skip' in browser) return t.skip(browser.skip);
    const charts = await drawn(join(dir, 'real.html'), page);
    assert.deepEqual(
      charts.map((c) => c.kind),
      ['spectrum', 'rounds', 'rounds', 'rounds', 'rounds'],
    );
    const [spectrum, ...byRound] = charts;
    assert.deepEqual(spectrum.legendGroups, [`A: ${a.label}`, `B: ${b.label}`]);
    for (const side of ['A', 'B']) {
      const mine = spectrum.series.filter((x) => x.group?.startsWith(`${side}:`));
      assert.deepEqual(
        mine.map((x) => x.label),
        ['2 rounds merged', 'round 1', 'round 2'],
      );
      assert.ok(mine[1].alpha < mine[0].alpha, 'each round paler than the merge');
    }
    for (const [i, c] of byRound.entries()) {
      const f = s.figures[i];
      assert.deepEqual(c.x, [1, 2]);
      assert.deepEqual(
        c.series.map((x) => x.points),
        [2, 2],
        `${c.title}: a point per round a side`,
      );
      assert.deepEqual(
        c.series.map((x) => [x.label, x.values]),
        [
          ['A', f.a.values],
          ['B', f.b.values],
        ],
      );
      assert.ok(c.coloured > 0, `${c.title}: drawn`);
    }
  });

  it('B three times slower, one outlying round of A: the verdicts and the gate in words, the outlier marked where it is', async (t) => {
    // Six rounds a side in ABBA order; A's third round has a tail ten times longer, from p99 on.
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
    const a: BenchmarkReport[] = [];
    const b: BenchmarkReport[] = [];
    for (let i = 0; i < 6; i++) {
      const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
      for (const [k, side] of [first, second].entries()) {
        const slow = side === b;
        const wobble = 1 + ((i * 7 + k * 3) % 5) / 100;
        side.push(round(runs[0], at(2 * i + k), (slow ? 60_000 : 20_000) * wobble, side === a && i === 2 ? 3 : 1, side === a && i === 2 ? 15 : 1.5, Math.round((slow ? 4000 : 12_000) / wobble)));
      }
    }
    const comparison = compared(a, b);
    const [s] = comparison.scenarios;
    const p99 = s.figures.find((f) => f.figure === 'p99')!;
    const outliers = s.figures.map((f) => [f.figure, f.a.outliers, f.b.outliers]);
    assert.deepEqual(
      outliers,
      [
        ['p50', [], []],
        ['p99', [2], []],
        ['p99.9', [2], []],
        ['throughput', [], []],
      ],
      'the data has the outlier the page must mark',
    );
    const sides = { a: { label: 'tcp://127.0.0.1:7001', rounds: a }, b: { label: 'tcp://127.0.0.1:7002', rounds: b } };
    const page = abPage({ ...sides, comparison, generator: 'test' });
    assert.match(page, /B slower at p50 by \d+% \[\d+%, \d+%\]/);
    assert.match(page, /B slower in throughput by \d+% \[\d+%, \d+%\]/);
    assert.match(page, /<li class="error">regression: B is worse than A by more than 10% over the whole interval/);
    assert.match(page, /outlying rounds, kept in the figures: c1-p1-closed: A round 3 at p99/);
    assert.match(page, /<tr class="bad"><td>c1-p1-closed<\/td><td>p50 us<\/td>/, 'a regression row marked');

    if ('skip' in browser) return t.skip(browser.skip);
    const charts = await drawn(join(dir, 'known.html'), page);
    const spectrum = charts.find((c) => c.kind === 'spectrum')!;
    const labels = (side: string) => spectrum.series.filter((x) => x.group?.startsWith(`${side}:`)).map((x) => x.label);
    assert.deepEqual(labels('A'), ['6 rounds merged', 'round 1', 'round 2', 'round 3, outlying at p99, p99.9', 'round 4', 'round 5', 'round 6']);
    assert.deepEqual(labels('B'), ['6 rounds merged', 'round 1', 'round 2', 'round 3', 'round 4', 'round 5', 'round 6']);
    const merged = (side: string) => spectrum.series.find((x) => x.group?.startsWith(`${side}:`) && x.label.endsWith('merged'))!;
    assert.notEqual(merged('A').stroke, merged('B').stroke, 'the sides in two colours');
    // The merge holds every round's 1 000 values: its line runs to 1/(1-p) = 6 000, a round's stops at 1 000.
    const lastX = (values: ReadonlyArray<number | null>) => spectrum.x[values.reduce<number>((last, v, i) => (v === null ? last : i), -1)];
    for (const side of ['A', 'B']) {
      assert.equal(lastX(merged(side).values), 6000, `${side}: the merge holds its six rounds`);
      assert.equal(lastX(spectrum.series.find((x) => x.group?.startsWith(`${side}:`) && x.label === 'round 1')!.values), 1000);
    }

    const byRound = charts.filter((c) => c.kind === 'rounds');
    assert.equal(byRound.length, s.figures.length);
    for (const [i, c] of byRound.entries()) {
      const f = s.figures[i];
      assert.equal(c.title, `c1-p1-closed, ${figureLabel(f.figure)} by round: ${verdictText(f, AB_NAMES, 1)}`);
      assert.deepEqual(c.x, [1, 2, 3, 4, 5, 6]);
      const A = c.series.find((x) => x.label === 'A')!;
      const B = c.series.find((x) => x.label === 'B')!;
      assert.deepEqual([A.points, B.points], [6, 6], `${c.title}: a point per round a side`);
      assert.deepEqual([A.values, B.values], [f.a.values, f.b.values]);
      assert.ok(c.coloured > 0, `${c.title}: drawn`);
      const marks = c.series.find((x) => x.label === 'A outlying');
      if (f.a.outliers.length === 0) assert.equal(marks, undefined, `${c.title}: no outlier, no mark`);
      else {
        assert.deepEqual(
          marks?.values,
          f.a.values.map((v, j) => (f.a.outliers.includes(j) ? v : null)),
          `${c.title}: the outlying rounds marked`,
        );
        assert.equal(marks?.points, f.a.outliers.length, `${c.title}: a ring per outlying round`);
      }
    }
    const p99Chart = byRound[s.figures.indexOf(p99)];
    assert.deepEqual(p99Chart.series.find((x) => x.label === 'A outlying')?.values, [null, null, p99.a.values[2], null, null, null]);
  });
});
