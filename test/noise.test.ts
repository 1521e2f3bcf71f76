/**
 * The statistics of repeated runs (src/stats/noise.ts) against values
 * worked by hand or printed in the tables of Hollander, Wolfe and Chicken,
 * then as properties over seeded synthetic runs: two samples of one
 * distribution are not called different (beyond the test's own 5%), a 30%
 * change always is, and the ratio turns over when the sides swap. Then the
 * comparison of runs (noise-compare.ts) and its text (noise-text.ts) on
 * small hand-made runs: too few runs, drift, outliers, the gate.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { driftOf, mannWhitneyCounts, mannWhitneyP, mosesRank, outlierIndices, ratioInterval } from '../src/stats/noise.js';
import { compareSides, fewestRuns, noisyFigure } from '../src/results/noise-compare.js';
import { formatNoisyComparison, verdictText } from '../src/results/noise-text.js';
import type { ComparedRun } from '../src/results/compare.js';
import { ASCII_BORDERS } from '../src/report/table.js';
import { paintFor } from '../src/cli/colour.js';

const plain = paintFor(process.stdout, { NO_COLOR: '1' });

/** A small seeded generator (mulberry32) and log-normal values around `centre` with a spread of `sigma` (log scale). */
function lognormal(seed: number): (centre: number, sigma: number) => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (centre, sigma) => centre * Math.exp(sigma * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()));
}

const sample = (draw: (c: number, s: number) => number, n: number, centre: number, sigma: number) => Array.from({ length: n }, () => draw(centre, sigma));

describe('noise statistics', () => {
  it('counts the Mann-Whitney U distribution exactly', () => {
    assert.deepEqual(mannWhitneyCounts(3, 3), [1, 1, 2, 3, 3, 3, 3, 2, 1, 1]);
    const c = mannWhitneyCounts(6, 6);
    assert.equal(
      c.reduce((s, v) => s + v, 0),
      924,
    );
    assert.deepEqual(c.slice(0, 7), [1, 1, 2, 3, 5, 7, 11]);
    assert.deepEqual([...c].reverse(), c);
  });

  it("finds Moses' rank as the tables give it, and no interval for too few runs", () => {
    // Hollander, Wolfe and Chicken, Table A.6: m = n = 6 at alpha 0.041 two-sided -> C = 6.
    assert.deepEqual(mosesRank(6, 6, 0.95), { k: 6, confidence: 1 - 38 / 924 });
    assert.equal(mosesRank(4, 4, 0.95).k, 1);
    assert.equal(mosesRank(3, 3, 0.95).k, 0);
    assert.equal(mosesRank(3, 4, 0.95).k, 0);
    assert.equal(mosesRank(10, 10, 0.95).k, 24);
    assert.equal(fewestRuns(0.95), 4);
    assert.equal(fewestRuns(0.99), 5);
  });

  it('estimates a pure scale change exactly and brackets it', () => {
    const a = [10, 11, 12, 10.5, 11.5, 10.8];
    const r = ratioInterval(
      a,
      a.map((x) => x * 1.2),
    );
    assert.ok(Math.abs(r.ratio - 1.2) < 1e-12);
    assert.ok(r.low! < 1.2 && r.high! > 1.2);
    assert.ok(r.low! > 1, 'a 20% change against a 7% spread is clear of 1');
    assert.equal(mannWhitneyP([1, 2, 3, 4], [5, 6, 7, 8]), 2 / 70);
    // A value shared across the sides: 4 of the 70 ways to draw B's mid-ranks are as far from the centre.
    assert.ok(Math.abs(mannWhitneyP([1, 2, 3, 4], [4, 5, 6, 7]) - 4 / 70) < 1e-12);
    assert.equal(mannWhitneyP([1, 2], [1, 2]), 1);
  });

  it('calls two samples of one distribution different no more often than its level allows', () => {
    let called = 0;
    let gated = 0;
    const trials = 500;
    for (let seed = 1; seed <= trials; seed++) {
      const draw = lognormal(seed);
      const f = noisyFigure('p99', sample(draw, 6, 40, 0.1), sample(draw, 6, 40, 0.1), [], { at: ['p99'], maxRegressionPct: 10, noiseThresholdPct: 1 });
      if (f.verdict === 'slower' || f.verdict === 'faster') called++;
      if (f.regression) gated++;
    }
    // The exact interval's error rate is 1 - 0.959 = 4.1% at most; 500 fixed seeds, so the count is fixed too.
    assert.ok(called <= 0.06 * trials, `${called} of ${trials} called different`);
    assert.ok(gated <= 0.01 * trials, `${gated} of ${trials} failed the 10% gate`);
  });

  it('never fails the gate for one distribution with a 3% spread, always for a 30% slowdown (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 6, max: 12 }), (seed, n) => {
        const draw = lognormal(seed);
        const o = { at: ['p50' as const], maxRegressionPct: 10, noiseThresholdPct: 1 };
        const same = noisyFigure('p50', sample(draw, n, 30, 0.03), sample(draw, n, 30, 0.03), [], o);
        const slower = noisyFigure('p50', sample(draw, n, 30, 0.03), sample(draw, n, 39, 0.03), [], o);
        return !same.regression && slower.verdict === 'slower' && slower.regression && slower.worsePct!.low! > 10;
      }),
      { seed: 25, numRuns: 300 },
    );
  });

  it('turns the ratio and its interval over when the sides swap (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 1000, noNaN: true }), { minLength: 4, maxLength: 9 }),
        fc.array(fc.double({ min: 1, max: 1000, noNaN: true }), { minLength: 4, maxLength: 9 }),
        (a, b) => {
          const ab = ratioInterval(a, b);
          const ba = ratioInterval(b, a);
          const close = (x: number, y: number) => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x));
          return close(ab.ratio * ba.ratio, 1) && close(ab.low! * ba.high!, 1) && close(ab.high! * ba.low!, 1);
        },
      ),
      { seed: 25, numRuns: 200 },
    );
  });

  it('finds drift in a steady climb and none in noise; flags an outlier', () => {
    const climb = driftOf([1, 1.05, 1.1, 1.16, 1.22, 1.28, 1.34, 1.41]);
    assert.ok(climb !== null && climb.p < 0.05);
    assert.ok(Math.abs(climb.change - 1.41) < 0.02);
    assert.equal(driftOf([1, 1.1, 0.9, 1.05, 0.95, 1.02, 0.98, 1.04]), null);
    assert.equal(driftOf([1, 2, 3, 4]), null, 'four values cannot show a trend at 5%');
    assert.deepEqual(outlierIndices([10, 11, 10.5, 10.8, 50, 10.2]), [4]);
    // No MAD (most runs alike): the mean absolute deviation scales instead.
    assert.deepEqual(outlierIndices([10, 10, 10, 10, 50]), [4]);
    assert.deepEqual(outlierIndices([10, 10, 10, 10, 10]), []);
    // Runs within a percent of each other: one 3.5% off scores high, but is within the 5% floor.
    assert.deepEqual(outlierIndices([100, 101, 100.5, 99.8, 103.5, 100.2]), []);
    assert.deepEqual(outlierIndices([100, 101, 100.5, 99.8, 103.5, 100.2], 0), [4]);
  });
});

