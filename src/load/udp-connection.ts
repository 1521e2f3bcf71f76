/**
 * A load connection over UDP: one connected datagram socket, each request
 * one datagram, each reply matched to its request by the sequence number it
 * carries (src/protocol/datagram.ts), since UDP loses, duplicates and
 * reorders what a stream would deliver once and in order.
 *
 * The ring of send times is LoadConnection's, indexed by sequence number:
 * request `seq` lives in slot (seq - 1) % pipeline, which is where the
 * stream's ring puts it too. `seqAt` says which request each slot holds in
 * flight (0: answered or lost). `head` is the slot of the oldest request
 * still in flight and `inFlight` the span from it to the newest sent, so
 * that a slot is reused only once the request a pipeline before it is done:
 *
 *     seqAt   [ 5 0 7 . ]     lowest = 5 (head), sent = 7, inFlight = 3
 *               ^head         6 answered out of order; 8 may be sent, 9 not yet
 *
 * A request unanswered after --timeout-ms is lost (the load's watch calls
 * timedOut): its slot is freed and the next goes, so a lost datagram never
 * stalls the run. A reply to a request counted lost is late; a second reply
 * to an answered one is a duplicate; the last HISTORY requests' fates tell
 * which, and a reply older than that counts late. Neither is recorded nor
 * taken as another request's answer. Nothing is allocated per message in
 * this file (node:dgram itself makes a Buffer and an address object per
 * datagram received, and a request object per send).
 */
