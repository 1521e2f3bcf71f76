import { type Codec, type Decoder, type MessageHandler, type ProtocolError, sockperfWantsReply } from '../protocol/index.js';
import { FrameTable, tableCapacity } from '../protocol/batch.js';
import type { Writer } from '../io/writes.js';
import type { Transport, TransportEvents } from '../io/transport.js';

/** What a connection reports to the server that owns it. */
export interface ConnectionOwner {
  readonly stats: { messages: number; ignored: number; bytesIn: number; bytesOut: number; outputPauses: number };
  /** Unsent reply bytes at which a connection stops reading until they are out. */
  readonly maxPending: number;
  onProtocolError(conn: Connection, err: ProtocolError): void;
  onSocketError(): void;
  /** The connection has closed. */
  forget(conn: Connection): void;
}

/** How long a connection we have ended waits for its peer to close before it is destroyed (nginx's lingering_timeout). */
const LINGER_MS = 5000;

function lingerExpired(transport: Transport): void {
  transport.destroy();
}

/** Initial echo output buffer; it grows to the largest batch seen. */
const OUT_INITIAL = 16 * 1024;
const NO_OUTPUT = Buffer.alloc(0);
/** An output buffer grown past this is dropped after its batch. */
const OUT_KEEP = 256 * 1024;

/**
 * Per-connection state: fixed fields, set up once. Each read is decoded in
 * full, the replies of all its messages are gathered, and they go out in one
 * write ("we may as well answer every query of a read at once"). Subclasses
 * differ only in what a message produces.
 *
 * Output is bounded. When the replies not yet taken by the kernel reach
 * `maxPending` bytes (a peer that sends without reading), the connection
 * stops reading and waits until they are written; a fixed-mode batch larger
 * than the room left is held back as a count and sent as room appears. So a
 * connection holds at most `maxPending` plus one read's worth of echo
 * replies, whatever its peer does, and no reply is dropped.
 */
export abstract class Connection implements MessageHandler, TransportEvents {
  readonly transport: Transport;
  readonly peer: string;
  readonly decoder: Decoder;
  readonly owner: ConnectionOwner;
  /** Every reply goes through it, and nothing else writes to the transport. */
  protected readonly writer: Writer;
  /** Idle-timeout sweeps since the last read or completed write (the server counts them). */
  idleTicks = 0;
  /** Set once the connection stops taking input: protocol error, idle timeout or shutdown. */
  closing = false;
  /** The peer has half-closed: answer what it sent, then close. */
  peerEnded = false;
  /** Set once our side has ended: the timer that destroys the transport if the peer never closes. */
  private lingering: NodeJS.Timeout | null = null;
  /** Writes whose completion the connection waits for before reading (or sending) more. */
  private waits = 0;
  private readonly onFlushed: (err?: Error | null) => void;

  constructor(owner: ConnectionOwner, transport: Transport, peer: string, codec: Codec, maxFrame: number) {
    this.owner = owner;
    this.transport = transport;
    this.writer = transport.writer;
    this.peer = peer;
    this.decoder = codec.createDecoder(this, maxFrame);
    this.onFlushed = (err) => this.flushed(err);
  }

  abstract onMessage(buf: Buffer, start: number, end: number): void;
  /** Write the replies gathered so far, as far as the output bound allows. */
  protected abstract flush(): void;
  /** Decode one read and answer it. */
  onData(buf: Buffer, start: number, end: number): void {
    this.idleTicks = 0;
    if (this.closing) return;
    this.owner.stats.bytesIn += end - start;
    const err = this.decoder.push(buf, start, end);
    // Messages that completed before a protocol error are still answered.
    this.flush();
    if (err !== null) this.owner.onProtocolError(this, err);
  }

  /** Room for reply bytes before the bound; never less than nothing. */
  protected room(): number {
    return Math.max(0, this.owner.maxPending - this.writer.pending());
  }

  /**
   * Write replies. If they take the unsent bytes to the bound, or more are
   * held back, stop reading and wait for this write to complete.
   */
  protected write(data: Buffer, holding = false): void {
    this.owner.stats.bytesOut += data.length;
    if (!holding && this.writer.pending() + data.length < this.owner.maxPending) {
      this.writer.write(data, null);
      return;
    }
    if (this.waits++ === 0) {
      this.owner.stats.outputPauses++;
      this.transport.pause();
    }
    this.writer.write(data, this.onFlushed);
  }

  /** A write we waited for is out: send what was held back, then read again. */
  private flushed(err?: Error | null): void {
    if (--this.waits > 0 || err || this.transport.destroyed) return;
    this.idleTicks = 0;
    this.flush();
    if (this.waits > 0) return;
    if (this.closing || this.peerEnded) this.finish();
    else this.transport.resume();
  }

  /** The peer half-closed: once everything it sent is answered, close. */
  onPeerEnd(): void {
    this.peerEnded = true;
    if (this.waits === 0) this.finish();
  }

