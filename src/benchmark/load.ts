/**
 * The load generator: one thread's share of one scenario. Its connections,
 * their send schedule, and the histograms their replies fill.
 *
 * Closed loop: each connection keeps `pipeline` requests in flight and sends
 * a new one for every reply; latency runs from the write to the reply.
 *
 * Open loop: sends follow a fixed schedule over all connections of all
 * threads, and latency runs from when each message was due (schedule.ts).
 *
 * A run goes through its phases on timers: warm-up, the measured window,
 * a drain that waits for what is still in flight, done. What happens per
 * message (the ring of requests in flight, the counts and histograms) is in
 * connection.ts; this file holds the run around it.
 *
 * An interrupt (stop) moves the same phases along early, from the signal's
 * path, so that nothing is checked per message: the window closes at once
 * and keeps its real length; what is in flight gets a short drain, and what
 * is still unanswered after it is counted `unanswered`, not lost (the
 * benchmark stopped waiting; the server did not fail). Stopped during the
 * warm-up, the run ends with nothing measured.
 */
import type { RequestSpec } from '../protocol/exchange.js';
import { type Target, connectTo } from '../io/connect.js';
import { nowNs } from '../stats/clock.js';
import type { Histogram } from '../stats/histogram.js';
import type { IntervalSink } from '../stats/intervals.js';
import { requestWriters } from './requests.js';
import { createWriter } from '../io/writes.js';
import type { IoPath } from '../io/binding.js';
import { DONE, DRAIN, LoadConnection, LoadState, MEASURE, WARMUP } from './connection.js';
import { Schedule } from './schedule.js';

export interface LoadSpec extends RequestSpec {
  target: Target;
  /** Connections this thread opens. */
  connections: number;
  /** Index of this thread's first connection among all of the scenario's (staggers the open-loop schedule). */
  firstConnection: number;
  /** Connections of the whole scenario, all threads. */
  totalConnections: number;
  /** Most requests in flight per connection. */
  pipeline: number;
  /** Messages per second for the whole scenario, all threads; null for closed loop. */
  rate: number | null;
  warmupS: number;
  durationS: number;
  timeoutMs: number;
  maxFrame: number;
  targetUs: number;
  /** Seconds per interval histogram. */
  intervalS: number;
  /** The I/O path the program chose (`--io`); a worker thread makes the same choice (worker.ts). */
  io: IoPath;
}

/** Plain counts, as they cross from a worker thread. */
export interface LoadCounts {
  /** Requests written during the measured window. */
  sent: number;
  /** Replies received during the measured window (throughput). */
  completed: number;
  /** Replies recorded in the histogram: right replies to requests of the measured window. */
  messages: number;
  underTarget: number;
  /** Replies that did not match the request. */
  wrong: number;
  /** Requests never answered: timed out, or their connection was closed. */
  lost: number;
  /** Of `lost`: those in flight on a connection the server closed or reset (as a server does when it is stopped). */
  dropped: number;
  /** After an interrupt: requests still in flight when the benchmark stopped waiting for them. */
  unanswered: number;
  /** Open loop: messages due in the measured window that were never sent. */
  behind: number;
  durationNs: number;
  /** The window was cut short by an interrupt (stop), or never opened. */
  interrupted: boolean;
  /** The first thing that went wrong, other than the server closing a connection. */
  failure: string | null;
  /** The first connection the server closed or reset, if it did. */
  droppedBy: string | null;
  /** A guess at the cause of a protocol error in the replies, from its bytes (framingHint): another framing, HTTP. */
  framingHint: string | null;
}

/** Counts of nothing yet: a thread's at its start, and the sum's before the threads are added. */
export function noCounts(): LoadCounts {
  return {
    sent: 0,
    completed: 0,
    messages: 0,
    underTarget: 0,
    wrong: 0,
    lost: 0,
    dropped: 0,
    unanswered: 0,
    behind: 0,
    durationNs: 0,
    interrupted: false,
    failure: null,
    droppedBy: null,
    framingHint: null,
  };
}

export interface LoadResult extends LoadCounts {
  /** Latency in ns; for open loop, from when each message was due. The caller destroys it. */
  latency: Histogram;
  /** Open loop: latency from the actual send. */
  uncorrected: Histogram | null;
  /** Open loop: how late each send left, ns. */
  sendLag: Histogram | null;
}

/** Called as the measured window opens and closes (CPU use is sampled there), and as each interval closes. */
export interface WindowHooks {
  onMeasure?(): void;
  onMeasured?(): void;
  /** Each interval of the window, and after it the drain's replies, the last one partial (its histograms valid only during the call). */
  onInterval?: IntervalSink;
}

/** One read buffer per thread, shared by its connections: each read is decoded in full before the next. */
const READ_BUFFER = 64 * 1024;
/** Connections opened at once; more could overflow the server's accept backlog. */
const CONNECT_BATCH = 128;
/** How often lost replies are looked for and progress is reported. */
const WATCH_MS = 100;
/** After an interrupt, the longest wait for replies still in flight (or --timeout-ms, if shorter): a working server answers in microseconds. */
const STOP_DRAIN_MS = 1000;
/** The longest the window's CPU sample waits for the drain after the window (Load.measured). */
const MEASURED_WAIT_MS = 200;

