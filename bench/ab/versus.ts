/**
 * bench/ab.ts's answer to "is B better than A?": each side after the first
 * against the first, figure by figure, with the statistics of `benchmark
 * ab` (src/results/noise-compare.ts): B/A, the Hodges-Lehmann estimate with
 * Moses' exact 95% interval over the rounds, the verdict in words, a drift
 * across the rounds in the order they ran, and the outlying rounds (shown,
 * never dropped). Data first (versus), then text (formatVersus).
 */
import { DEFAULT_NOISE_THRESHOLD_PCT, METHOD, type NoisyFigure, noisyFigure } from '../../src/results/noise-compare.js';
import type { Figure } from '../../src/results/compare.js';
import { type SideNames, verdictWords } from '../../src/results/noise-text.js';
import { CONFIDENCE, mosesRank } from '../../src/stats/noise.js';
import { fmtUs } from '../../src/stats/report.js';
import { intervalText } from '../lib.js';
import type { Plan } from './plan.js';
import type { Row } from './run.js';

/** One figure of a row, as the summary names it and as the verdict words say it. */
interface Measure {
  name: string;
  /** The phrase after the verb: `sockets slower at p50 by ...`. */
  at: string;
  /**
   * The Figure noisyFigure reads its direction from: higher is worse for
   * every figure here, as for a latency percentile, so the CPU and GC rows
   * borrow `max`'s (never printed: `name` and `at` are).
   */
  figure: Figure;
  value: (r: Row) => number;
  fmt: (v: number) => string;
  /** Counts, where a round may have none (a 0 has no ratio). */
  count: boolean;
  /** The verdict's verbs: a time is slower or faster; CPU and counts higher or lower. */
  verbs: { worse: string; better: string };
}

const cpu = (v: number) => v.toFixed(2);
const whole = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

const TIME = { worse: 'slower', better: 'faster' };
const AMOUNT = { worse: 'higher', better: 'lower' };

export const MEASURES: readonly Measure[] = [
  { name: 'p50 us', at: 'at p50', figure: 'p50', value: (r) => r.latency.p50, fmt: fmtUs, count: false, verbs: TIME },
  { name: 'p99 us', at: 'at p99', figure: 'p99', value: (r) => r.latency.p99, fmt: fmtUs, count: false, verbs: TIME },
  { name: 'p99.9 us', at: 'at p99.9', figure: 'p99.9', value: (r) => r.latency.p99_9, fmt: fmtUs, count: false, verbs: TIME },
  { name: 'CPU us/rt', at: 'in CPU per round trip', figure: 'max', value: (r) => r.cpuUsPerTrip, fmt: cpu, count: false, verbs: AMOUNT },
  { name: 'client GCs', at: 'in client GCs', figure: 'max', value: (r) => r.clientGcs, fmt: whole, count: true, verbs: AMOUNT },
  { name: 'server GCs', at: 'in server GCs', figure: 'max', value: (r) => r.serverGc.count, fmt: whole, count: true, verbs: AMOUNT },
];

export interface VersusFigure {
  measure: Measure;
  noisy: NoisyFigure;
}

/** Side `b` against side `a` (the first): both sides' rounds of every measure. */
export interface Versus {
  a: string;
  b: string;
  /** Rounds of each side. */
  rounds: { a: number; b: number };
  figures: VersusFigure[];
}

/**
 * Each side after the first against the first, from the rows in the order
 * they ran. bench/ab.ts gates nothing, so no interval is a regression
 * (the limit is infinite); the noise threshold is `benchmark ab`'s.
 */
export function versus(plan: Plan, rows: readonly Row[]): Versus[] {
  const first = plan.sides[0].label;
  return plan.sides.slice(1).map(({ label }) => {
    const mine = rows.filter((r) => r.label === first || r.label === label);
    const ofA = mine.filter((r) => r.label === first);
    const ofB = mine.filter((r) => r.label === label);
    const seen = { a: 0, b: 0 };
    const order = mine.map((r) => {
      const side = r.label === first ? ('a' as const) : ('b' as const);
      return { side, i: seen[side]++ };
    });
    const options = { at: [], maxRegressionPct: Number.POSITIVE_INFINITY, noiseThresholdPct: DEFAULT_NOISE_THRESHOLD_PCT, level: CONFIDENCE };
    const figures = MEASURES.map((m) => ({ measure: m, noisy: noisyFigure(m.figure, ofA.map(m.value), ofB.map(m.value), order, { ...options, skipEmpty: m.count }) }));
    return { a: first, b: label, rounds: { a: ofA.length, b: ofB.length }, figures };
  });
}

