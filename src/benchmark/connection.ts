/**
 * A load connection's requests in flight, and what its replies are counted
 * into: everything the load generator does per message.
 *
 * Per connection the send times live in a fixed ring, oldest first:
 *
 *     sentAt  [ . . 3 4 5 . . ]     head -> 3, inFlight = 3
 *                   ^head
 *
 * Replies come back in order, so the reply at the head answers the request
 * at the head. Nothing is allocated per message.
 *
 * The connections of one thread share one LoadState: the phase of the run,
 * the clock of the read being decoded, the counts and the histograms (a
 * reply is recorded into the current interval's, which a timer adds into
 * the run's: src/stats/intervals.ts). Load
 * (load.ts) extends it with the run's lifecycle; the open-loop schedule that
 * sets the connections' `nextDue` and `interval` is in schedule.ts.
 */
import type { Socket } from 'node:net';
import { codecs, type Decoder, type MessageHandler } from '../protocol/index.js';
import { Exchange } from '../protocol/exchange.js';
import { framingHint } from '../protocol/errors.js';
import { nowNs } from '../stats/clock.js';
import { createHistogram, type Histogram } from '../stats/histogram.js';
import { IntervalRecorder, type IntervalSink } from '../stats/intervals.js';
import type { RequestWriter } from './requests.js';
import type { Writer } from '../io/writes.js';
import { type LoadCounts, type LoadSpec, noCounts } from './load.js';

// The phases of a run, in order. Load (load.ts) moves through them, but they
// are defined here, beside every comparison made per message or per read:
// V8 folds a module's own const into the instruction, while an imported one
// is loaded from its cell and checked for the hole on every use (seen with
// `node --allow-natives-syntax --print-opt-code` on Node 20).
/** Sending, but replies are not counted yet. */
export const WARMUP = 0;
/** The measured window. */
export const MEASURE = 1;
/** The window has closed: nothing more is sent, what is in flight is awaited. */
export const DRAIN = 2;
/** Finished: timers cleared, sockets destroyed. */
export const DONE = 3;

/**
 * What the connections of one thread share and update for every message.
 * It is a base class of Load, not an object Load holds, so that a reply
 * reaches the phase, counts and histograms as fields of the one object its
 * connection points to, not through a second one.
 */
export abstract class LoadState {
  readonly spec: LoadSpec;
  readonly open: boolean;
  readonly exchange: Exchange;
  /** The measured window's latency: the intervals added up (complete once finished). */
  readonly latency = createHistogram();
  readonly uncorrected: Histogram | null;
  readonly sendLag: Histogram | null;
  readonly intervals: IntervalRecorder;
  /** The current interval's histograms (the recorder's), held here so that a reply reaches them in one load. */
  private readonly current: Histogram;
  private readonly currentUncorrected: Histogram | null;
  readonly counts: LoadCounts = noCounts();
  phase = WARMUP;
  /**
   * Send nothing new: in closed loop an interval is due
   * (src/stats/intervals.ts), or the window has closed. Read by refill and
   * sendDue once per read, in place of the phase.
   */
  held = false;
  /**
   * Something waits for a moment with nothing in flight: an interval's
   * close, or the end of the drain. Read when the last reply in flight comes
   * in, which calls Load.quiet.
   */
  awaitQuiet = false;
  /** Open loop: when the interval became due, ns (a quarter interval later it holds the sends: Load.watch). */
  protected dueSince = 0;
  /** Set by Load.stop (an interrupt): what is in flight from then on is abandoned, not lost. Read when a connection fails, never per message. */
  stopping = false;
  /** Clock of the read being decoded, ns. */
  now = 0;
  inFlight = 0;
  /** Replies received since the start, warm-up included: progress. */
  replies = 0;
  private readonly targetNs: number;
  /** The measured window, ns (Infinity until it opens / closes). */
  measureStart = Infinity;
  protected measureEnd = Infinity;
  protected mismatch: string | null = null;

