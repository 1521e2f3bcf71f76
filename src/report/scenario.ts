/**
 * The words a benchmark report is written in: a scenario (a load held for a
 * while), its tag, the presets a run can name, and the latency figures that
 * service-level objectives and comparisons refer to. The benchmark's options
 * (src/benchmark/options.ts) parse into these; reports, the HTML page and
 * the saved-results commands read them back.
 */
import type { LatencyUs } from '../stats/histogram.js';

/** One row of the report: a load held for a while. */
export interface Scenario {
  connections: number;
  pipeline: number;
  /** Messages per second in total; null for closed loop. */
  rate: number | null;
  /** Payload bytes of each message (sockperf framing: the whole message). */
  size: number;
  warmupS: number;
  durationS: number;
}

/**
 * A scenario's name in file names and `--hlog` tags: `c50-p16-closed`,
 * `c10-p1-r10000` (no spaces or commas); in a run of several sizes, with
 * its `size`: `c50-p16-closed-64B`. A run of one size keeps the short
 * name (its size is the run's), as it was before runs could have several.
 */
export function scenarioTag(s: Pick<Scenario, 'connections' | 'pipeline' | 'rate'>, size: number | null = null): string {
  return `c${s.connections}-p${s.pipeline}-${s.rate === null ? 'closed' : `r${s.rate}`}${size === null ? '' : `-${sizeTag(size)}`}`;
}

/** A size as tags name it: `64B`, `16384B` (plain bytes: a tag is read back and compared as text). */
export const sizeTag = (size: number): string => `${size}B`;

/** The distinct sizes of `items` in their first order: one for a run of one size. */
export function sizesOf(items: ReadonlyArray<{ size: number }>): number[] {
  const out: number[] = [];
  for (const { size } of items) if (!out.includes(size)) out.push(size);
  return out;
}

/** The named scenario matrices (`--preset`); their rows are in src/benchmark/options.ts. */
export const PRESETS = ['light', 'medium', 'heavy', 'stress'] as const;
export type Preset = (typeof PRESETS)[number];

/** Latency figures as written on the command line (`--slo`, `compare --at`), and where they are in a latency summary. */
export const LATENCY_KEYS = {
  mean: 'mean',
  p50: 'p50',
  p90: 'p90',
  p99: 'p99',
  'p99.9': 'p99_9',
  'p99.99': 'p99_99',
  max: 'max',
} as const satisfies Record<string, keyof LatencyUs>;

/** One service-level objective (`--slo p99=1000`). */
export interface SloLimit {
  /** As written: `p99.9`. */
  name: string;
  key: keyof LatencyUs;
  /** Microseconds. */
  limitUs: number;
}
