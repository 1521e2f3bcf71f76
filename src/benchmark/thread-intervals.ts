/**
 * The intervals of a scenario run over worker threads (run.ts): each
 * thread sends its own, encoded, and they are merged here interval by
 * interval into the scenario's.
 */
import { createHistogram, decodeHistogram, type Histogram } from '../stats/histogram.js';
import type { Interval, IntervalSink } from '../stats/intervals.js';

/** An interval as a worker thread sends it: times, errors, and its histograms encoded. */
export interface EncodedInterval {
  startMs: number;
  endMs: number;
  elapsedS: number;
  index: number;
  latency: string;
  uncorrected: string | null;
  errors: number;
}

/**
 * The threads' intervals merged, the n-th of each thread with the n-th of
 * the others (Interval.index: each thread numbers its intervals by its own
 * ticks, which start as its window opens, so these are within a moment of
 * each other). An interval is handed on once every thread has sent it or
 * one after it (a thread whose close waited past a tick covers two in one),
 * which keeps them in order; at the end, what is left goes with what it has.
 */
export class IntervalMerger {
  private readonly pending = new Map<number, { interval: Interval }>();
  /** The index of each thread's last interval. */
  private readonly seen: number[];
  private readonly sink: IntervalSink | null;

  constructor(threads: number, sink: IntervalSink | null) {
    this.sink = sink;
    this.seen = new Array<number>(threads).fill(0);
  }

  add(thread: number, m: EncodedInterval): void {
    if (this.sink === null) return;
    const n = m.index;
    this.seen[thread] = n;
    let p = this.pending.get(n);
    if (p === undefined) {
      const interval: Interval = {
        startMs: m.startMs,
        endMs: m.endMs,
        elapsedS: m.elapsedS,
        index: n,
        latency: createHistogram(),
        uncorrected: m.uncorrected === null ? null : createHistogram(),
        errors: 0,
      };
      p = { interval };
      this.pending.set(n, p);
    }
    const iv = p.interval;
    iv.startMs = Math.min(iv.startMs, m.startMs);
    iv.endMs = Math.max(iv.endMs, m.endMs);
    iv.elapsedS = Math.max(iv.elapsedS, m.elapsedS);
    iv.errors += m.errors;
    addEncoded(iv.latency, m.latency);
    addEncoded(iv.uncorrected, m.uncorrected);
    const upTo = Math.min(...this.seen);
    for (const k of [...this.pending.keys()].sort((a, b) => a - b)) if (k <= upTo) this.emit(k);
  }

  /** The run is over: hand on what is left, in order. */
  flush(): void {
    for (const n of [...this.pending.keys()].sort((a, b) => a - b)) this.emit(n);
  }

  private emit(n: number): void {
    const { interval } = this.pending.get(n)!;
    this.pending.delete(n);
    try {
      this.sink!(interval);
    } finally {
      interval.latency.destroy();
      interval.uncorrected?.destroy();
    }
  }
}

/** Add an encoded histogram (from a worker) into `into`. */
export function addEncoded(into: Histogram | null, encoded: string | null): void {
  if (into === null || encoded === null) return;
  const h = decodeHistogram(encoded);
  into.add(h);
  h.destroy();
}
