/**
 * The load generator: one thread's share of one run (a benchmark scenario,
 * or the client's probe): its connections, their schedule, their histograms.
 *
 * Closed loop: each connection keeps `pipeline` requests in flight and sends
 * a new one for every reply; latency runs from the write to the reply.
 *
 * Open loop: sends follow a fixed schedule over all connections of all
 * threads, and latency runs from when each message was due (schedule.ts).
 *
 * A run goes through its phases: warm-up, the measured window, a drain that
 * waits for what is still in flight, done. The benchmark moves them on
 * timers; the client counts round trips (LoadSpec.warmupCount, count),
 * checked at each reply's moment with nothing in flight (LoadState.quiet).
 * What happens per message (the ring in flight, counts, histograms) is in
 * connection.ts and state.ts; this file holds the run around it.
 *
 * An interrupt (stop) moves the same phases along early, from the signal's
 * path, so that nothing is checked per message: the window closes at once
 * and keeps its real length; what is in flight gets a short drain, and what
 * is still unanswered after it is counted `unanswered`, not lost (the load
 * stopped waiting; the server did not fail). Stopped during a timed warm-up,
 * the run ends with nothing measured; during a counted one, the round trip
 * in flight is drained as in the window, since the client reports warm-up
 * round trips too.
 */
import { nowNs } from '../stats/clock.js';
import type { LoadConnection } from './connection.js';
import { openConnections } from './open.js';
import { Schedule } from './schedule.js';
import type { LoadResult, LoadSpec, WindowHooks } from './spec.js';
import { DONE, DRAIN, LoadState, MEASURE, WARMUP } from './state.js';

/** How often lost replies are looked for and progress is reported. */
const WATCH_MS = 100;
/** After an interrupt, the longest wait for replies still in flight (or --timeout-ms, if shorter): a working server answers in microseconds. */
const STOP_DRAIN_MS = 1000;
/** The longest the window's CPU sample waits for the drain after the window (Load.measured). */
const MEASURED_WAIT_MS = 200;
/** Spinning (LoadSpec.spin): an interval due with nothing in flight closes at once only if the next send is further away than this, ns; else after the next reply. */
const CLOSE_ROOM_NS = 5_000_000;

/** One thread's part of a run, from connecting to the last reply. */
export class Load extends LoadState {
  readonly conns: LoadConnection[] = [];
  private readonly timeoutNs: number;
  /** Open loop: sends that no reply triggers; null for closed loop. */
  private readonly schedule: Schedule | null;
  private alive = 0;
  /** Requests sent by the connections before the measured window opened. */
  private sentBefore = 0;
  /** The window's end has been sampled (measured). */
  private sampled = false;
  private timers: NodeJS.Timeout[] = [];
  private done!: () => void;
  readonly finished = new Promise<void>((resolve) => {
    this.done = resolve;
  });

  private readonly window: WindowHooks;

  constructor(spec: LoadSpec, window: WindowHooks = {}) {
    super(spec, window.onInterval ?? null);
    if (this.counting && (spec.connections !== 1 || spec.pipeline !== 1)) throw new RangeError('a load counted in round trips has one connection with one request in flight');
    this.window = window;
    this.timeoutNs = spec.timeoutMs * 1e6;
    this.schedule = spec.rate === null ? null : new Schedule(this, this.conns, spec.rate, spec.totalConnections, spec.spin === true);
  }

  /** Open every connection (open.ts). Rejects when one cannot connect. */
  async connect(): Promise<void> {
    try {
      await openConnections(this, this.conns);
    } catch (err) {
      this.close();
      throw err;
    }
    this.alive = this.conns.length;
  }

  /** Start sending: warm-up, then the measured window, then wait for what is still in flight. */
  run(onProgress?: (replies: number) => void): Promise<void> {
    // Already over: every connection was lost while connecting (a server that
    // is stopping closes them), or a stop came first. Start nothing: a timer
    // started now would never be cleared and would keep the process alive.
    if (this.phase === DONE) return this.finished;
    this.settleBeforeSending();
    this.now = nowNs();
    const warmup = this.spec.warmupCount ?? this.spec.warmupS;
    // No warm-up: the window opens before the first send, which it measures (the young generation emptied first, which moves `now` on).
    if (warmup === 0) this.beginMeasure(this.now);
    else if (this.spec.warmupCount !== undefined) this.mark = warmup;
    else this.timers.push(setTimeout(() => this.beginMeasure(nowNs()), this.spec.warmupS * 1000));
    const watch = setInterval(() => {
      this.watch();
      onProgress?.(this.replies);
    }, WATCH_MS);
    this.timers.push(watch);
    if (this.schedule !== null) this.schedule.start(this.now);
    else for (const c of this.conns) c.refill();
    return this.finished;
  }

  private beginMeasure(now: number): void {
    if (this.phase !== WARMUP) return;
    now = this.settledClock(now);
    this.phase = MEASURE;
    this.measureStart = now;
    this.sentBefore = this.sends();
    const count = this.spec.count;
    // Opened by a count (the client's --warmup), with a rate: the messages due before this reply
    // and not sent yet are the window's first, as every request after the warm-up is; their wait is the server's.
    this.recordFrom = count !== undefined && this.schedule !== null ? Math.min(now, this.schedule.nextDue()) : now;
    this.counting = count !== undefined;
    this.awaitQuiet = this.quietEveryReply;
    this.mark = count === undefined ? Infinity : this.replies + count;
    this.intervals.start(now, count === undefined ? this.spec.durationS * 1e9 : Infinity);
    this.window.onMeasure?.();
    if (count === undefined) this.timers.push(setTimeout(() => this.endMeasure(nowNs(), true), this.spec.durationS * 1000));
  }