import { type Socket, createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import type { Target } from '../io/connect.js';
import type { DatagramExchange } from '../protocol/datagram.js';
import { framingHint } from '../protocol/errors.js';
import { type Decoder, codecs } from '../protocol/index.js';
import { nowNs } from '../stats/clock.js';
import { connectHint } from '../cli/hints.js';
import { LoadConnection } from './connection.js';
import type { RequestWriter } from './requests.js';
import { spinning } from './spin.js';
import type { LoadState } from './state.js';

/** How many requests back a reply can still be told late or duplicate (a reply older than that counts late). */
const HISTORY = 256;

/** A connection's requests, one datagram per slot of its ring, numbered in place as each is sent. */
export class Datagrams implements RequestWriter {
  readonly exchange: DatagramExchange;
  /** The request each slot holds in flight, 0 when none. */
  readonly seqAt: Float64Array;
  private readonly views: Buffer[] = [];
  private readonly cap: number;
  socket!: Socket;

  constructor(exchange: DatagramExchange, pipeline: number) {
    this.exchange = exchange;
    this.cap = pipeline;
    this.seqAt = new Float64Array(pipeline);
    // A slot's bytes are rewritten only once its request is answered or lost, so a send
    // node:dgram had to queue (a full socket buffer) still has its own bytes.
    const size = exchange.request.length;
    const block = Buffer.alloc(size * pipeline);
    for (let i = 0; i < pipeline; i++) {
      exchange.request.copy(block, i * size);
      this.views.push(block.subarray(i * size, (i + 1) * size));
    }
  }

  /** Send requests `first` .. `first + n - 1`, one datagram each (the stream's writer is not used). */
  write(_out: unknown, first: number, n: number): void {
    let slot = (first - 1) % this.cap;
    for (let seq = first; seq < first + n; seq++) {
      const view = this.views[slot];
      this.seqAt[slot] = seq;
      this.exchange.number(view, 0, seq);
      this.socket.send(view);
      if (++slot === this.cap) slot = 0;
    }
  }
}

/** One UDP connection of the load. */
export class UdpConnection extends LoadConnection {
  private readonly datagrams: Datagrams;
  /** Decodes each datagram alone: one that is not whole frames is replaced, not carried into the next. */
  private frames: Decoder;
  private udp: Socket | null = null;
  /** The oldest request in flight, or the next to send when none is. */
  private lowest = 1;
  /** The highest request answered so far: an answer below it came out of order. */
  private highest = 0;
  /** The fate of recent requests, by seq % HISTORY: seq when answered, -seq when lost. */
  private readonly fate = new Float64Array(HISTORY);
  private readonly timeoutNs: number;

  constructor(load: LoadState, index: number, datagrams: Datagrams) {
    super(load, index, datagrams);
    this.datagrams = datagrams;
    this.frames = codecs[load.spec.framing].createDecoder(this, load.spec.maxFrame);
    this.timeoutNs = load.spec.timeoutMs * 1e6;
  }

  /** Take the connected socket: its datagrams come to onDatagram, its errors (nothing listens: ECONNREFUSED) fail the connection. */
  attach(socket: Socket): void {
    if (this.dead) {
      socket.close(); // the load was closed while this one connected
      return;
    }
    this.udp = socket;
    this.datagrams.socket = socket;
    socket.on('message', this.onDatagram);
    socket.on('error', this.onError);
  }

  private readonly onError = (err: Error): void => {
    // Nothing listens: the kernel's "port unreachable" comes back as ECONNREFUSED on the connected socket.
    this.load.counts.framingHint ??= connectHint(err, this.load.spec.target, this.load.spec, false);
    this.fail('lost', err.message);
  };

  /** One datagram: decode it, then top up what is in flight, as a stream read does. */
  private readonly onDatagram = (msg: Buffer): void => {
    const load = this.load;
    load.now = nowNs();
    const err = this.frames.push(msg, 0, msg.length);
    if (err !== null || this.frames.buffered > 0) {
      // Not one whole frame: counted wrong; its request, if any, is lost at its timeout.
      load.counts.wrong++;
      if (err !== null) load.counts.framingHint ??= framingHint(err.code, err.actual);
      load.mismatch ??= err !== null ? `a reply datagram did not decode: ${err.message}` : `a reply datagram of ${msg.length} bytes is not whole ${load.spec.framing} frames`;
      this.frames = codecs[load.spec.framing].createDecoder(this, load.spec.maxFrame);
    }
    if (load.open) this.sendDue();
    else this.refill();
  };

  override onMessage(buf: Buffer, start: number, end: number): void {
    if (this.dead) return;
    const load = this.load;
    const exchange = this.datagrams.exchange;
    const seq = exchange.seqOf(buf, start, end);
    if (seq < 1 || seq > this.sent) {
      load.counts.wrong++;
      load.mismatch ??= `a reply of ${end - start} bytes answers no request sent (${seq < 0 ? 'no sequence number' : `number ${seq}`})`;
      return;
    }
    const slot = (seq - 1) % this.cap;
    if (this.datagrams.seqAt[slot] !== seq) {
      this.unexpected(seq);
      return;
    }
    this.datagrams.seqAt[slot] = 0;
    this.fate[seq % HISTORY] = seq;
    if (seq < this.highest) load.counts.outOfOrder++;
    else this.highest = seq;
    this.received++;
    if (!exchange.matches(buf, start, end)) load.wrongReply(buf, start, end, seq);
    else load.record(this.sentAt[slot], this.dueAt === null ? 0 : this.dueAt[slot], load.now);
    if (seq === this.lowest) this.advance();
    if (load.inFlight === 0 && load.awaitQuiet) load.quiet();
  }

  /** A reply to request `seq`, which is no longer in flight: late if it was counted lost, else a duplicate. */
  private unexpected(seq: number): void {
    const c = this.load.counts;
    const h = seq % HISTORY;
    const fate = this.fate[h];
    if (fate === seq) c.duplicates++;
    else {
      c.late++;
      if (fate === -seq) this.fate[h] = seq; // a second copy of it is a duplicate
    }
  }

  /** Move `lowest` (and `head`) past the requests answered or lost, and shrink the span in flight. */
  private advance(): void {
    const seqAt = this.datagrams.seqAt;
    const load = this.load;
    const before = this.inFlight;
    let lowest = this.lowest;
    let slot = this.head;
    while (lowest <= this.sent && seqAt[slot] !== lowest) {
      lowest++;
      if (++slot === this.cap) slot = 0;
    }
    this.lowest = lowest;
    this.head = slot;
    const span = this.sent + 1 - lowest;
    if (before === this.cap && span < this.cap) this.freedAt = load.now;
    this.inFlight = span;
    load.inFlight -= before - span;
  }

  /**
   * The oldest requests have waited past the timeout at `now`: each is lost
   * (and counts as a round trip done, so that a run counted in round trips
   * ends however many are lost); then what was waiting for a free slot or a
   * quiet moment goes on.
   */
  override timedOut(now: number): void {
    const load = this.load;
    const seqAt = this.datagrams.seqAt;
    while (this.inFlight > 0 && now - this.sentAt[this.head] > this.timeoutNs) {
      const seq = this.lowest;
      seqAt[this.head] = 0;
      this.fate[seq % HISTORY] = -seq;
      load.counts.lost++;
      load.replies++;
      this.advance();
    }
    load.now = now;
    if (load.inFlight === 0 && load.awaitQuiet) load.quiet();
    if (load.open) this.sendDue();
    else this.refill();
  }

  override outstanding(): number {
    let n = 0;
    for (const seq of this.datagrams.seqAt) if (seq !== 0) n++;
    return n;
  }

  protected override closeTransport(): void {
    const udp = this.udp;
    this.udp = null;
    if (udp === null) return;
    udp.off('message', this.onDatagram);
    udp.close();
  }
}

/** A UDP connection that waits for its due times itself (spin.ts): the client's --rate. */
export class UdpSpinConnection extends spinning(UdpConnection) {}

/** Open one connected datagram socket per connection: the kernel then drops datagrams from anyone but the target. */
export async function openDatagrams(conns: readonly UdpConnection[], target: Extract<Target, { transport: 'udp' }>): Promise<void> {
  let address: string;
  let family: number;
  try {
    ({ address, family } = await lookup(target.host));
  } catch (err) {
    throw new Error(`cannot connect to udp://${target.host}:${target.port}: ${(err as Error).message}`, { cause: err });
  }
  await Promise.all(
    conns.map(
      (c) =>
        new Promise<void>((resolve, reject) => {
          const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
          const onError = (err: Error) => {
            socket.close();
            reject(new Error(`cannot connect to udp://${target.host}:${target.port}: ${err.message}`, { cause: err }));
          };
          socket.once('error', onError);
          socket.connect(target.port, address, () => {
            socket.off('error', onError);
            c.attach(socket);
            resolve();
          });
        }),
    ),
  );
}