/** One thread's part of a scenario, from connecting to the last reply. */
export class Load extends LoadState {
  readonly conns: LoadConnection[] = [];
  private readonly timeoutNs: number;
  /** Open loop: sends that no reply triggers; null for closed loop. */
  private readonly schedule: Schedule | null;
  private alive = 0;
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
    this.window = window;
    this.timeoutNs = spec.timeoutMs * 1e6;
    this.schedule = spec.rate === null ? null : new Schedule(this.conns, spec.rate, spec.totalConnections);
  }

  /** Open every connection (Nagle off, replies read into one shared buffer). Rejects when one cannot connect. */
  async connect(): Promise<void> {
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER);
    const writerFor = requestWriters(this.exchange.request, this.exchange.sockperf, this.spec.pipeline);
    for (let i = 0; i < this.spec.connections; i++) this.conns.push(new LoadConnection(this, this.spec.firstConnection + i, writerFor()));
    try {
      for (let i = 0; i < this.conns.length; i += CONNECT_BATCH) {
        await Promise.all(
          this.conns.slice(i, i + CONNECT_BATCH).map(async (c) => {
            c.socket = await connectTo(this.spec.target, { buffer: readBuffer, callback: (n) => c.onRead(readBuffer, n) });
            c.out = createWriter(c.socket);
            c.socket.on('error', (err) => c.fail(`connection lost: ${err.message}`, true));
            c.socket.on('end', () => c.fail('the server closed the connection', true));
            c.socket.on('close', () => c.fail('the server closed the connection', true));
          }),
        );
      }
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
    const t0 = nowNs();
    if (this.schedule !== null) this.schedule.start(t0);
    else for (const c of this.conns) c.refill(t0);
    const watch = setInterval(() => {
      this.watch();
      onProgress?.(this.replies);
    }, WATCH_MS);
    this.timers.push(watch);
    if (this.spec.warmupS > 0) this.timers.push(setTimeout(() => this.beginMeasure(), this.spec.warmupS * 1000));
    else this.beginMeasure();
    return this.finished;
  }

  private beginMeasure(): void {
    if (this.phase !== WARMUP) return;
    this.phase = MEASURE;
    this.measureStart = nowNs();
    this.intervals.start(this.measureStart, this.spec.durationS * 1e9);
    this.window.onMeasure?.();
    this.timers.push(setTimeout(() => this.endMeasure(), this.spec.durationS * 1000));
  }

  /**
   * The window closes: nothing new is sent, and what is in flight drains.
   * Only the clock is read here; the work of the window's end (the CPU
   * sample, the last interval) waits for the drain (finish), so that no
   * reply in flight is charged for it.
   */
  private endMeasure(): void {
    if (this.phase !== MEASURE) return;
    this.measureEnd = nowNs();
    this.schedule?.end(); // what is due by the end may still go (unless an interval holds the sends); what cannot is behind
    this.phase = DRAIN;
    this.held = true;
    this.awaitQuiet = true;
    this.counts.durationNs = this.measureEnd - this.measureStart;
    if (this.schedule !== null) this.counts.behind += this.schedule.behind(this.measureStart, this.measureEnd);
    if (this.inFlight === 0) this.finish();
    // A drain that outlasts a moment (a reply lost at the end) would spread the window's CPU over idle time: sample it then.
    else this.timers.push(setTimeout(this.measured, MEASURED_WAIT_MS));
  }

  /** The window's end is sampled (CPU use): once, as its drain ends or MEASURED_WAIT_MS after the window, whichever is first. */
  private readonly measured = (): void => {
    if (this.sampled) return;
    this.sampled = true;
    this.window.onMeasured?.();
  };

  quiet(): void {
    if (this.phase >= DRAIN) {
      this.finish();
      return;
    }
    this.closeInterval(this.now);
  }

  /** Close the interval that is due at `now` (ns), then send again from a fresh clock: the close is in no round trip's time. */
  private closeInterval(now: number): void {
    this.intervals.closeDue(now);
    this.awaitQuiet = false;
    const held = this.held;
    this.held = false;
    const t = nowNs();
    this.now = t;
    if (!held) return;
    for (const c of this.conns) {
      if (this.open) c.sendDue(t);
      else c.refill(t);
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
      // Nothing measured yet: what is in flight was warm-up traffic.
      this.counts.interrupted = true;
      this.finish();
      return;
    }
    if (this.phase === MEASURE) {
      this.counts.interrupted = true;
      this.endMeasure();
    }
    if (this.phase === DRAIN) this.timers.push(setTimeout(() => this.abandon(), Math.min(STOP_DRAIN_MS, this.spec.timeoutMs)));
  }

  /** The drain after a stop is over: what is still in flight is unanswered. */
  private abandon(): void {
    for (const c of this.conns) {
      this.counts.unanswered += c.inFlight;
      c.inFlight = 0;
    }
    this.inFlight = 0;
    this.finish();
  }

  /**
   * Fail connections whose oldest request has waited longer than the
   * timeout. In open loop, an interval that has waited a quarter interval
   * for a moment with nothing in flight (a server that cannot keep up)
   * holds the sends, as closed loop does at once, so that its close still
   * falls between round trips; the messages due meanwhile are charged the
   * wait.
   */
  private watch(): void {
    const now = nowNs();
    if (this.awaitQuiet && this.phase === MEASURE && now - this.dueSince > this.spec.intervalS * 250e6) this.held = true;
    for (const c of this.conns) {
      if (!c.dead && c.inFlight > 0 && now - c.sentAt[c.head] > this.timeoutNs) c.fail(`no reply within ${this.spec.timeoutMs} ms`);
    }
  }

  onConnectionLost(): void {
    if (this.awaitQuiet && this.inFlight === 0) {
      this.now = nowNs();
      this.quiet();
    }
    if (--this.alive > 0 || this.phase === DONE) return;
    // Every connection is gone: nothing more can happen.
    if (this.phase === WARMUP) this.beginMeasure();
    if (this.phase === MEASURE) this.endMeasure();
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

  private close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.schedule?.stop();
    for (const c of this.conns) {
      c.dead = true;
      c.socket?.destroy();
    }
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
