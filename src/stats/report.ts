/** Formatting shared by the client and the benchmark reports. Functions that return strings. */
import type { LatencyUs } from './histogram.js';

/** Microseconds with sub-microsecond resolution. */
export function fmtUs(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  return v < 100 ? v.toFixed(2) : v < 10_000 ? v.toFixed(1) : v.toFixed(0);
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtPct(p: number | null): string {
  return p === null ? '-' : `${p.toFixed(3)}%`;
}

/** Two lines: the spread, then the percentiles; `label` starts the first, the second is indented to match. */
export function formatLatency(l: LatencyUs | null, label: string): string[] {
  if (l === null) return [`${label}no measured round trips`];
  const indent = ' '.repeat(label.length);
  return [
    `${label}min ${fmtUs(l.min)}  mean ${fmtUs(l.mean)}  stdev ${fmtUs(l.stdev)}  max ${fmtUs(l.max)}`,
    `${indent}p50 ${fmtUs(l.p50)}  p90 ${fmtUs(l.p90)}  p99 ${fmtUs(l.p99)}  p99.9 ${fmtUs(l.p99_9)}  p99.99 ${fmtUs(l.p99_99)}`,
  ];
}

/**
 * Whether a run missed its latency target: p99 above `--target-us`. A share
 * under the target (`underTargetPct`) of 97% reads as a pass at a glance;
 * p99 is the figure that says the target was not held for one message in a
 * hundred. It does not fail the run (exit status is for wrong, lost or late
 * replies and `--slo`): the verdict names it next to "every reply right".
 */
export function overTarget(l: LatencyUs | null, targetUs: number): boolean {
  return l !== null && l.p99 > targetUs;
}

/** Share of `part` in `whole` as a percentage, or null when there is nothing to share. */
export function pct(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 100_000) / 1000;
}

/**
 * One live line for a closed interval (stderr, `--interval`): who, how far
 * into the measured phase, the rate and latency of that interval alone
 * (microseconds), and its errors. `count` is the messages measured in it.
 */
export function formatIntervalLine(label: string, elapsedS: number, durationS: number, count: number, l: LatencyUs | null, errors: number): string {
  const rate = durationS > 0 ? count / durationS : 0;
  const figures = l === null ? 'no replies' : `p50 ${fmtUs(l.p50)}  p99 ${fmtUs(l.p99)}  p99.9 ${fmtUs(l.p99_9)}  max ${fmtUs(l.max)} us`;
  return `${label}  ${elapsedS.toFixed(1).padStart(6)} s  ${fmtInt(rate).padStart(11)} msg/s  ${figures}  errors ${fmtInt(errors)}`;
}
