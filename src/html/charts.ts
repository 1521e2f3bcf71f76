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
 *
 * A rounds chart is one figure of repeated runs (`benchmark ab`'s rounds):
 * x is the round number, each side a line of points, so that a trend across
 * the rounds (drift) and a round far from the rest (an outlier) show.
 *
 * Each chart also says what its legend shows with no point under the cursor
 * (a still page, and after the cursor leaves), where uPlot would print its
 * "--" placeholder: a spectrum's series at p99, a timeline's last interval,
 * a rounds chart's medians.
 */

import { decodeHistogram } from '../stats/histogram.js';
import type { TimelinePoint } from './timeline.js';

/** Points per decade of 1/(1-p): smooth to the eye, small in the page. */
const PER_DECADE = 24;

/** How a series is drawn: its colour, its dash, whether faint, which run it belongs to. */
export interface SeriesStyle {
  /** Index into the page's palette (assets/report.js); -1 red (SLO points, errors), -2 grey (the rate). */
  colour: number;
  /** Index into the page's dash patterns; 0 or absent: a solid line. */
  dash?: number;
  /** Drawn thinner and paler: the uncorrected latency of an open-loop run, beside its corrected one. */
  faint?: boolean;
  /** The run the series belongs to, on a page of several runs: the legend groups the series by it. */
  group?: string;
}

export interface ChartSeries extends SeriesStyle {
  label: string;
  /** One value per x; null where the series has no value (a gap). */
  values: Array<number | null>;
  /** The legend's figure with no point under the cursor: the spectrum's p99 (an SLO point: its limit), the timeline's last interval; null: none. */
  still: number | null;
  /** The legend's figure at each x, where it is not the drawn value: the errors series draws no mark for none, its legend says 0. */
  shown?: Array<number | null>;
  /** Timeline and rounds: which axis (latency in microseconds, messages per second, or error marks). */
  scale?: 'us' | 'rate' | 'errors';
}

export interface ChartData {
  kind: 'spectrum' | 'timeline' | 'rounds';
  title: string;
  x: number[];
  series: ChartSeries[];
  /** Spectrum: the latency target in microseconds, drawn as a line; null for none. */
  targetUs: number | null;
  /** The x that the series' `still` figures are at: 1/(1-p) = 100 (p99) on a spectrum, the last interval's end on a timeline; on a rounds chart none (they are medians): 0. */
  stillX: number;
}

/** A histogram to plot on a spectrum, and how. */
export interface SpectrumInput extends SeriesStyle {
  label: string;
  /** Compressed base64 (HdrHistogram's encoding), nanoseconds. */
  histogram: string;
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
function sample(encoded: string): { count: number; p99: number | null; at: (x: number) => number | null; free: () => void } {
  const h = decodeHistogram(encoded);
  const count = h.totalCount;
  const max = h.maxValue;
  return {
    count,
    // What the line reads at 99% (x = 100): with fewer than 100 values, its last point, the maximum.
    p99: count === 0 ? null : Math.min(h.getValueAtPercentile(99), max) / 1000,
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
    const series: ChartSeries[] = inputs.map(({ histogram: _, ...style }, i) => ({ ...style, values: x.map((v) => samples[i].at(v)), still: samples[i].p99 }));
    for (const p of slo) {
      const at = xOf(p.p, top);
      series.push({ label: `SLO ${p.name} ${p.us} us`, values: x.map((v) => (v === at ? p.us : null)), still: p.us, colour: -1 });
    }
    return { kind: 'spectrum', title, x, series, targetUs, stillX: xOf(99, top) };
  } finally {
    for (const s of samples) s.free();
  }
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
  const last = points.at(-1);
  const series: ChartSeries[] = [
    { label: 'p50', values: points.map((p) => p.p50), still: last?.p50 ?? null, colour: P50, scale: 'us' },
    { label: 'p99', values: points.map((p) => p.p99), still: last?.p99 ?? null, colour: P99, scale: 'us' },
    { label: 'max', values: points.map((p) => p.max), still: last?.max ?? null, colour: MAX, scale: 'us', dash: 1 },
    { label: 'msg/s', values: points.map((p) => p.msgPerS), still: last?.msgPerS ?? null, colour: -2, scale: 'rate' },
  ];
  if (points.some((p) => p.errors !== null && p.errors > 0)) {
    const values = points.map((p) => (p.errors !== null && p.errors > 0 ? p.errors : null));
    series.push({ label: 'errors', values, shown: points.map((p) => p.errors), still: last?.errors ?? null, colour: -1, scale: 'errors' });
  }
  return { kind: 'timeline', title, x, series, targetUs: null, stillX: last?.endS ?? 0 };
}

/** One side of a rounds chart: its value in each round (null: nothing measured), its median, its outlying rounds (0-based). */
export interface RoundsInput extends SeriesStyle {
  label: string;
  values: ReadonlyArray<number | null>;
  median: number | null;
  outliers: readonly number[];
}

/**
 * One figure over the rounds: x is the round number from 1, a series per
 * side, and for a side with outlying rounds a series of red marks at them
 * (they stay in the figures: the marks only point them out). `unit`: the
 * latency axis (microseconds, log) or the rate's (messages per second).
 */
export function roundsChart(title: string, unit: 'us' | 'rate', sides: readonly RoundsInput[]): ChartData {
  const n = Math.max(0, ...sides.map((s) => s.values.length));
  const x = Array.from({ length: n }, (_, i) => i + 1);
  const series: ChartSeries[] = [];
  for (const { values, median, outliers, ...style } of sides) {
    const at = (i: number) => values[i] ?? null;
    series.push({ ...style, values: x.map((_, i) => at(i)), still: median, scale: unit });
    if (outliers.length > 0) {
      const marked = x.map((_, i) => (outliers.includes(i) ? at(i) : null));
      series.push({ label: `${style.label} outlying`, group: style.group, values: marked, still: null, colour: -1, scale: unit });
    }
  }
  return { kind: 'rounds', title, x, series, targetUs: null, stillX: 0 };
}