  /**
   * The window closes at `end` (ns): nothing new is sent, and what is in
   * flight drains. Only the clock is read here; the work of the window's end
   * (the CPU sample, the last interval) waits for the drain (finish), so
   * that no reply in flight is charged for it. `early`: closed by time or a
   * stop, not by a count, so messages due by then and never sent are behind.
   */
  private endMeasure(end: number, early: boolean): void {
    if (this.phase !== MEASURE) return;
    this.measureEnd = end;
    this.schedule?.end(); // what is due by the end may still go (unless an interval holds the sends); what cannot is behind
    this.phase = DRAIN;
    this.held = true;
    this.awaitQuiet = true;
    this.counts.sent = this.sends() - this.sentBefore;
    this.counts.durationNs = this.measureEnd - this.measureStart;
    if (this.schedule !== null && early) this.counts.behind += this.schedule.behind(this.measureStart, this.measureEnd);
    if (this.inFlight === 0) this.finish();
    // A drain that outlasts a moment (a reply lost at the end) would spread the window's CPU over idle time: sample it then.
    else this.timers.push(setTimeout(this.measured, MEASURED_WAIT_MS));
  }

  /** Requests sent so far by every connection, warm-up included. */
  private sends(): number {
    let n = 0;
    for (const c of this.conns) n += c.sent;
    return n;
  }

  /** The window's end is sampled (CPU use): once, as its drain ends or MEASURED_WAIT_MS after the window, whichever is first. */
  private readonly measured = (): void => {
    if (this.sampled) return;
    this.sampled = true;
    this.window.onMeasured?.();
  };

  protected countReached(): void {
    if (this.phase === WARMUP) this.beginMeasure(this.now);
    else this.endMeasure(this.now, false);
  }

  protected roomToClose(now: number): boolean {
    return this.spec.spin !== true || this.schedule === null || this.schedule.nextDue() - now > CLOSE_ROOM_NS;
  }

  /** Close the interval that is due at `now` (ns), then send again from a fresh clock: the close is in no round trip's time. */
  protected closeInterval(now: number): void {
    this.intervals.closeDue(now);
    this.intervalDue = false;
    this.awaitQuiet = this.quietEveryReply;
    const held = this.held;
    this.held = false;
    const t = nowNs();
    this.now = t;
    if (!held) return;
    for (const c of this.conns) {
      if (this.open) c.sendDue();
      else c.refill();
    }
  }

  /**
   * Stop early (an interrupt): close the measured window now, give what is
   * in flight a short drain, then abandon it as unanswered. Idempotent; a
   * stop after the window has closed only shortens the drain.
   */
  stop(): void {
    if (this.phase === DONE || this.stopping) return;
    this.stopping = true;
    if (this.phase === WARMUP) {
      this.counts.interrupted = true;
      // Nothing measured yet: what is in flight was warm-up traffic, unless warm-up round trips are counted.
      if (this.spec.warmupCount === undefined || this.inFlight === 0) {
        this.finish();
        return;
      }
      this.phase = DRAIN;
      this.held = true;
      this.awaitQuiet = true;
      this.sampled = true; // no window to sample
    }
    if (this.phase === MEASURE) {
      this.counts.interrupted = true;
      this.endMeasure(nowNs(), true);
    }
    const drainMs = Math.min(this.spec.stopDrainMs ?? STOP_DRAIN_MS, this.spec.timeoutMs);
    if (this.phase === DRAIN) this.timers.push(setTimeout(() => this.abandon(), drainMs));
  }

  /** The drain after a stop is over: what is still in flight is unanswered. */
  private abandon(): void {
    for (const c of this.conns) {
      this.counts.unanswered += c.outstanding();
      c.inFlight = 0;
    }
    this.inFlight = 0;
    this.finish();
  }

  /**
   * Time out the requests that have waited longer than the timeout: a
   * stream connection fails, a UDP one counts them lost and goes on
   * (LoadConnection.timedOut). In open loop, an interval that has waited a quarter interval
   * for a moment with nothing in flight (a server that cannot keep up)
   * holds the sends, as closed loop does at once, so that its close still
   * falls between round trips; the messages due meanwhile are charged the
   * wait.
   */
  private watch(): void {
    const now = nowNs();
    if (this.intervalDue && this.phase === MEASURE && now - this.dueSince > this.spec.intervalS * 250e6) this.held = true;
    for (const c of this.conns) {
      if (!c.dead && c.inFlight > 0 && now - c.sentAt[c.head] > this.timeoutNs) c.timedOut(now);
    }
  }

  onConnectionLost(): void {
    if (this.awaitQuiet && this.inFlight === 0) {
      this.now = nowNs();
      this.quiet();
    }
    if (--this.alive > 0 || this.phase === DONE) return;
    // Every connection is gone: nothing more can happen.
    if (this.phase === WARMUP) this.beginMeasure(nowNs());
    if (this.phase === MEASURE) this.endMeasure(nowNs(), true);
    this.finish();
  }

  finish(): void {
    if (this.phase === DONE) return;
    const measured = this.phase === DRAIN;
    this.phase = DONE;
    this.counts.failure ??= this.mismatch;
    if (measured) this.measured();
    this.intervals.stop(nowNs()); // the last, partial interval: the totals are complete from here
    this.close();
    this.done();
  }

  /** Clear the timers and close every connection (connected or not yet). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.schedule?.stop();
    for (const c of this.conns) c.close();
  }

  result(): LoadResult {
    return { ...this.counts, latency: this.latency, uncorrected: this.uncorrected, sendLag: this.sendLag };
  }

  /** Free the histograms (WebAssembly memory) when the result is not handed on. */
  destroy(): void {
    this.latency.destroy();
    this.uncorrected?.destroy();
    this.sendLag?.destroy();
    this.intervals.destroy();
  }
}
