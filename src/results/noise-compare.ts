/**
 * Several runs a side compared, as data: for each scenario found in every
 * run and each chosen figure, each side's median and range over its runs,
 * the ratio B/A with its interval (src/stats/noise.ts), the verdict, the
 * outlying runs and any drift. `benchmark ab` (rounds it ran itself) and
 * `benchmark compare --base ... --new ...` (saved runs) both come here;
 * rendering is noise-text.ts.
 *
 * Verdicts follow criterion's rule: B is slower (or faster) only when the
 * whole interval lies beyond the noise threshold; an interval clear of 1
 * but reaching into the threshold is a change within noise; an interval
 * holding 1 is no difference beyond noise (benchstat's "~"). The gate is
 * stricter still: a regression is an interval lying entirely beyond
 * --max-regression, so that a noisy minute can never fail a build on its
 * own.
 */
import { CONFIDENCE, type Drift, type RatioEstimate, driftOf, median, mosesRank, outlierIndices, ratioInterval } from '../stats/noise.js';
import { type ComparedRun, type ComparedScenario, type Figure, figureOf, hasSizes, nameOf, workloadDifferences } from './compare.js';
import { scenarioSize } from '../report/benchmark.js';

export const METHOD =
  "Hodges-Lehmann estimate of the ratio with Moses' distribution-free interval (exact Mann-Whitney), on log values; Hollander, Wolfe and Chicken, Nonparametric Statistical Methods, 3rd ed., section 4.3";

export const DEFAULT_NOISE_THRESHOLD_PCT = 1;

/** One side's values of one figure over its runs. */
export interface SideFigure {
  /** Each run's value, in the order the runs were given; null when the run measured nothing there. */
  values: Array<number | null>;
  median: number | null;
  min: number | null;
  max: number | null;
  /** Outlying runs (0-based, in `values`): shown, never dropped. */
  outliers: number[];
}

export type Verdict = 'slower' | 'faster' | 'within-threshold' | 'no-difference' | 'too-few' | 'unmeasured';

export interface NoisyFigure {
  figure: Figure;
  a: SideFigure;
  b: SideFigure;
  /** Null when a side measured nothing at this figure. */
  estimate: RatioEstimate | null;
  verdict: Verdict;
  /** How much worse B is, percent of A (latency higher, throughput lower; negative when better): the estimate and the interval's bounds. */
  worsePct: { estimate: number; low: number | null; high: number | null } | null;
  /** Runs of each side that measured nothing at this figure (no reply, or no throughput): with any, there is no ratio. */
  unmeasured: { a: number; b: number };
  /** The interval lies entirely beyond --max-regression; or B measured nothing in a run where A measured in every one. */
  regression: boolean;
  /** A trend across the runs in the order they ran, both sides together (each divided by its own median). */
  drift: Drift | null;
}

export interface NoisyScenario {
  scenario: string;
  size: number;
  connections: number;
  pipeline: number;
  rate: number | null;
  /** How many runs of each side were interrupted in this scenario. */
  partial: { a: number; b: number };
  figures: NoisyFigure[];
}

export interface NoisyRegression {
  scenario: string;
  figure: Figure;
  /** Null when B measured nothing in some run (`unmeasured`). */
  worsePct: NoisyFigure['worsePct'];
  unmeasured: number;
}

export interface NoisyComparison {
  runs: { a: number; b: number };
  level: number;
  /** The level the intervals reach exactly with these numbers of runs; null when too few for any. */
  confidence: number | null;
  method: string;
  maxRegressionPct: number;
  noiseThresholdPct: number;
  at: Figure[];
  scenarios: NoisyScenario[];
  /** Scenarios missing from some run, by name: not compared. */
  unmatched: string[];
  /** What differs between the sides' workloads besides the scenarios (framing, mode, size, transport). */
  differences: string[];
  regressions: NoisyRegression[];
  /** Why there is no interval, when the runs are too few for one: how many are needed. */
  tooFew: string | null;
}

