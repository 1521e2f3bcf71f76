/**
 * What the probe does per message: one connection, one message in flight,
 * every round trip timed; runProbe (probe.ts) connects, starts and collects.
 *
 * Closed loop (the default): each message leaves as soon as the reply to
 * the one before it is in, `count` times or for `durationS` seconds.
 *
 * Fixed rate (`rate`, as sockperf's --mps): message k is due at
 *
 *     t0 + k / rate
 *
 * and leaves then, or as soon as the reply to message k - 1 is in if that
 * comes later. Its latency runs from when it was due, so a server that
 * stalls is charged for the messages it kept from being sent, not only for
 * the one it held (coordinated omission; the benchmark's open loop,
 * src/benchmark/schedule.ts, does the same with many connections). The time
 * from the actual write (uncorrected) is kept beside it, and so is how late
 * each write left (send lag), which says whether the client kept the
 * schedule.
 *
 * Waiting for a due time: the last 2 ms are spent spinning on the clock, as
 * sockperf does, because a timer fires up to a millisecond late (spin.ts);
 * longer waits sleep on one reused 1 ms timer first. Nothing waits in the
 * event loop meanwhile: the one message in flight has been answered.
 */
import type { Socket } from 'node:net';
import { codecs, type Decoder, type MessageHandler } from '../protocol/index.js';
import { framingHint } from '../protocol/errors.js';
import { Exchange } from '../protocol/exchange.js';
import { nowNs } from '../stats/clock.js';
import { createHistogram, type Histogram } from '../stats/histogram.js';
import { GcMonitor, type GcStats } from '../stats/gc.js';
import { DEFAULT_INTERVAL_S, IntervalRecorder } from '../stats/intervals.js';
import type { Writer } from '../io/writes.js';
import type { ProbeOptions } from './probe.js';
import { spinUntil } from './spin.js';

/** Spin on the clock through the last this-many ns before a due time: a timer can fire a millisecond late. */
const SPIN_NS = 2_000_000;
/** With a rate, an interval due while waiting closes at once only if the next message is further away than this, ns; else at the next reply. */
const CLOSE_ROOM_NS = 5_000_000;
/** After an interrupt, how long the reply to the message in flight may take before it is counted lost. */
const INTERRUPT_GRACE_MS = 500;

/**
 * One message in flight, each round trip timed from its write (or due
 * time) to the moment its reply is decoded. One clock read per reply serves
 * as both the end of that round trip and the start of the next, so the
 * small cost of recording is charged to the next round trip rather than
 * hidden. Each is recorded into the current interval's histogram, which is
 * added into `histogram` once per interval, between two round trips: the
 * interval timer only marks it due, the next reply closes it, and the clock
 * is read again before the next send (src/stats/intervals.ts). Replies are
 * read into one reused buffer. Stopping (the duration is up, an interrupt)
 * sets a flag that the next reply reads; the run's end (the last interval,
 * the socket's close) comes after that reply is recorded.
 */
export class RoundTrips implements MessageHandler {
  private readonly exchange: Exchange;
  private readonly decoder: Decoder;
  private readonly total: number;
  private readonly warmup: number;
  private readonly targetNs: number;
  private readonly timeoutMs: number;
  private readonly durationS: number | undefined;
  /** Nanoseconds between due times; 0 in closed loop. */
  private readonly interval: number;
  /** The measured phase's latency: the intervals added up (complete once finished). */
  readonly histogram = createHistogram();
  readonly uncorrected: Histogram | null;
  readonly sendLag: Histogram | null;
  readonly intervals: IntervalRecorder;
  /** The current interval's histograms (the recorder's), held here so that a reply reaches them in one load. */
  private readonly current: Histogram;
  private readonly currentUncorrected: Histogram | null;
  socket!: Socket;
  writer!: Writer;
  sent = 0;
  received = 0;
  correct = 0;
  wrong = 0;
  lost = 0;
  underTarget = 0;
  sentAt = 0;
  /** When the message in flight was due: its write time in closed loop. */
  dueAt = 0;
  /** With a rate: when the next message is due. */
  nextDue = 0;
  measuring = false;
  measureStart = 0;
  measureEnd = 0;
  /** Send no more: end at the next reply. */
  stopping = false;
  interrupted = false;
  ended = false;
  /** An interval is due: the next reply closes it (closeInterval). A copy of the recorder's flag, one load away. */
  private intervalDue = false;
  /** With a rate: the next message waits for its due time on `wake`. */
  private waiting = false;
  private wake: NodeJS.Timeout | null = null;
  private durationTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  failure: string | null = null;
  mismatch: string | null = null;
  hint: string | null = null;
  readonly gc = new GcMonitor();
  gcAtStart: GcStats | null = null;
  private done!: () => void;
  readonly finished = new Promise<void>((resolve) => {
    this.done = resolve;
  });

