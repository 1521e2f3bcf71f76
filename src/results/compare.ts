/**
 * Two saved runs compared, as data: which scenarios match, the
 * NEW/BASELINE ratio at each chosen figure, and whether NEW is worse beyond
 * the allowed regression anywhere (the gate `benchmark compare` exits 1 on).
 * Rendering is compare-text.ts; reading the files, saved.ts.
 *
 * A scenario is the same load in both runs when its connections, pipeline
 * and rate are the same, and, when either run has several sizes, its size
 * (64 B is never compared with 16 KiB); nothing else about it is a key, so
 * that a change of server, Node or machine is exactly what a comparison
 * shows. Two runs of one size each pair whatever their sizes, and the
 * difference is said, as a change of framing is. A client run
 * (`client --json`) is one scenario named `rtt`, as `benchmark report` and
 * its --hlog name it: it pairs with another client run, and with no
 * benchmark scenario (one message in flight on one connection, timed by
 * another program, is not the same load as c1-p1-closed by definition).
 */
import type { ClientReport } from '../report/client.js';
import type { LatencyUs } from '../stats/histogram.js';
import { LATENCY_KEYS, scenarioTag, sizeTag } from '../report/scenario.js';
import { type BenchmarkReport, type ScenarioReport, scenarioSize } from '../report/benchmark.js';

/** A scenario as a comparison reads it; `name` when it is not its tag (a client's `rtt`); `size` absent in a run kept before scenarios had one. */
export type ComparedScenario = Pick<ScenarioReport, 'connections' | 'pipeline' | 'rate' | 'partial' | 'throughputPerSec' | 'latencyUs'> & { name?: string; size?: number };

/** A run as a comparison reads it: a benchmark report is one as it is; a client report, through clientCompared. */
export interface ComparedRun extends Pick<BenchmarkReport, 'meta' | 'transport' | 'address' | 'framing' | 'mode' | 'size'> {
  scenarios: ComparedScenario[];
}

/** A client run as one scenario, `rtt`: one connection, one message in flight, its rate if it had one. */
export function clientCompared(c: ClientReport): ComparedRun {
  return {
    meta: c.meta,
    transport: c.transport,
    address: c.address,
    framing: c.framing,
    mode: c.mode,
    size: c.size,
    scenarios: [clientScenario(c)],
  };
}

/** A client run of several sizes (client --size with a list): one scenario per block, `rtt` at each size. */
export function clientSizesCompared(blocks: readonly ClientReport[]): ComparedRun {
  const c = blocks[0];
  return { meta: c.meta, transport: c.transport, address: c.address, framing: c.framing, mode: c.mode, size: null, scenarios: blocks.map(clientScenario) };
}

function clientScenario(c: ClientReport): ComparedScenario {
  return { name: 'rtt', size: c.size, connections: 1, pipeline: 1, rate: c.rate, partial: c.partial, throughputPerSec: c.throughputPerSec, latencyUs: c.latencyUs };
}

/** The name a scenario pairs by: its tag (or `rtt`), and its size when `sized`. */
export function nameOf(s: ComparedScenario, run: ComparedRun, sized: boolean): string {
  const base = s.name ?? scenarioTag(s);
  return sized ? `${base}-${sizeTag(scenarioSize(s, run))}` : base;
}

/** Whether a run's scenarios have more than one size. */
export const hasSizes = (run: ComparedRun) => new Set(run.scenarios.map((s) => scenarioSize(s, run))).size > 1;

