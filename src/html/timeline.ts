/**
 * A timeline's points from kept intervals, drawn as they happened: each
 * interval at its real end, its rate over its real length.
 *
 * A run's last interval is whatever was left when it stopped: a few
 * milliseconds holding a handful of messages (`Tag=c1-p1-closed,1.589,0.006`
 * in an hlog). Drawn as an interval of its own, it ends every line in a
 * fall to nearly nothing and a p50 ten times the rest: a collapse that never
 * happened, only a sample too small to say anything. So an interval shorter
 * than a quarter of the run's interval is folded into the one before it (the
 * histograms added, the rate over both lengths together), which is what the
 * run did over that time. A run shorter than one interval has no interval
 * before its only one: that one is drawn alone, as a point. The totals are
 * not touched: folding only regroups what the page plots.
 *
 *     kept      |----1 s----|----1 s----|-|      (the last: 6 ms)
 *     drawn     |----1 s----|-----1.006 s--|
 */
import { decodeHistogram, sumEncoded } from '../stats/histogram.js';
import type { IntervalLog, LogInterval } from '../stats/merge.js';

/** One interval of a timeline: its end (seconds from the run's first interval's start), figures in microseconds, rate, errors. */
export interface TimelinePoint {
  endS: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  msgPerS: number;
  /** Wrong replies and lost requests in the interval; null when the source does not say (an interval log). */
  errors: number | null;
}

/** An interval as kept in a --json report: wall-clock ms since the epoch, the latency histogram (nanoseconds, compressed base64). */
export interface KeptInterval {
  startMs: number;
  endMs: number;
  latency: string;
  errors?: number | null;
}

/** Shorter than this share of the run's interval, an interval is a fragment: folded into the one before it. */
export const FRAGMENT_SHARE = 0.25;

/**
 * Fold each fragment (shorter than FRAGMENT_SHARE of `intervalMs`) into the
 * interval just before it, when that one ends where the fragment starts (a
 * gap between them would be counted as time the run was sending). A fragment
 * with nothing before it stays: it is drawn as a point.
 */
export function foldFragments<T>(intervals: readonly T[], intervalMs: number, span: (iv: T) => { startMs: number; endMs: number }, fold: (before: T, fragment: T) => T): T[] {
  const limit = FRAGMENT_SHARE * intervalMs;
  const out: T[] = [];
  for (const iv of intervals) {
    const { startMs, endMs } = span(iv);
    const before = out.at(-1);
    if (before !== undefined && endMs - startMs < limit && Math.abs(startMs - span(before).endMs) < limit) out[out.length - 1] = fold(before, iv);
    else out.push(iv);
  }
  return out;
}

/** Timeline points from a --json report's intervals, its fragments folded (`intervalMs`: the run's --interval). */
export function pointsOf(intervals: readonly KeptInterval[], intervalMs: number): TimelinePoint[] {
  const folded = foldFragments(
    intervals,
    intervalMs,
    (iv) => iv,
    (a, b): KeptInterval => ({ startMs: a.startMs, endMs: b.endMs, latency: sumEncoded([a.latency, b.latency]), errors: a.errors == null || b.errors == null ? null : a.errors + b.errors }),
  );
  const origin = folded[0]?.startMs ?? 0;
  return folded.map((iv) => {
    const h = decodeHistogram(iv.latency);
    try {
      const n = h.totalCount;
      const at = (p: number) => (n === 0 ? null : Math.min(h.getValueAtPercentile(p), h.maxValue) / 1000);
      const seconds = (iv.endMs - iv.startMs) / 1000;
      return {
        endS: (iv.endMs - origin) / 1000,
        p50: at(50),
        p99: at(99),
        max: n === 0 ? null : h.maxValue / 1000,
        msgPerS: seconds > 0 ? Math.round(n / seconds) : 0,
        errors: iv.errors ?? null,
      };
    } finally {
      h.destroy();
    }
  });
}

/** An interval log with each tag's fragments folded into the interval before, by the log's own interval length (`intervalMs`). */
export function foldLog(log: IntervalLog, intervalMs: number): IntervalLog {
  const intervals: LogInterval[] = [];
  for (const tag of log.tags) {
    const folded = foldFragments(
      log.intervals.filter((iv) => iv.tag === tag),
      intervalMs,
      (iv) => ({ startMs: iv.startMs, endMs: iv.startMs + iv.lengthMs }),
      (a, b): LogInterval => ({ ...a, lengthMs: b.startMs + b.lengthMs - a.startMs, encoded: sumEncoded([a.encoded, b.encoded]) }),
    );
    intervals.push(...folded);
  }
  intervals.sort((a, b) => a.startMs - b.startMs || a.line - b.line);
  return { ...log, intervals };
}
