/**
 * Interval histograms at no cost per message. The hot path records each
 * reply into the current interval's histogram only, one record as before;
 * a timer (once a second by default) closes the interval: it adds the
 * interval into the run's total, hands the interval to whoever watches
 * (live lines, `--hlog`), and resets it for the next one. The end of the run
 * closes the last partial interval the same way, so the total holds every
 * recorded value, exactly as if it had been recorded into directly.
 *
 *     reply -> current.recordValue()          (per message, unchanged cost)
 *     tick  -> total.add(current); sink(current); current.reset()
 *
 * Both run in the one event-loop thread, so no reply can fall between the
 * add and the reset (which is why hdr-histogram-js's Recorder, built for a
 * writer on another thread, is not needed).
 */
import { nowNs, wallMs } from './clock.js';
import { createHistogram, type Histogram } from './histogram.js';

/** One closed interval. Its histograms are valid only during the sink's call: copy or encode what is kept. */
export interface Interval {
  /** Wall clock, ms since the epoch. */
  startMs: number;
  endMs: number;
  /** Seconds from the start of the measured phase to the end of this interval. */
  elapsedS: number;
  /** Latency, ns (corrected, in open loop). */
  latency: Histogram;
  /** Open loop: from the actual send, ns. */
  uncorrected: Histogram | null;
  /** Wrong replies and lost requests during the interval. */
  errors: number;
}

export type IntervalSink = (interval: Interval) => void;

/** Default interval, seconds (`--interval`). */
export const DEFAULT_INTERVAL_S = 1;

/** The current interval's histograms, the totals they are added into, and the timer that closes them. */
export class IntervalRecorder {
  /** Record here per message (latency, ns). */
  readonly current = createHistogram();
  /** Open loop: record the uncorrected latency here. */
  readonly currentUncorrected: Histogram | null;
  private readonly total: Histogram;
  private readonly totalUncorrected: Histogram | null;
  private readonly periodMs: number;
  private readonly sink: IntervalSink | null;
  private readonly errors: () => number;
  private timer: NodeJS.Timeout | null = null;
  private startNs = 0;
  private beganNs = 0;
  private errorsAtStart = 0;
  private running = false;

  /** `errors` reads the run's error count so far (wrong + lost), at each tick. */
  constructor(total: Histogram, totalUncorrected: Histogram | null, periodS: number, sink: IntervalSink | null, errors: () => number) {
    this.total = total;
    this.totalUncorrected = totalUncorrected;
    this.currentUncorrected = totalUncorrected === null ? null : createHistogram();
    this.periodMs = periodS * 1000;
    this.sink = sink;
    this.errors = errors;
  }

  /** The measured phase begins at `now`: the first interval opens. */
  start(now: number): void {
    if (this.running) return;
    this.running = true;
    this.startNs = this.beganNs = now;
    this.errorsAtStart = this.errors();
    this.timer = setInterval(this.tick, this.periodMs);
  }

  private readonly tick = (): void => {
    this.close(nowNs());
  };

  /** Close the current interval at `now` and open the next one. */
  private close(now: number): void {
    this.total.add(this.current);
    if (this.totalUncorrected !== null) this.totalUncorrected.add(this.currentUncorrected!);
    const errors = this.errors();
    if (this.sink !== null) {
      this.sink({
        startMs: wallMs(this.startNs),
        endMs: wallMs(now),
        elapsedS: (now - this.beganNs) / 1e9,
        latency: this.current,
        uncorrected: this.currentUncorrected,
        errors: errors - this.errorsAtStart,
      });
    }
    this.current.reset();
    this.currentUncorrected?.reset();
    this.startNs = now;
    this.errorsAtStart = errors;
  }

  /**
   * The run is over (or interrupted): stop the timer and close the last,
   * partial interval, so that the totals are complete. Idempotent; a run
   * whose measured phase never began has nothing to close.
   */
  stop(now: number): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (!this.running) return;
    this.running = false;
    this.close(now);
  }

  /** Free the interval histograms (WebAssembly memory); the totals are the owner's. */
  destroy(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.current.destroy();
    this.currentUncorrected?.destroy();
  }
}
