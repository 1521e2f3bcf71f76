/**
 * A load connection's requests in flight: everything the load generator
 * does per message, counted into the LoadState its connections share
 * (state.ts).
 *
 * Per connection the send times live in a fixed ring, oldest first:
 *
 *     sentAt  [ . . 3 4 5 . . ]     head -> 3, inFlight = 3
 *                   ^head
 *
 * Replies come back in order, so the reply at the head answers the request
 * at the head. Nothing is allocated per message. The open-loop schedule
 * that sets the connections' `nextDue` and `interval` is in schedule.ts.
 */
import type { Socket } from 'node:net';
import { codecs, type Decoder, type MessageHandler } from '../protocol/index.js';
import { framingHint } from '../protocol/errors.js';
import { nowNs } from '../stats/clock.js';
import type { RequestWriter } from './requests.js';
import type { Writer } from '../io/writes.js';
import type { Failure } from './spec.js';
import type { LoadState } from './state.js';

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
    this.decoder = codecs[load.spec.framing].createReplyDecoder(this, load.spec.maxFrame);
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
      this.fail('stream', err.message);
    } else if (load.open) this.sendDue();
    else this.refill();
    return true;
  }

  onMessage(buf: Buffer, start: number, end: number): void {
    if (this.dead) return;
    const load = this.load;
    if (this.inFlight === 0) {
      load.counts.wrong++;
      this.fail('stray');
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

  // refill, sendDue and send take the time from `load.now`, set by whoever
  // calls them (the read, the schedule's tick, an interval's close), not as
  // an argument: a double passed to a call that is not inlined is boxed, a
  // heap number per read (bench/alloc-profile.ts client: 106 bytes a round
  // trip against 90).

  /** Closed loop: fill the pipeline again, in one write. */
  refill(): void {
    if (!this.load.held && !this.dead && this.inFlight < this.cap) this.send(this.cap - this.inFlight);
  }

  /**
   * Open loop: send every message that is due and fits, in one write.
   * Called after every read as well as by the schedule's tick, so it stays
   * a method here: a function imported from schedule.ts would cost a load
   * and a check of its binding on every read.
   */
  sendDue(): void {
    if (this.load.held || this.dead) return;
    const now = this.load.now;
    let n = 0;
    let due = this.nextDue;
    while (due <= now && this.inFlight + n < this.cap) {
      n++;
      due += this.interval;
    }
    if (n > 0) this.send(n);
  }

  /** Put `n` requests on the wire at `load.now`, in one write. */
  protected send(n: number): void {
    const load = this.load;
    const now = load.now;
    let slot = this.head + this.inFlight;
    if (slot >= this.cap) slot -= this.cap;
    for (let i = 0; i < n; i++) {
      this.sentAt[slot] = now;
      if (this.dueAt !== null) {
        // How late the generator itself was: from when the message was due, or
        // from when a full pipeline let it go if that was later (that wait is
        // the server's, and is in the corrected latency, not in the lag).
        const ready = this.nextDue > this.freedAt ? this.nextDue : this.freedAt;
        if (this.nextDue >= load.recordFrom) load.sendLag!.recordValue(now > ready ? now - ready : 0);
        this.dueAt[slot] = this.nextDue;
        this.nextDue += this.interval;
      }
      if (++slot === this.cap) slot = 0;
    }
    const first = this.sent + 1;
    this.sent += n;
    this.inFlight += n;
    load.inFlight += n;
    // A full socket buffer needs no action: the pipeline bounds what is in flight.
    this.requests.write(this.out, first, n);
  }

  /**
   * Give up on this connection: what it had in flight is lost (`dropped`
   * too when its socket failed or the server closed it). After an interrupt
   * (Load.stop) it is unanswered instead, and no failure: the load stopped
   * waiting.
   */
  fail(why: Failure, detail = ''): void {
    if (this.dead) return;
    this.dead = true;
    const load = this.load;
    const c = load.counts;
    const waiting = this.outstanding();
    if (load.stopping) c.unanswered += waiting;
    else if (why === 'lost' || why === 'closed') {
      c.lost += waiting;
      c.dropped += waiting;
      c.droppedBy ??= load.describeFailure(this, why, detail);
    } else {
      c.lost += waiting;
      c.failure ??= load.describeFailure(this, why, detail);
    }
    load.inFlight -= this.inFlight;
    this.inFlight = 0;
    this.closeTransport();
    load.onConnectionLost();
  }

  /**
   * The oldest request has waited longer than the timeout at `now` (the
   * load's watch): over a stream nothing behind it can be answered first,
   * so the connection is given up (UDP counts the datagram lost instead:
   * udp-connection.ts).
   */
  timedOut(_now: number): void {
    this.fail('timeout');
  }

  /** Requests sent and not answered yet (`inFlight` on a stream, whose replies come in order). */
  outstanding(): number {
    return this.inFlight;
  }

  /** The run is over: nothing more is sent or read. */
  close(): void {
    this.dead = true;
    this.closeTransport();
  }

  /** Close the socket (it may not be open yet). */
  protected closeTransport(): void {
    this.socket?.destroy();
  }
}