/** A run with one scenario whose latency figures are `p50` scaled, started `minute` minutes in. */
function run(p50: number, throughput: number, minute: number): ComparedRun {
  return {
    meta: { startedAt: `2026-12-05T10:${String(minute).padStart(2, '0')}:00.000Z` },
    transport: 'tcp',
    address: 'tcp://127.0.0.1:1',
    framing: 'length',
    mode: 'fixed',
    size: 64,
    scenarios: [
      {
        connections: 1,
        pipeline: 1,
        rate: null,
        partial: false,
        throughputPerSec: throughput,
        latencyUs: { min: 1, mean: p50, stdev: 1, p50, p90: p50, p99: p50 * 2, p99_9: p50 * 3, p99_99: p50 * 4, max: p50 * 5 },
      },
    ],
  } as unknown as ComparedRun;
}

/** ABBA rounds: A's and B's values alternately started, one minute apart. */
function rounds(a: number[], b: number[]): { a: ComparedRun[]; b: ComparedRun[] } {
  let minute = 0;
  const ra: ComparedRun[] = [];
  const rb: ComparedRun[] = [];
  a.forEach((va, i) => {
    const first = i % 2 === 0;
    const x = run(va, 1e6 / va, first ? minute : minute + 1);
    const y = run(b[i], 1e6 / b[i], first ? minute + 1 : minute);
    ra.push(x);
    rb.push(y);
    minute += 2;
  });
  return { a: ra, b: rb };
}