  constructor(spec: LoadSpec, onInterval: IntervalSink | null) {
    this.spec = spec;
    this.open = spec.rate !== null;
    this.exchange = new Exchange(spec);
    this.uncorrected = this.open ? createHistogram() : null;
    this.sendLag = this.open ? createHistogram() : null;
    this.targetNs = spec.targetUs * 1000;
    this.intervals = new IntervalRecorder(this.latency, this.uncorrected, spec.intervalS, onInterval, () => this.counts.wrong + this.counts.lost, this.onIntervalDue);
    this.current = this.intervals.current;
    this.currentUncorrected = this.intervals.currentUncorrected;
  }

  /** Every request is answered after the measured window, or the run is given up: stop. */
  abstract finish(): void;
  /**
   * Nothing is in flight and something waits for that (awaitQuiet): close
   * the interval that is due at `now` (the clock of the read that brought
   * the last reply) and send again, or end the run after its window.
   */
  abstract quiet(): void;
  /**
   * An interval is due: close it once nothing is in flight. Closed loop
   * holds its sends, so that comes within a round trip; open loop keeps its
   * schedule (a message held back would be charged the wait).
   */
  private readonly onIntervalDue = (): void => {
    const now = nowNs();
    if (this.inFlight === 0) {
      this.now = now; // no read is being decoded: this is the time of the close
      this.quiet();
      return;
    }
    this.awaitQuiet = true;
    this.dueSince = now;
    if (!this.open) this.held = true;
  };
  /** A connection has failed (its in-flight requests are already counted lost). */
  abstract onConnectionLost(): void;

  /** A right reply: count it, and record its latency if its request belongs to the measured window. */
  record(sentAt: number, dueAt: number, now: number): void {
    this.replies++;
    const c = this.counts;
    if (this.phase === MEASURE) c.completed++;
    const start = this.open ? dueAt : sentAt;
    if (start < this.measureStart || start > this.measureEnd) return; // warm-up traffic
    const latency = now - start;
    this.current.recordValue(latency);
    if (this.open) {
      this.currentUncorrected!.recordValue(now - sentAt);
    }
    c.messages++;
    if (latency <= this.targetNs) c.underTarget++;
  }

  /** A reply that does not match its request; the first one is described for the failure message. */
  wrongReply(buf: Buffer, start: number, end: number, n: number): void {
    this.replies++;
    if (this.counts.wrong++ === 0) this.mismatch = this.exchange.describeMismatch(buf, start, end, n);
  }
}

/** One connection of the load: its ring of requests in flight, its decoder, its writes. */
export class LoadConnection implements MessageHandler {
  readonly load: LoadState;
  readonly index: number;
  readonly decoder: Decoder;
  /** Lays out this connection's requests; `out` puts them on the socket. */
  readonly requests: RequestWriter;
  readonly cap: number;
  readonly sentAt: Float64Array;
  readonly dueAt: Float64Array | null;
  socket!: Socket;
  out!: Writer;
  head = 0;
  inFlight = 0;
  /** Requests sent and replies received on this connection, ever (sockperf sequence numbers). */
  sent = 0;
  received = 0;
  // The open-loop schedule's state for this connection (schedule.ts starts
  // it and ticks it). It lives here, not in a schedule object, because send
  // and onMessage read and advance it for every message.
  /** Open loop: when the next message is due, and the gap between this connection's messages, ns. */
  nextDue = 0;
  interval = 0;
  /** Open loop: when a full pipeline last had room again, ns. */
  freedAt = 0;
  dead = false;

  constructor(load: LoadState, index: number, requests: RequestWriter) {
    this.load = load;
    this.index = index;
    this.decoder = codecs[load.spec.framing].createDecoder(this, load.spec.maxFrame);
    this.requests = requests;
    this.cap = load.spec.pipeline;
    this.sentAt = new Float64Array(this.cap);
    this.dueAt = load.open ? new Float64Array(this.cap) : null;
  }

