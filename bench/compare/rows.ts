/**
 * What a comparison collects, as it is written to JSON: the sections it can
 * measure, one row per measurement, the ratios against the targets and the
 * context ratios. Measuring fills these in (measure.ts, targets.ts);
 * printing only reads them (report.ts).
 */

/**
 * The parts of the comparison, in the order they run; `--only` picks a subset.
 * latency: sockperf's pair against ours, both placements, in rounds;
 * gc: GC events and pause per 1 000 000 round trips in our server (start-up
 *     included) and client (measured phase), fixed and echo, TCP and Unix socket;
 * memory: server RSS per idle connection;
 * throughput: redis-benchmark and bin/benchmark (--framing resp), each against redis-server and our server (--framing resp);
 * sizes: latency against message size, sockperf's and ours, TCP, Unix socket and UDP.
 */
export const SECTIONS = ['latency', 'gc', 'memory', 'throughput', 'sizes'] as const;
export type Section = (typeof SECTIONS)[number];

/** "same": every process on CPU 0; "split": servers on CPU 0, clients on CPU 1. */
export type Placement = 'same' | 'split';
export const PLACEMENTS: readonly Placement[] = ['same', 'split'];

/** Microseconds, full round trip. */
export interface Latency {
  p50: number;
  p99: number;
  p99_9: number;
  p99_99: number;
  max: number;
}

/** GC in one run of 1 000 000 round trips (scaled to that): events and total pause, and of them those run with nothing in flight. */
export interface Garbage {
  events: number;
  pauseMs: number;
  quiet: number;
  quietPauseMs: number;
}

export interface Row {
  id: string;
  what: string;
  placement: Placement | null;
  /** Size rows: bytes per message, header included. */
  size?: number;
  /** The median over the rounds of each percentile. */
  latency?: Latency;
  /** Each round's figures, in order. */
  rounds?: Latency[];
  /** GC rows: the median over the rounds, and each round's figures. */
  garbage?: Garbage;
  garbageRounds?: Garbage[];
  throughputPerSec?: number;
  value?: number;
  unit?: string;
}

/**
 * How sure a ratio of two latency rows is, from each round's figure of
 * each side: the Hodges-Lehmann estimate of B/A with Moses' exact interval
 * (src/stats/noise.ts), B the row over, A the row under.
 */
export interface RoundsInterval {
  /** Rounds of each side. */
  rounds: { a: number; b: number };
  /** The Hodges-Lehmann estimate (the ratio printed is that of the medians, as the targets are judged). */
  estimate: number;
  /** The interval's bounds; null when the rounds are too few for one (4 a side are the fewest at 95%). */
  low: number | null;
  high: number | null;
  /** The level the interval reaches exactly (at least 0.95); null without one. */
  confidence: number | null;
  /** Two-sided Mann-Whitney p-value that the sides are alike. */
  p: number;
}

export interface Ratio {
  target: string;
  placement: Placement | null;
  value: number;
  limit: number;
  /** 'max': value must be <= limit; 'min': >= limit. */
  kind: 'max' | 'min';
  /** By `value`, the ratio of the medians. */
  met: boolean;
  /** Ratios of two rows measured in rounds (latency): the interval over the rounds. Absent for one measurement a side (throughput) or one side (GC, memory). */
  interval?: RoundsInterval;
  /** Where the whole interval lies against the limit: within it, beyond it, or across it; absent without an interval. */
  against?: 'within' | 'beyond' | 'straddles';
}

/** A ratio printed for context, with no target. */
export interface Context {
  what: string;
  placement: Placement | null;
  value: number;
  /** As Ratio's. */
  interval?: RoundsInterval;
}

/** One run, exactly as written to the JSON file. */
export interface Comparison {
  started: string;
  quick: boolean;
  rounds: number;
  node: string;
  cpus: number;
  /** Present only when `--only` left sections out, so a partial file says so. */
  sections?: Section[];
  rows: Row[];
  ratios: Ratio[];
  context: Context[];
}