export interface NoisyOptions {
  at: readonly Figure[];
  maxRegressionPct: number;
  noiseThresholdPct: number;
  level?: number;
  /** Leave runs with nothing (null or 0) out of the ratio rather than judge them failed: for counts, where 0 is a value with no ratio (bench/ab.ts's GC counts). */
  skipEmpty?: boolean;
}

export type NoisyResult = { ok: true; comparison: NoisyComparison } | { ok: false; reason: string };

/** The fewest runs a side for an interval at `level` (4 at 95%). */
export function fewestRuns(level: number): number {
  let n = 2;
  while (mosesRank(n, n, level).k === 0) n++;
  return n;
}

/** A run's scenarios by the name they pair by (`sized`: some run of the comparison has several sizes); a name repeated within a run is numbered (`c1-p1-closed#2`). */
export function byName(run: ComparedRun, sized: boolean): Map<string, ComparedScenario> {
  const out = new Map<string, ComparedScenario>();
  for (const s of run.scenarios) {
    const base = nameOf(s, run, sized);
    let name = base;
    for (let i = 2; out.has(name); i++) name = `${base}#${i}`;
    out.set(name, s);
  }
  return out;
}

function sideFigure(values: Array<number | null>): SideFigure {
  const measured = values.filter((v): v is number => v !== null);
  const positive = values.flatMap((v, i) => (v !== null && v > 0 ? [{ v, i }] : []));
  const outliers = outlierIndices(positive.map((p) => p.v)).map((j) => positive[j].i);
  if (measured.length === 0) return { values, median: null, min: null, max: null, outliers };
  return { values, median: median(measured), min: Math.min(...measured), max: Math.max(...measured), outliers };
}

/** The runs of both sides in the order they ran (meta.startedAt; ties keep the order given), as side and index. */
function timeOrder(a: readonly ComparedRun[], b: readonly ComparedRun[]): Array<{ side: 'a' | 'b'; i: number }> {
  const all = [...a.map((r, i) => ({ side: 'a' as const, i, at: r.meta.startedAt })), ...b.map((r, i) => ({ side: 'b' as const, i, at: r.meta.startedAt }))];
  return all.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0)).map(({ side, i }) => ({ side, i }));
}

/** One figure of one scenario over both sides' runs. */
export function noisyFigure(figure: Figure, a: Array<number | null>, b: Array<number | null>, order: ReadonlyArray<{ side: 'a' | 'b'; i: number }>, o: NoisyOptions): NoisyFigure {
  const sa = sideFigure(a);
  const sb = sideFigure(b);
  const pa = a.filter((v): v is number => v !== null && v > 0);
  const pb = b.filter((v): v is number => v !== null && v > 0);
  const unmeasured = { a: a.length - pa.length, b: b.length - pb.length };
  // A run that measured nothing is a failed run, not one to leave out: B failing where A never did is a
  // regression (as with one run a side, compare.ts); a failure on A's side leaves nothing to judge.
  if (o.skipEmpty === true ? pa.length === 0 || pb.length === 0 : unmeasured.a > 0 || unmeasured.b > 0) {
    const regression = o.skipEmpty !== true && unmeasured.b > 0 && unmeasured.a === 0;
    return { figure, a: sa, b: sb, estimate: null, worsePct: null, unmeasured, regression, drift: null, verdict: 'unmeasured' };
  }
  const estimate = ratioInterval(pa, pb, o.level ?? CONFIDENCE);
  const higherIsWorse = figure !== 'throughput';
  const worse = (r: number | null) => (r === null ? null : (higherIsWorse ? r - 1 : 1 - r) * 100);
  const bounds = higherIsWorse ? [worse(estimate.low), worse(estimate.high)] : [worse(estimate.high), worse(estimate.low)];
  const worsePct = { estimate: worse(estimate.ratio)!, low: bounds[0], high: bounds[1] };
  const ma = median(pa);
  const mb = median(pb);
  const series = order.flatMap(({ side, i }) => {
    const v = (side === 'a' ? a : b)[i];
    return v !== null && v > 0 ? [v / (side === 'a' ? ma : mb)] : [];
  });
  const drift = driftOf(series, 1 - (o.level ?? CONFIDENCE));
  const t = o.noiseThresholdPct;
  let verdict: Verdict;
  if (worsePct.low === null || worsePct.high === null) verdict = 'too-few';
  else if (worsePct.low > t) verdict = 'slower';
  else if (worsePct.high < -t) verdict = 'faster';
  else if (worsePct.low > 0 || worsePct.high < 0) verdict = 'within-threshold';
  else verdict = 'no-difference';
  const regression = worsePct.low !== null && worsePct.low > o.maxRegressionPct;
  return { figure, a: sa, b: sb, estimate, verdict, worsePct, unmeasured, regression, drift };
}