  /** `onread` callback: decode the whole read, then top up what is in flight. */
  onRead(buf: Buffer, n: number): boolean {
    const load = this.load;
    load.now = nowNs();
    const err = this.decoder.push(buf, 0, n);
    if (err !== null) {
      load.counts.framingHint ??= framingHint(err.code, err.actual);
      this.fail(`bad reply stream: ${err.message}`);
    } else if (load.open) this.sendDue(load.now);
    else this.refill(load.now);
    return true;
  }

  onMessage(buf: Buffer, start: number, end: number): void {
    if (this.dead) return;
    const load = this.load;
    if (this.inFlight === 0) {
      load.counts.wrong++;
      this.fail('a reply arrived with no request outstanding');
      return;
    }
    const slot = this.head;
    this.head = slot + 1 === this.cap ? 0 : slot + 1;
    if (this.inFlight === this.cap) this.freedAt = load.now;
    this.inFlight--;
    load.inFlight--;
    this.received++;
    if (!load.exchange.matches(buf, start, end, this.received)) load.wrongReply(buf, start, end, this.received);
    else load.record(this.sentAt[slot], this.dueAt === null ? 0 : this.dueAt[slot], load.now);
    if (load.inFlight === 0 && load.awaitQuiet) load.quiet();
  }

  /** Closed loop: fill the pipeline again, in one write. */
  refill(now: number): void {
    if (!this.load.held && !this.dead && this.inFlight < this.cap) this.send(this.cap - this.inFlight, now);
  }

  /**
   * Open loop: send every message that is due and fits, in one write.
   * Called after every read as well as by the schedule's tick, so it stays
   * a method here: a function imported from schedule.ts would cost a load
   * and a check of its binding on every read.
   */
  sendDue(now: number): void {
    if (this.load.held || this.dead) return;
    let n = 0;
    let due = this.nextDue;
    while (due <= now && this.inFlight + n < this.cap) {
      n++;
      due += this.interval;
    }
    if (n > 0) this.send(n, now);
  }

  private send(n: number, now: number): void {
    const load = this.load;
    let slot = this.head + this.inFlight;
    if (slot >= this.cap) slot -= this.cap;
    for (let i = 0; i < n; i++) {
      this.sentAt[slot] = now;
      if (this.dueAt !== null) {
        // How late the generator itself was: from when the message was due, or
        // from when a full pipeline let it go if that was later (that wait is
        // the server's, and is in the corrected latency, not in the lag).
        const ready = this.nextDue > this.freedAt ? this.nextDue : this.freedAt;
        if (this.nextDue >= load.measureStart) load.sendLag!.recordValue(now > ready ? now - ready : 0);
        this.dueAt[slot] = this.nextDue;
        this.nextDue += this.interval;
      }
      if (++slot === this.cap) slot = 0;
    }
    const first = this.sent + 1;
    this.sent += n;
    this.inFlight += n;
    load.inFlight += n;
    if (load.phase === MEASURE) load.counts.sent += n;
    // A full socket buffer needs no action: the pipeline bounds what is in flight.
    this.requests.write(this.out, first, n);
  }

  /**
   * Give up on this connection: what it had in flight is lost (`dropped`
   * too when the server closed or reset it). After an interrupt (Load.stop)
   * it is unanswered instead, and no failure: the benchmark stopped waiting.
   */
  fail(reason: string, dropped = false): void {
    if (this.dead) return;
    this.dead = true;
    const load = this.load;
    const c = load.counts;
    if (load.stopping) c.unanswered += this.inFlight;
    else if (dropped) {
      c.lost += this.inFlight;
      c.dropped += this.inFlight;
      c.droppedBy ??= `connection ${this.index + 1}: ${reason}`;
    } else {
      c.lost += this.inFlight;
      c.failure ??= `connection ${this.index + 1}: ${reason}`;
    }
    load.inFlight -= this.inFlight;
    this.inFlight = 0;
    this.socket.destroy();
    load.onConnectionLost();
  }
}