describe('comparing runs with their noise', () => {
  const o = { at: ['p50', 'p99', 'throughput'] as const, maxRegressionPct: 10, noiseThresholdPct: 1 };

  it('says B is slower with its interval, and gates on it', () => {
    const r = rounds([30, 31, 29, 30.5, 30.2, 29.8], [45, 46, 44, 45.5, 44.8, 45.2]);
    const res = compareSides(r.a, r.b, { ...o, at: [...o.at] });
    assert.ok(res.ok);
    const c = res.comparison;
    assert.equal(c.tooFew, null);
    const p50 = c.scenarios[0].figures[0];
    assert.equal(p50.verdict, 'slower');
    assert.match(verdictText(p50), /^B slower at p50 by 50% \[\d+%, \d+%\]$/);
    assert.equal(c.scenarios[0].figures[2].verdict, 'slower', 'throughput fell by a third');
    assert.match(verdictText(c.scenarios[0].figures[2]), /^B slower in throughput by 33% \[/);
    assert.deepEqual(
      c.regressions.map((x) => x.figure),
      ['p50', 'p99', 'throughput'],
    );
    const text = formatNoisyComparison(c, ASCII_BORDERS, plain);
    assert.match(text, /regression: B is worse than A by more than 10% over the whole interval at c1-p1-closed p50 \+50%/);
    assert.match(text, /95% intervals \(95\.9% exactly\): Hodges-Lehmann/);
  });

  it('says no difference beyond noise for alike sides, and passes the gate', () => {
    const r = rounds([30, 31, 29, 30.5, 30.2, 29.8], [30.4, 29.5, 30.9, 29.9, 30.1, 30.6]);
    const res = compareSides(r.a, r.b, { ...o, at: [...o.at] });
    assert.ok(res.ok);
    assert.equal(res.comparison.regressions.length, 0);
    const text = formatNoisyComparison(res.comparison, ASCII_BORDERS, plain);
    assert.match(text, /no difference at p50 beyond noise \(1\.0\d\d \[0\.9\d\d, 1\.0\d\d\]\)/);
    assert.match(text, /no interval lies beyond 10% worse at p50, p99, throughput \(1 scenario\)/);
  });

  it('says when the runs are too few for an interval, and then cannot fail', () => {
    const r = rounds([30, 31, 29], [60, 61, 62]);
    const res = compareSides(r.a, r.b, { ...o, at: [...o.at] });
    assert.ok(res.ok);
    const c = res.comparison;
    assert.equal(c.tooFew, 'too few runs for a 95% interval: 3 and 3; 4 a side are the fewest, 6 or more tell more');
    assert.equal(c.regressions.length, 0);
    assert.equal(c.scenarios[0].figures[0].verdict, 'too-few');
    assert.match(formatNoisyComparison(c, ASCII_BORDERS, plain), /B\/A at p50 2\.0\d\d, at p99 2\.0\d\d, in throughput 0\.4\d\d, with no interval \(too few runs\)/);
  });

  it('names drift across the rounds and shows an outlying round', () => {
    // Both sides climb 5% a round: alike at each moment, drifting over the run.
    const a = [30, 33.1, 34.7, 38.3, 40.2, 44.3, 46.5, 51.3];
    const b = [31.5, 31.5, 36.5, 36.5, 42.2, 42.2, 48.8, 48.8].map((v, i) => (i === 5 ? v * 4 : v));
    const r = rounds(a, b);
    const res = compareSides(r.a, r.b, { ...o, at: ['p50'] });
    assert.ok(res.ok);
    const f = res.comparison.scenarios[0].figures[0];
    assert.ok(f.drift !== null, 'a steady climb is drift');
    const text = formatNoisyComparison(res.comparison, ASCII_BORDERS, plain);
    assert.match(text, /drift in c1-p1-closed, both sides alike, from the first round to the last \(Mann-Kendall\): p50 rose \d+% \(p < 0\.001\); the machine changed/);
    assert.deepEqual(f.b.outliers, [5]);
    assert.match(text, /outlying rounds, kept in the figures: c1-p1-closed: B round 6 at p50, 168\.8 us against a median of 39\.35 us/);
  });

  it("a run that measured nothing: a regression when it is B's alone, nothing to judge when A has one, left out for counts", () => {
    const order: never[] = [];
    const o1 = { at: ['p50' as const], maxRegressionPct: 10, noiseThresholdPct: 1 };
    const bFailed = noisyFigure('p50', [30, 31, 29, 30], [30, null, 29, 31], order, o1);
    assert.equal(bFailed.verdict, 'unmeasured');
    assert.equal(bFailed.regression, true);
    assert.equal(verdictText(bFailed), 'nothing to compare at p50: B measured nothing in 1 of 4 rounds (a regression)');
    const aFailed = noisyFigure('throughput', [1000, 0, 1000, 1000], [1000, 1000, 1000, 1000], order, o1);
    assert.equal(aFailed.regression, false);
    assert.equal(verdictText(aFailed), 'nothing to compare in throughput: A measured nothing in 1 of 4 rounds');
    const counts = noisyFigure('max', [2, 0, 3, 2, 2], [2, 3, 0, 2, 3], order, { ...o1, skipEmpty: true });
    assert.notEqual(counts.verdict, 'unmeasured');
    assert.equal(counts.regression, false);
    const r = rounds([30, 31, 29, 30], [30, 30, 29, 31]);
    r.b[1].scenarios[0].latencyUs = null;
    const res = compareSides(r.a, r.b, { ...o1 });
    assert.ok(res.ok);
    assert.match(
      formatNoisyComparison(res.comparison, ASCII_BORDERS, plain),
      /regression: B is worse than A by more than 10% over the whole interval at c1-p1-closed p50 \(B measured nothing in 1 round\)/,
    );
  });

  it('refuses runs with no scenario in common', () => {
    const x = run(30, 1000, 0);
    const y = { ...run(30, 1000, 1), scenarios: [{ ...run(30, 1000, 1).scenarios[0], connections: 10 }] } as ComparedRun;
    const res = compareSides([x], [y], { ...o, at: ['p50'] });
    assert.equal(res.ok, false);
  });
});