  constructor(o: ProbeOptions) {
    this.exchange = new Exchange(o);
    this.decoder = codecs[o.framing].createDecoder(this, o.maxFrame);
    this.durationS = o.durationS;
    this.total = o.durationS === undefined ? o.warmup + o.count : Infinity;
    this.warmup = o.warmup;
    this.targetNs = o.targetUs * 1000;
    this.timeoutMs = o.timeoutMs;
    this.interval = o.rate === undefined ? 0 : 1e9 / o.rate;
    this.uncorrected = o.rate === undefined ? null : createHistogram();
    this.sendLag = o.rate === undefined ? null : createHistogram();
    this.intervals = new IntervalRecorder(this.histogram, this.uncorrected, o.intervalS ?? DEFAULT_INTERVAL_S, o.onInterval ?? null, () => this.wrong + this.lost, this.onIntervalDue);
    this.current = this.intervals.current;
    this.currentUncorrected = this.intervals.currentUncorrected;
  }

  /** `onread` callback: returning true keeps reading. */
  onRead(buf: Buffer, end: number): boolean {
    const err = this.decoder.push(buf, 0, end);
    if (err !== null) {
      this.hint ??= framingHint(err.code, err.actual);
      this.fail(`bad reply stream: ${err.message}`);
    }
    return true;
  }

  onMessage(buf: Buffer, start: number, end: number): void {
    if (this.ended) return;
    const now = nowNs();
    if (this.received === this.sent) {
      this.wrong++;
      this.fail('a reply arrived with no request outstanding');
      return;
    }
    this.received++;
    if (!this.exchange.matches(buf, start, end, this.received)) {
      if (this.wrong++ === 0) this.mismatch = this.exchange.describeMismatch(buf, start, end, this.received);
    } else {
      this.correct++;
      if (this.received > this.warmup) this.record(now);
    }
    if (this.received === this.warmup) this.beginMeasure(now);
    if (this.stopping || this.sent === this.total) this.finish(now);
    else if (this.intervalDue) this.closeInterval();
    else if (this.interval === 0) this.send(now, now);
    else this.sendOnSchedule(now, now);
  }

  /**
   * An interval is due and the reply just recorded was the one in flight:
   * close it now, between round trips, then read the clock again, so that
   * neither the close nor its sink is inside any round trip. It reads the
   * clock itself rather than take the reply's time from onMessage: passing
   * that number on made V8 box it on every reply, taken branch or not
   * (bench/alloc-profile.ts client: 104 bytes a round trip against 90).
   */
  private closeInterval(): void {
    this.intervalDue = false;
    const replyAt = nowNs();
    this.intervals.closeDue(replyAt);
    const now = nowNs();
    if (this.interval === 0) this.send(now, now);
    else this.sendOnSchedule(now, replyAt);
  }

  /**
   * The interval timer's tick: close at once if nothing is in flight and the
   * next message is not due for a while (waiting for a due time), else at
   * the next reply (onMessage).
   */
  private readonly onIntervalDue = (): void => {
    if (this.ended) return;
    const now = nowNs();
    if (this.sent === this.received && this.waiting && this.nextDue - now > CLOSE_ROOM_NS) this.intervals.closeDue(now);
    else this.intervalDue = true;
  };

  private record(now: number): void {
    const latency = now - this.dueAt;
    this.current.recordValue(latency);
    if (latency <= this.targetNs) this.underTarget++;
    if (this.currentUncorrected !== null) this.currentUncorrected.recordValue(now - this.sentAt);
  }

