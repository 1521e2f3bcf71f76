/**
 * What the connections of one thread share and update for every message:
 * the phase of the run, the clock of the read being decoded, the counts
 * and the histograms (a reply is recorded into the current interval's,
 * which is added into the run's between round trips: src/stats/intervals.ts).
 * Load (load.ts) extends it with the run's lifecycle; the connections
 * (connection.ts) point to it.
 */
import { Exchange } from '../protocol/exchange.js';
import { nowNs } from '../stats/clock.js';
import { QuietCollector, collectYoung, settleHeap } from '../stats/collect.js';
import { createHistogram, type Histogram } from '../stats/histogram.js';
import { IntervalRecorder, type IntervalSink } from '../stats/intervals.js';
import { type Failure, type FailedConnection, type LoadCounts, type LoadSpec, noCounts } from './spec.js';

// The phases of a run, in order. Load (load.ts) moves through them, but they
// are defined here, beside every comparison made per message:
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
   * close, the end of the drain, or (counting round trips) every reply.
   * Read when the last reply in flight comes in, which calls quiet.
   */
  awaitQuiet = false;
  /** An interval is due: it closes at the next moment nothing is in flight (quiet). */
  protected intervalDue = false;
  /**
   * Counting round trips (spec.warmupCount, spec.count): every reply is a
   * moment with nothing in flight, and quiet compares `replies` with `mark`
   * there, so that no count is checked per send.
   */
  protected counting: boolean;
  /**
   * One connection, one request in flight, closed loop (the client): every
   * reply is a moment with nothing in flight, where the young generation is
   * emptied before it would fill, so that no scavenge lands inside a round
   * trip (src/stats/collect.ts). Null otherwise.
   */
  private readonly collector: QuietCollector | null;
  /**
   * Before the first send: a full collection (the start-up's survivors
   * promoted). Not later: a full collection throws away compiled code and
   * feedback the warm-up built, and the first measured messages would pay
   * for compiling it again (a 6.5 ms round trip in every run).
   */
  protected settleBeforeSending(): void {
    if (this.collector !== null) settleHeap();
  }

  /** The measured phase opens at `now` with nothing in flight: empty the young generation of the warm-up's garbage, and return the clock after that. */
  protected settledClock(now: number): number {
    if (this.collector === null || this.inFlight > 0 || !collectYoung()) return now;
    this.now = nowNs();
    return this.now;
  }

  /** Every reply calls quiet: counting round trips, or collecting at quiet moments. */
  protected get quietEveryReply(): boolean {
    return this.counting || this.collector !== null;
  }
  /** The number of replies at which the counted phase ends (Infinity when it is timed). */
  protected mark = Infinity;
  /** Open loop: when the interval became due, ns (a quarter interval later it holds the sends: Load.watch). */
  protected dueSince = 0;
  /** Set by Load.stop (an interrupt): what is in flight from then on is abandoned, not lost. Read when a connection fails, never per message. */
  stopping = false;
  /** Clock of the moment being handled, ns: the read being decoded, the schedule's tick, an interval's close. Sends are stamped with it. */
  now = 0;
  inFlight = 0;
  /** Replies received since the start, warm-up included: progress. */
  replies = 0;
  /** Of `replies`: those that did not match their request. */
  wrongReplies = 0;
  private readonly targetNs: number;
  /** The measured window, ns (Infinity until it opens / closes). */
  measureStart = Infinity;
  protected measureEnd = Infinity;
  /**
   * Requests sent (closed loop) or due (open loop) from this time on belong
   * to the window, ns: its start, or earlier when a count opens it with
   * messages already due and not yet sent (Load.beginMeasure).
   */
  recordFrom = Infinity;
  /** What was wrong with the first wrong reply. */
  mismatch: string | null = null;

  constructor(spec: LoadSpec, onInterval: IntervalSink | null) {
    this.spec = spec;
    this.open = spec.rate !== null;
    this.exchange = new Exchange(spec);
    this.uncorrected = this.open ? createHistogram() : null;
    this.sendLag = this.open ? createHistogram() : null;
    this.targetNs = spec.targetUs * 1000;
    this.counting = spec.warmupCount !== undefined || spec.count !== undefined;
    this.collector = !this.open && spec.connections === 1 && spec.pipeline === 1 ? new QuietCollector() : null;
    this.awaitQuiet = this.quietEveryReply;
    this.intervals = new IntervalRecorder(this.latency, this.uncorrected, spec.intervalS, onInterval, () => this.counts.wrong + this.counts.lost, this.onIntervalDue);
    this.current = this.intervals.current;
    this.currentUncorrected = this.intervals.currentUncorrected;
    // The first interval's close changes these fields for the first time. Changed here first, before
    // any code is optimised against their first values, they cannot deoptimise the hot path at that
    // close (dueSince going from a small integer to a double changed the object's map: a recompile
    // of 4 to 6 ms inside a measured round trip; docs/lab/2026-12-04-tail.md).
    this.intervalDue = this.held = true;
    this.intervalDue = this.held = false;
    this.dueSince = 0.5;
    this.dueSince = 0;
  }

  /** Every request is answered after the measured window, or the run is given up: stop. */
  abstract finish(): void;
  /** Close the interval that is due at `now` (ns), then send again from a fresh clock. */
  protected abstract closeInterval(now: number): void;
  /** The counted phase is over (`replies` reached `mark`): open the measured one, or end it. */
  protected abstract countReached(): void;
  /** An interval is due with nothing in flight: may it close now, or would that hold up a send due soon? */
  protected abstract roomToClose(now: number): boolean;
  /** A connection has failed (its in-flight requests are already counted lost). */
  abstract onConnectionLost(): void;

  /**
   * Nothing is in flight and something waits for that (awaitQuiet): a count
   * reached, an interval due at `now` (the clock of the read that brought
   * the last reply), or the end of the run after its window. Defined here,
   * beside the phases, because counting round trips calls it for every reply.
   */
  quiet(): void {
    // A collection is a pause: the next send is stamped after it, from a fresh clock.
    if (this.collector !== null && this.phase < DRAIN && this.collector.atQuietMoment()) this.now = nowNs();
    if (this.phase < DRAIN && this.replies === this.mark) this.countReached();
    if (this.phase >= DRAIN) this.finish();
    else if (this.intervalDue) this.closeInterval(this.now);
  }

  /**
   * An interval is due: close it once nothing is in flight. Closed loop
   * holds its sends, so that comes within a round trip; open loop keeps its
   * schedule (a message held back would be charged the wait).
   */
  private readonly onIntervalDue = (): void => {
    const now = nowNs();
    this.intervalDue = true;
    if (this.inFlight === 0 && this.roomToClose(now)) {
      this.now = now; // no read is being decoded: this is the time of the close
      this.closeInterval(now);
      return;
    }
    this.awaitQuiet = true;
    this.dueSince = now;
    if (!this.open) this.held = true;
  };

  /** A right reply: count it, and record its latency if its request belongs to the measured window. */
  record(sentAt: number, dueAt: number, now: number): void {
    this.replies++;
    const c = this.counts;
    if (this.phase === MEASURE) c.completed++;
    const start = this.open ? dueAt : sentAt;
    if (start < this.recordFrom || start > this.measureEnd) return; // warm-up traffic
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
    this.wrongReplies++;
    if (this.counts.wrong++ === 0) this.mismatch = this.exchange.describeMismatch(buf, start, end, n);
  }

  /** A connection's failure in the benchmark's words: which connection, and what happened to it. A program may word it its own way (the client does). */
  describeFailure(c: FailedConnection, why: Failure, detail: string): string {
    return `connection ${c.index + 1}: ${failureText(why, detail, this.spec.timeoutMs)}`;
  }
}

/** What happened, in words (`detail`: the socket's or the decoder's message). */
export function failureText(why: Failure, detail: string, timeoutMs: number): string {
  if (why === 'lost') return `connection lost: ${detail}`;
  if (why === 'closed') return 'the server closed the connection';
  if (why === 'timeout') return `no reply within ${timeoutMs} ms`;
  if (why === 'stream') return `bad reply stream: ${detail}`;
  return 'a reply arrived with no request outstanding';
}
