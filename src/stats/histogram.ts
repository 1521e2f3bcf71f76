/**
 * Latency histograms: nanoseconds in, HdrHistogram (WebAssembly build: about
 * 22 ns a record here, against about 125 ns for the JS build), microseconds
 * out only when reporting.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

let wasmReady: Promise<void> | null = null;

/** Load the WebAssembly module once; await before `createHistogram`. */
export function initHistograms(): Promise<void> {
  wasmReady ??= hdr.initWebAssembly();
  return wasmReady;
}

/**
 * A histogram of nanosecond values, 3 significant digits (1 ns resolution up
 * to 2 us, 10 ns up to 20 us, ...), growing as needed. WebAssembly memory is
 * not collected by the GC: call `destroy()` when done.
 */
export function createHistogram(): Histogram {
  return hdr.build({
    useWebAssembly: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000_000,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

/** Latency summary in microseconds, as printed and as in `--json`. */
export interface LatencyUs {
  min: number;
  mean: number;
  stdev: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  p99_99: number;
  max: number;
}

const us = (ns: number): number => Math.round(ns) / 1000;

/** Summarise a nanosecond histogram in microseconds (three decimals: nanosecond resolution). Null when empty. */
export function summarize(h: Histogram): LatencyUs | null {
  if (h.totalCount === 0) return null;
  // A percentile is reported as the top of its bucket; never let it pass the true maximum.
  const at = (p: number) => us(Math.min(h.getValueAtPercentile(p), h.maxValue));
  return {
    min: us(h.minNonZeroValue),
    mean: us(h.mean),
    stdev: us(h.stdDeviation),
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p99_9: at(99.9),
    p99_99: at(99.99),
    max: us(h.maxValue),
  };
}

/**
 * The HdrHistogram percentile-distribution text (`.hgrm`) that standard
 * plotters read, values in microseconds. Written by the library's
 * JavaScript build, from a copy: the WebAssembly build's own output steps
 * backwards now and then (a value lower than the one before it, at a higher
 * percentile: in half of 300 random histograms), while the JavaScript
 * build's percentile iterator walks the buckets in value order, so its
 * values never decrease, by construction (test/hgrm.test.ts checks it over
 * random histograms). Report time only: never on the hot path.
 */
export function toHgrm(h: Histogram): string {
  const copy = hdr.decodeFromCompressedBase64(hdr.encodeIntoCompressedBase64(h), 64, false);
  try {
    return copy.outputPercentileDistribution(5, 1000);
  } finally {
    copy.destroy();
  }
}

/**
 * A run's histograms as `--json` carries them, in HdrHistogram's standard
 * encoding (compressed base64, values in nanoseconds; hdr-histogram-js
 * `decodeFromCompressedBase64`, or any HdrHistogram implementation, reads
 * them back), so that a saved report can be rebuilt, merged or compared.
 */
export interface EncodedHistograms {
  /** The measured window: the latency whose percentiles are `latencyUs`. */
  latency: string;
  /** With a rate (open loop): the uncorrected latency (`uncorrectedUs`). */
  uncorrected: string | null;
  /** One per --interval, in order; their sum is `latency`. Times are milliseconds since the epoch; `errors` counts wrong replies and lost requests. */
  intervals: Array<{ startMs: number; endMs: number; latency: string; uncorrected: string | null; errors: number }>;
}

/** One closed interval, encoded for `EncodedHistograms.intervals`. */
export function encodeInterval(iv: { startMs: number; endMs: number; latency: Histogram; uncorrected: Histogram | null; errors: number }): EncodedHistograms['intervals'][number] {
  return {
    startMs: iv.startMs,
    endMs: iv.endMs,
    latency: encodeHistogram(iv.latency),
    uncorrected: iv.uncorrected === null ? null : encodeHistogram(iv.uncorrected),
    errors: iv.errors,
  };
}

/** Serialise for another thread or process (compressed base64), and back. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, true);
}

/** Encoded histograms added into one (histograms add exactly; percentiles do not average), encoded. */
export function sumEncoded(encoded: readonly string[]): string {
  const sum = createHistogram();
  try {
    for (const e of encoded) {
      const h = decodeHistogram(e);
      sum.add(h);
      h.destroy();
    }
    return encodeHistogram(sum);
  } finally {
    sum.destroy();
  }
}