/** The figures a comparison can be made at: latency percentiles (microseconds), max, and throughput (msg/s). */
export const FIGURES = ['p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'throughput'] as const;
export type Figure = (typeof FIGURES)[number];

export const DEFAULT_FIGURES: readonly Figure[] = ['p50', 'p99', 'p99.9', 'throughput'];
export const DEFAULT_MAX_REGRESSION_PCT = 10;

const LATENCY_KEY: Readonly<Record<Exclude<Figure, 'throughput'>, keyof LatencyUs>> = LATENCY_KEYS;

export interface FigureComparison {
  figure: Figure;
  /** Null when that run measured no reply in the scenario. */
  baseline: number | null;
  new: number | null;
  /** NEW / BASELINE; null when either is missing or BASELINE is 0. */
  ratio: number | null;
  /** How much worse NEW is, percent of BASELINE: latency up, throughput down; negative when better. */
  worsePct: number | null;
  /** NEW is worse than BASELINE by more than the allowed regression (or measured nothing where BASELINE did). */
  regression: boolean;
}

export interface ScenarioComparison {
  scenario: string;
  /** The baseline scenario's size. */
  size: number;
  connections: number;
  pipeline: number;
  rate: number | null;
  /** Interrupted in that run: its figures cover a shorter window. */
  partial: { baseline: boolean; new: boolean };
  figures: FigureComparison[];
}

export interface Regression {
  scenario: string;
  figure: Figure;
  worsePct: number | null;
}

export interface Comparison {
  maxRegressionPct: number;
  /** The figures compared and gated on (`--at`), in order. */
  at: Figure[];
  scenarios: ScenarioComparison[];
  /** Scenarios found in one run only, by tag. */
  unmatched: { baseline: string[]; new: string[] };
  /** What differs between the two runs' workloads besides the scenarios (framing, mode, size, transport): compared anyway, but said. */
  differences: string[];
  regressions: Regression[];
}

/** A comparison, or why the two runs cannot be compared. */
export type CompareResult = { ok: true; comparison: Comparison } | { ok: false; reason: string };

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** A scenario's value at `figure`, or null when it measured no reply. */
export function figureOf(s: ComparedScenario, figure: Figure): number | null {
  if (figure === 'throughput') return s.throughputPerSec;
  return s.latencyUs === null ? null : s.latencyUs[LATENCY_KEY[figure]];
}

/**
 * One figure of one scenario. Latency is worse when higher, throughput when
 * lower; beyond `maxPct` percent of BASELINE it is a regression. NEW with
 * nothing measured where BASELINE measured something is a regression too;
 * BASELINE with nothing measured leaves nothing to regress from.
 */
export function compareFigure(figure: Figure, baseline: number | null, next: number | null, maxPct: number): FigureComparison {
  if (baseline === null || next === null) return { figure, baseline, new: next, ratio: null, worsePct: null, regression: baseline !== null };
  const higherIsWorse = figure !== 'throughput';
  const ratio = baseline === 0 ? null : next / baseline;
  const worsePct = ratio === null ? null : (higherIsWorse ? ratio - 1 : 1 - ratio) * 100;
  const regression = higherIsWorse ? next > baseline * (1 + maxPct / 100) : next < baseline * (1 - maxPct / 100);
  return { figure, baseline, new: next, ratio: ratio === null ? null : round(ratio, 4), worsePct: worsePct === null ? null : round(worsePct, 2), regression };
}

/**
 * Compare NEW with BASELINE at `figures`, allowing `maxRegressionPct`.
 * Scenarios pair by (connections, pipeline, rate), in order when a run
 * repeats one; the comparison is refused when none pair.
 */
export function compareRuns(baseline: ComparedRun, next: ComparedRun, figures: readonly Figure[], maxRegressionPct: number): CompareResult {
  const sized = hasSizes(baseline) || hasSizes(next);
  const waiting = new Map<string, ComparedScenario[]>();
  for (const s of next.scenarios) {
    const tag = nameOf(s, next, sized);
    waiting.set(tag, [...(waiting.get(tag) ?? []), s]);
  }
  const scenarios: ScenarioComparison[] = [];
  const unmatchedBaseline: string[] = [];
  for (const b of baseline.scenarios) {
    const tag = nameOf(b, baseline, sized);
    const n = waiting.get(tag)?.shift();
    if (n === undefined) {
      unmatchedBaseline.push(tag);
      continue;
    }
    scenarios.push({
      scenario: tag,
      size: scenarioSize(b, baseline),
      connections: b.connections,
      pipeline: b.pipeline,
      rate: b.rate,
      partial: { baseline: b.partial, new: n.partial },
      figures: figures.map((f) => compareFigure(f, figureOf(b, f), figureOf(n, f), maxRegressionPct)),
    });
  }
  const left = new Set([...waiting.values()].flat());
  const unmatchedNew = next.scenarios.filter((s) => left.has(s)).map((s) => nameOf(s, next, sized));
  if (scenarios.length === 0) {
    const list = (tags: string[]) => (tags.length === 0 ? 'none' : tags.join(', '));
    return { ok: false, reason: `no scenario matches: BASELINE ran ${list(unmatchedBaseline)}; NEW ran ${list(unmatchedNew)}` };
  }
  const regressions = scenarios.flatMap((s) => s.figures.filter((f) => f.regression).map((f) => ({ scenario: s.scenario, figure: f.figure, worsePct: f.worsePct })));
  return {
    ok: true,
    comparison: {
      maxRegressionPct,
      at: [...figures],
      scenarios,
      unmatched: { baseline: unmatchedBaseline, new: unmatchedNew },
      differences: workloadDifferences(baseline, next, sized),
      regressions,
    },
  };
}

/** What the two runs did differently besides their scenarios, each as `name BASELINE -> NEW`; the size is not, when scenarios pair by it (`sized`). */
export function workloadDifferences(baseline: ComparedRun, next: ComparedRun, sized: boolean): string[] {
  const fields: Array<[string, (r: ComparedRun) => unknown]> = [
    ['framing', (r) => r.framing],
    ['mode', (r) => r.mode],
    ...(sized ? [] : [['size', (r: ComparedRun) => r.size] as [string, (r: ComparedRun) => unknown]]),
    ['transport', (r) => r.transport],
  ];
  return fields.filter(([, get]) => get(baseline) !== get(next)).map(([name, get]) => `${name} ${String(get(baseline))} -> ${String(get(next))}`);
}