/**
 * Compare the runs of side A with those of side B at `o.at`. Scenarios pair
 * by name as in compareRuns; only those found in every run are compared.
 * Refused when none is.
 */
export function compareSides(a: readonly ComparedRun[], b: readonly ComparedRun[], o: NoisyOptions): NoisyResult {
  if (a.length === 0 || b.length === 0) return { ok: false, reason: 'each side needs at least one run' };
  const level = o.level ?? CONFIDENCE;
  const all = [...a, ...b];
  const sized = all.some(hasSizes);
  const maps = all.map((r) => byName(r, sized));
  const names = [...new Set(maps.flatMap((m) => [...m.keys()]))];
  const common = names.filter((n) => maps.every((m) => m.has(n)));
  const unmatched = names.filter((n) => !common.includes(n));
  if (common.length === 0) return { ok: false, reason: `no scenario is in every run: the runs have ${names.join(', ') || 'none'}` };
  const order = timeOrder(a, b);
  const mapsA = maps.slice(0, a.length);
  const mapsB = maps.slice(a.length);
  const scenarios: NoisyScenario[] = common.map((name) => {
    const first = mapsA[0].get(name)!;
    const ofSide = (ms: Map<string, ComparedScenario>[]) => ms.map((m) => m.get(name)!);
    const sa = ofSide(mapsA);
    const sb = ofSide(mapsB);
    return {
      scenario: name,
      size: scenarioSize(first, a[0]),
      connections: first.connections,
      pipeline: first.pipeline,
      rate: first.rate,
      partial: { a: sa.filter((s) => s.partial).length, b: sb.filter((s) => s.partial).length },
      figures: o.at.map((f) =>
        noisyFigure(
          f,
          sa.map((s) => figureOf(s, f)),
          sb.map((s) => figureOf(s, f)),
          order,
          o,
        ),
      ),
    };
  });
  const regressions = scenarios.flatMap((s) => s.figures.filter((f) => f.regression).map((f) => ({ scenario: s.scenario, figure: f.figure, worsePct: f.worsePct, unmeasured: f.unmeasured.b })));
  const { confidence } = mosesRank(a.length, b.length, level);
  const fewest = fewestRuns(level);
  const tooFew =
    confidence === null ? `too few runs for a ${Math.round(level * 100)}% interval: ${a.length} and ${b.length}; ${fewest} a side are the fewest, 6 or more tell more` : null;
  return {
    ok: true,
    comparison: {
      runs: { a: a.length, b: b.length },
      level,
      confidence,
      method: METHOD,
      maxRegressionPct: o.maxRegressionPct,
      noiseThresholdPct: o.noiseThresholdPct,
      at: [...o.at],
      scenarios,
      unmatched,
      differences: [...new Set(b.flatMap((r) => workloadDifferences(a[0], r, sized)))],
      regressions,
      tooFew,
    },
  };
}
