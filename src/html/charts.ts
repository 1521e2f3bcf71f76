/**
 * The charts of an HTML report as plain data, computed here from the kept
 * histograms so that the page only draws (assets/report.js, with uPlot).
 *
 * The spectrum is HdrHistogram's percentile plot: x is 1/(1-p), on a log
 * scale, so that 90%, 99%, 99.9%, 99.99% and 99.999% are evenly spaced
 * decades (10, 100, 1 000, ...) and the tail gets the room it deserves; y is
 * the latency at that percentile in microseconds. Every series of one chart
 * is sampled on one grid (uPlot draws aligned data): 24 points a decade, up
 * to the largest count, plus each series' own last point (its maximum) and
 * the SLO points. A series stops where its own samples do: past 1/(1-p) = N
 * a histogram of N values has nothing more to say, so its maximum is drawn
 * there, as HdrHistogram's plots put 100% at their last point.
 */

import { decodeHistogram } from '../stats/histogram.js';

/** Points per decade of 1/(1-p): smooth to the eye, small in the page. */
const PER_DECADE = 24;

export interface ChartSeries {
  label: string;
  /** One value per x; null where the series has no value (a gap). */
  values: Array<number | null>;
  /** Index into the page's palette: the series of one run and scenario share it. */
  colour: number;
  /** Dashed: the uncorrected latency of an open-loop run. */
  dashed?: boolean;
  /** Timeline: which axis (latency in microseconds, messages per second, or error marks). */
  scale?: 'us' | 'rate' | 'errors';
}

export interface ChartData {
  kind: 'spectrum' | 'timeline';
  title: string;
  x: number[];
  series: ChartSeries[];
  /** Spectrum: the latency target in microseconds, drawn as a line; null for none. */
  targetUs: number | null;
}

/** A histogram to plot on a spectrum, and how. */
export interface SpectrumInput {
  label: string;
  /** Compressed base64 (HdrHistogram's encoding), nanoseconds. */
  histogram: string;
  colour: number;
  dashed?: boolean;
}

/** An SLO limit drawn as a point on the spectrum: `p` in percent (100 for max). */
export interface SloPoint {
  name: string;
  p: number;
  us: number;
}

/** x = 1/(1-p) for p in percent, rounded so that 99.9% is 1000, not 1000.0000000000568; the maximum (100%) is drawn at the largest count's end. */
const xOf = (p: number, top: number): number => (p >= 100 ? top : Number((100 / (100 - p)).toPrecision(12)));

/** A decoded histogram (the WebAssembly build, as the tables': initHistograms() first) and its values at a grid. */
function sample(encoded: string): { count: number; at: (x: number) => number | null; free: () => void } {
  const h = decodeHistogram(encoded);
  const count = h.totalCount;
  const max = h.maxValue;
  return {
    count,
    // The top of a bucket may pass the true maximum: never draw past it. The series ends at x = N with
    // the maximum, as HdrHistogram's plots end theirs at 100%. Nanoseconds to microseconds.
    at: (x) => (x > count || count === 0 ? null : x === count ? max / 1000 : Math.min(h.getValueAtPercentile(100 * (1 - 1 / x)), max) / 1000),
    free: () => h.destroy(),
  };
}

/** One spectrum chart: every input on the shared grid, and the SLO points as a series of marks. */
export function spectrumChart(title: string, inputs: SpectrumInput[], slo: SloPoint[], targetUs: number | null): ChartData {
  const samples = inputs.map((i) => sample(i.histogram));
  try {
    const top = Math.max(1, ...samples.map((s) => s.count));
    const grid = new Set<number>();
    const steps = Math.ceil(Math.log10(top) * PER_DECADE);
    for (let i = 0; i <= steps; i++) grid.add(Math.min(top, 10 ** (i / PER_DECADE)));
    for (const s of samples) if (s.count > 0) grid.add(s.count);
    for (const p of slo) grid.add(xOf(p.p, top));
    const x = [...grid].sort((a, b) => a - b);
    const series: ChartSeries[] = inputs.map((input, i) => ({
      label: input.label,
      values: x.map((v) => samples[i].at(v)),
      colour: input.colour,
      dashed: input.dashed === true ? true : undefined,
    }));
    for (const p of slo) {
      const at = xOf(p.p, top);
      series.push({ label: `SLO ${p.name} ${p.us} us`, values: x.map((v) => (v === at ? p.us : null)), colour: -1 });
    }
    return { kind: 'spectrum', title, x, series, targetUs };
  } finally {
    for (const s of samples) s.free();
  }
}

/** One interval of a timeline: its end (seconds from the run's first interval), figures in microseconds, rate, errors. */
export interface TimelinePoint {
  endS: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  msgPerS: number;
  /** Wrong replies and lost requests in the interval; null when the source does not say (an interval log). */
  errors: number | null;
}

/** Fixed colours of a timeline's series (the page's palette): p50, p99, max. */
const P50 = 0;
const P99 = 1;
const MAX = 3;

/**
 * The timeline of one run of one scenario: per interval, p50, p99 and max
 * (microseconds, log scale), messages per second (right axis), and a mark
 * where the interval had errors.
 */
export function timelineChart(title: string, points: TimelinePoint[]): ChartData {
  const x = points.map((p) => p.endS);
  const series: ChartSeries[] = [
    { label: 'p50', values: points.map((p) => p.p50), colour: P50, scale: 'us' },
    { label: 'p99', values: points.map((p) => p.p99), colour: P99, scale: 'us' },
    { label: 'max', values: points.map((p) => p.max), colour: MAX, scale: 'us', dashed: true },
    { label: 'msg/s', values: points.map((p) => p.msgPerS), colour: -2, scale: 'rate' },
  ];
  if (points.some((p) => p.errors !== null && p.errors > 0)) {
    series.push({ label: 'errors', values: points.map((p) => (p.errors !== null && p.errors > 0 ? p.errors : null)), colour: -1, scale: 'errors' });
  }
  return { kind: 'timeline', title, x, series, targetUs: null };
}

/** Timeline points from kept intervals (encoded histograms, times in ms since the epoch). */
export function pointsOf(intervals: ReadonlyArray<{ startMs: number; endMs: number; latency: string; errors?: number | null }>): TimelinePoint[] {
  const origin = intervals[0]?.startMs ?? 0;
  return intervals.map((iv) => {
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