  /**
   * The one way a connection is closed by us: stop taking input, let queued
   * replies flush (including any held back), then close.
   */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.waits === 0) this.finish();
  }

  /**
   * End our side once the writes are out, and linger: keep reading (and
   * discarding) until the peer closes too. Destroying a TCP socket with
   * unread input sends a reset, and a reset makes the peer's kernel throw
   * away replies it has received but its program has not read yet; so the
   * socket is only destroyed when the peer has closed, or after LINGER_MS.
   */
  private finish(): void {
    if (this.lingering !== null) return;
    this.closing = true;
    this.transport.resume();
    this.transport.end();
    this.lingering = setTimeout(lingerExpired, LINGER_MS, this.transport);
    this.lingering.unref();
  }

  /** Resets and broken pipes are the peer's business; the close follows. */
  onError(): void {
    this.owner.onSocketError();
  }

  /** The transport has closed: nothing left to wait for. */
  onClose(): void {
    if (this.lingering !== null) clearTimeout(this.lingering);
    this.owner.forget(this);
  }
}

/**
 * The fixed response, framed once at start-up and laid out as many times as
 * --max-pending bytes hold: the hot path only ever writes views of it, the
 * replies to a whole read in one write.
 */
export function fixedReplies(codec: Codec, response: string, maxPending: number): FrameTable {
  const reply = codec.frame(Buffer.from(response));
  return new FrameTable(reply, tableCapacity(reply.length, maxPending));
}

/** `--mode fixed`: every message gets the preallocated response. */
export class FixedConnection extends Connection {
  private readonly replies: FrameTable;
  /** Messages decoded and not yet answered. */
  private due = 0;

  constructor(owner: ConnectionOwner, transport: Transport, peer: string, codec: Codec, maxFrame: number, replies: FrameTable) {
    super(owner, transport, peer, codec, maxFrame);
    this.replies = replies;
  }

  onMessage(): void {
    this.due++;
  }

  protected flush(): void {
    if (this.due === 0) return;
    // As many replies as fit under the output bound (at least one), the rest held back.
    let n = Math.min(this.due, Math.max(1, Math.floor(this.room() / this.replies.frameSize)));
    this.due -= n;
    this.owner.stats.messages += n;
    // One write: the table holds --max-pending bytes of replies (batch.ts),
    // so this loop only turns when that bound is above MAX_TABLE_BYTES.
    const cap = this.replies.capacity;
    for (; n > cap; n -= cap) this.write(this.replies.view(cap));
    this.write(this.replies.view(n), this.due > 0);
  }
}

/**
 * The output buffer of echo replies, one for all connections, as reads on
 * bare handles share one input buffer (src/io/handles.ts). A connection's batch is built and written
 * within one read callback, so batches never interleave; and on loopback the
 * kernel nearly always takes a batch at once. When it does not, the pending
 * write still references the buffer, so the buffer is left to that write and
 * a new one is made for the next batch. An idle connection thus holds no
 * output buffer, and a closed one leaves none behind: with a buffer per
 * connection, each closed echo connection left 16 KiB for a GC that rarely
 * came, and RSS rose from 82 to 96 MiB over 80 000 connections
 * (bench/soak.ts churns connections; docs/lab/2026-12-04-performance.md).
 */
export class EchoOutput {
  buf: Buffer = Buffer.allocUnsafe(OUT_INITIAL);
  len = 0;
  /** The last view written; reused while the same length is written from the same buffer. */
  private view: Buffer = NO_OUTPUT;

  reserve(need: number): void {
    if (this.len + need <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.len + need, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  /** The batch so far, as a view; the buffer is then empty. */
  take(): Buffer {
    // A view per batch is an allocation; ping-pong sends the same length again and again.
    if (this.view.buffer !== this.buf.buffer || this.view.byteOffset !== this.buf.byteOffset || this.view.length !== this.len) this.view = this.buf.subarray(0, this.len);
    this.len = 0;
    return this.view;
  }

  /** The last batch was queued, not taken: leave the buffer to it. Or it grew large: let it go. */
  release(queued: boolean): void {
    if (!queued && this.buf.length <= OUT_KEEP) return;
    this.buf = Buffer.allocUnsafe(OUT_INITIAL);
    this.view = NO_OUTPUT;
  }
}

/** The one output buffer of every echo connection (and RESP's, server/resp-connection.ts). */
export const echoOutput = new EchoOutput();

/** `--mode echo`: each message is copied back, framed, into the shared output buffer, and each read's batch goes out in one write. */
export class EchoConnection extends Connection {
  private readonly codec: Codec;
  /** Messages in the batch being built. */
  private count = 0;

  constructor(owner: ConnectionOwner, transport: Transport, peer: string, codec: Codec, maxFrame: number) {
    super(owner, transport, peer, codec, maxFrame);
    this.codec = codec;
  }

  onMessage(buf: Buffer, start: number, end: number): void {
    const out = echoOutput;
    out.reserve(this.codec.wireSize(end - start));
    out.len = this.codec.writeEcho(buf, start, end, out.buf, out.len);
    this.count++;
  }

  protected flush(): void {
    if (this.count === 0) return;
    this.owner.stats.messages += this.count;
    this.count = 0;
    this.write(echoOutput.take());
    echoOutput.release(this.writer.pending() > 0);
  }
}

/**
 * sockperf framing, either mode: behave as sockperf's own server. Only
 * messages with CLIENT and PONG set and WARMUP clear are answered, with the
 * same bytes and CLIENT cleared; the rest are counted as ignored.
 */
export class SockperfConnection extends EchoConnection {
  override onMessage(buf: Buffer, start: number, end: number): void {
    if (sockperfWantsReply(buf, start)) super.onMessage(buf, start, end);
    else this.owner.stats.ignored++;
  }
}