  /** Send the first message at `now`, which starts the schedule and, without a warm-up, the measured phase. */
  begin(now: number): void {
    if (this.warmup === 0) this.beginMeasure(now);
    this.nextDue = now;
    if (this.interval === 0) this.send(now, now);
    else this.sendOnSchedule(now, 0);
  }

  private beginMeasure(now: number): void {
    this.measuring = true;
    this.measureStart = now;
    this.gcAtStart = this.gc.snapshot();
    this.intervals.start(now, this.durationS === undefined ? Infinity : this.durationS * 1e9);
    if (this.durationS !== undefined) this.durationTimer = setTimeout(this.stop, this.durationS * 1000);
  }

  /** Write the next request at `now`; it was due at `due` (the same in closed loop). */
  private send(now: number, due: number): void {
    if (this.exchange.sockperf) this.exchange.setSeq(this.sent + 1); // numbered from 1, as sockperf does
    this.sent++;
    this.sentAt = now;
    this.dueAt = due;
    this.writer.write(this.exchange.request, null);
  }

  /**
   * With a rate: send the next message now if it is due or nearly due, else
   * sleep until nearly. `replyAt` is when the reply before it came in (0
   * when long before): a message due earlier could not leave before then,
   * and that wait is the server's, in the corrected latency, not the send
   * lag, which counts only the client's own delay (as the benchmark's does).
   */
  private sendOnSchedule(now: number, replyAt: number): void {
    const due = this.nextDue;
    if (due - now > SPIN_NS) {
      this.waiting = true;
      // One timer for the run, re-armed: no new Timeout per wait.
      if (this.wake === null) this.wake = setTimeout(this.onWake, 1);
      else this.wake.refresh();
      return;
    }
    this.nextDue = due + this.interval;
    const at = due > now ? spinUntil(due) : now;
    if (this.sendLag !== null && this.sent >= this.warmup) this.sendLag.recordValue(at - (due > replyAt ? due : replyAt));
    this.send(at, due);
  }

  private readonly onWake = (): void => {
    if (!this.waiting || this.ended) return;
    const now = nowNs();
    if (this.nextDue - now > SPIN_NS) {
      this.wake!.refresh();
      return;
    }
    this.waiting = false;
    this.sendOnSchedule(now, 0);
  };

  /** Send no more; end now if no reply is awaited, else at the reply (the duration is up, or an interrupt). */
  readonly stop = (): void => {
    if (this.ended) return;
    this.stopping = true;
    if (this.sent === this.received) this.finish(nowNs());
  };

  /** Stop for a signal: the reply in flight gets a short grace, then counts as lost. */
  interrupt(): void {
    if (this.ended) return;
    this.interrupted = true;
    this.stop();
    if (!this.ended) this.graceTimer = setTimeout(() => this.giveUp(), Math.min(INTERRUPT_GRACE_MS, this.timeoutMs));
  }

  /** The socket was silent for the timeout: a failure if a reply is overdue, else (waiting for a due time) look again later. */
  onTimeout(): void {
    if (this.ended) return;
    if (this.sent === this.received || nowNs() - this.sentAt < this.timeoutMs * 1e6) {
      this.socket.setTimeout(this.timeoutMs);
      return;
    }
    this.fail(`no reply within ${this.timeoutMs} ms (message ${this.sent})`);
  }

  private giveUp(): void {
    if (this.ended) return;
    this.lost += this.sent - this.received;
    this.finish(nowNs());
  }

  finish(now: number): void {
    if (this.ended) return;
    this.ended = true;
    this.measureEnd = now;
    this.intervals.stop(now); // the last, partial interval: the totals are complete from here
    for (const t of [this.wake, this.durationTimer, this.graceTimer]) if (t !== null) clearTimeout(t);
    this.socket.setTimeout(0);
    this.socket.destroy();
    this.done();
  }

  fail(reason: string): void {
    if (this.ended) return;
    this.failure ??= reason;
    this.lost += this.sent - this.received; // the replies that never came
    this.finish(nowNs());
  }

  /** With a rate, stopped by time or signal: the messages due by the end that never left. */
  behind(): number {
    if (this.interval === 0 || !this.stopping || this.nextDue > this.measureEnd) return 0;
    return Math.floor((this.measureEnd - this.nextDue) / this.interval) + 1;
  }
}