/** Positive values of a side: those a ratio can be taken of. */
const positive = (values: ReadonlyArray<number | null>) => values.filter((v): v is number => v !== null && v > 0).length;

/** The ratio and its interval, `1.043 [1.01, 1.08]`, or why there is none. */
function ratioCell(f: VersusFigure): string {
  const e = f.noisy.estimate;
  if (e === null) return '-';
  return `${e.ratio.toFixed(3)} ${intervalText(e, Math.min(positive(f.noisy.a.values), positive(f.noisy.b.values)))}`;
}

/** The verdict in words; for counts, what a round with none means. */
function verdictCell(v: Versus, f: VersusFigure, names: SideNames): string {
  const { a, b } = f.noisy;
  const none = (values: ReadonlyArray<number | null>) => values.length - positive(values);
  if (f.measure.count && f.noisy.verdict === 'unmeasured') {
    if (none(a.values) === a.values.length && none(b.values) === b.values.length) return 'none on either side';
    return `no ratio: ${none(a.values) === a.values.length ? v.a : v.b} had none in every round`;
  }
  const words = verdictWords(f.noisy, f.measure.at, names, DEFAULT_NOISE_THRESHOLD_PCT, f.measure.verbs);
  const left = none(a.values) + none(b.values);
  return left > 0 && f.noisy.verdict !== 'unmeasured' ? `${words} (${left} round${left === 1 ? '' : 's'} with none left out: a 0 has no ratio)` : words;
}

/** Drift and outlying rounds of one comparison, one line each. */
function notes(v: Versus): string[] {
  const lines: string[] = [];
  for (const { measure: m, noisy: f } of v.figures) {
    if (f.drift !== null) {
      const pct = (f.drift.change - 1) * 100;
      const way = `${pct >= 0 ? 'rose' : 'fell'} ${Math.abs(pct).toFixed(1)}%`;
      lines.push(
        `drift: ${m.name} ${way} from the first round to the last, both sides alike (Mann-Kendall p = ${f.drift.p.toFixed(3)}): the machine changed during the runs, and the interval is wider for it`,
      );
    }
    const outlying = (label: string, s: NoisyFigure['a']) =>
      s.outliers.map((i) => `${label} round ${i + 1} at ${m.name}, ${m.fmt(s.values[i]!)} against a median of ${s.median === null ? '-' : m.fmt(s.median)}`);
    const out = [...outlying(v.a, f.a), ...outlying(v.b, f.b)];
    if (out.length > 0) lines.push(`outlying rounds, kept in the figures: ${out.join('; ')}`);
  }
  return lines;
}

/**
 * The comparisons as text: per side after the first, a line saying what is
 * compared and how, a row per figure (each side's median, B/A with its
 * interval or why there is none, the verdict in words), then any drift and
 * outlying rounds.
 */
export function formatVersus(plan: Plan, rows: readonly Row[]): string {
  const blocks = versus(plan, rows).map((v) => {
    const names: SideNames = { a: v.a, b: v.b, run: 'round' };
    const { confidence } = mosesRank(v.rounds.a, v.rounds.b, CONFIDENCE);
    const exact = confidence === null ? 'too few rounds for one' : `${(confidence * 100).toFixed(1)}% exactly`;
    const head = `${v.b} (B) against ${v.a} (A): B/A over ${v.rounds.a} and ${v.rounds.b} rounds, 95% intervals (${exact}): ${METHOD}`;
    const table = [['figure', `${v.a} median`, `${v.b} median`, 'B/A [95% interval]', 'verdict']];
    for (const f of v.figures) {
      const med = (s: NoisyFigure['a']) => (s.median === null ? '-' : f.measure.fmt(s.median));
      table.push([f.measure.name, med(f.noisy.a), med(f.noisy.b), ratioCell(f), verdictCell(v, f, names)]);
    }
    const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
    const lines = table.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  '));
    return [head, ...lines, ...notes(v)].join('\n');
  });
  return blocks.join('\n\n');
}
