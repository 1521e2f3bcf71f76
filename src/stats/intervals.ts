/**
 * Interval histograms at no cost per message. The hot path records each
 * reply into the current interval's histogram only, one record as before;
 * a timer (once a second by default) says that the interval is due, and its
 * owner closes it at the next moment nothing is in flight: it adds the
 * interval into the run's total, hands the interval to whoever watches
 * (live lines, `--hlog`), and resets it for the next one. The end of the run
 * closes the last interval the same way, so the total holds every recorded
 * value, exactly as if it had been recorded into directly.
 *
 *     reply -> current.recordValue()          (per message, unchanged cost)
 *     tick  -> due = true; owner.onDue()      (the owner holds its sends)
 *     quiet -> total.add(current); sink(current); current.reset()
 *
 * Why not close at the tick itself: closing (adding, encoding, writing a
 * log line) takes from microseconds to milliseconds the first time, and a
 * timer fires whenever it likes, so a round trip in flight would be charged
 * for it: `client -d 1 --json` recorded its largest latency, 6-10 ms against
 * a p50 of 40 us, in exactly that message (test/interval-timing.test.ts).
 * So the owner (Load, src/load: the client's and the benchmark's) closes the
 * interval as the last reply in flight is recorded, and reads the clock
 * afresh before it sends again. In closed loop it sends nothing new once
 * the interval is due, so that moment comes within a round trip. In open
 * loop it keeps to its schedule (a message held back would be charged the
 * wait) and takes the first moment nothing is in flight; when none has
 * come within a quarter interval (a server that cannot keep up), it holds
 * its sends too until one does.
 *
 * A window of known length (`--duration`) takes no tick within a quarter
 * interval of its end: that interval ends with the window instead, rather
 * than leaving a fragment of a few milliseconds after it.
 *
 * Everything runs in the one event-loop thread, so no reply can fall between
 * the add and the reset (which is why hdr-histogram-js's Recorder, built for
 * a writer on another thread, is not needed).
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
  /**
   * Which interval of the window this is, from 1: the number of the tick
   * that made it due (the next one, for the last). The threads of one
   * scenario number theirs alike, whenever each closed it, so that the n-th
   * of one is merged with the n-th of the others (src/benchmark/thread-intervals.ts).
   */
  index: number;
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
  private readonly periodNs: number;
  private readonly sink: IntervalSink | null;
  private readonly errors: () => number;
  private readonly onDue: () => void;
  private timer: NodeJS.Timeout | null = null;
  /** The number of the next tick, from 1: it comes at the window's start plus that many periods. */
  private nextTick = 1;
  /** The number of the last tick that came: the index of the interval it made due. */
  private dueTick = 0;
  /** A tick has come and the interval awaits its close (closeDue). */
  private due = false;
  /** No tick from here on (ns): the window's end less a quarter interval. */
  private lastTickNs = Infinity;
  private startNs = 0;
  private beganNs = 0;
  private errorsAtStart = 0;
  private running = false;

  /**
   * `errors` reads the run's error count so far (wrong + lost), at each
   * close. `onDue` is called at each tick, with `due` set: the owner holds
   * its sends (closed loop), and calls closeDue once nothing is in flight.
   */
  constructor(total: Histogram, totalUncorrected: Histogram | null, periodS: number, sink: IntervalSink | null, errors: () => number, onDue: () => void) {
    this.total = total;
    this.totalUncorrected = totalUncorrected;
    this.currentUncorrected = totalUncorrected === null ? null : createHistogram();
    this.periodNs = periodS * 1e9;
    this.sink = sink;
    this.errors = errors;
    this.onDue = onDue;
    // Changed once before any code is optimised against them: the first tick does not deoptimise its readers (LoadState's constructor says why).
    this.due = true;
    this.due = false;
    this.dueTick = this.nextTick = 2;
    this.dueTick = 0;
    this.nextTick = 1;
  }

  /** The measured phase begins at `now` (ns): the first interval opens. `lengthNs`: how long it will last, when known (`--duration`). */
  start(now: number, lengthNs = Infinity): void {
    if (this.running) return;
    this.running = true;
    this.startNs = this.beganNs = now;
    this.lastTickNs = now + lengthNs - this.periodNs / 4;
    this.errorsAtStart = this.errors();
    this.arm();
  }

  /** Wait for the next tick, aimed at its absolute time: the ticks do not drift with the timers' lateness. */
  private arm(): void {
    const at = this.beganNs + this.nextTick * this.periodNs;
    this.timer = at >= this.lastTickNs ? null : setTimeout(this.tick, Math.max(0, (at - nowNs()) / 1e6));
  }

  private readonly tick = (): void => {
    this.dueTick = this.nextTick++;
    this.arm();
    if (this.due) return; // the last one still waits for a moment with nothing in flight: it will cover both
    this.due = true;
    this.onDue();
  };

  /** Close the interval that is due, at `now`: the time of the last reply, with nothing in flight. The caller reads the clock afresh before it sends again. */
  closeDue(now: number): void {
    this.due = false;
    if (this.running) this.close(now, this.dueTick);
  }

  /** Close the current interval at `now` as interval number `index`, and open the next one. */
  private close(now: number, index: number): void {
    this.total.add(this.current);
    if (this.totalUncorrected !== null) this.totalUncorrected.add(this.currentUncorrected!);
    const errors = this.errors();
    if (this.sink !== null) {
      this.sink({
        startMs: wallMs(this.startNs),
        endMs: wallMs(now),
        elapsedS: (now - this.beganNs) / 1e9,
        index,
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
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.due = false;
    if (!this.running) return;
    this.running = false;
    // Numbered as the tick that would have come next: the same in every thread of a scenario.
    this.close(now, this.nextTick);
  }

  /** Free the interval histograms (WebAssembly memory); the totals are the owner's. */
  destroy(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.current.destroy();
    this.currentUncorrected?.destroy();
  }
}
