import type { Socket } from 'node:net';
import { type Codec, type Decoder, type MessageHandler, type ProtocolError, sockperfWantsReply } from '../protocol/index.js';
import { BATCH, type FrameTable } from '../protocol/batch.js';

/** What a connection reports to the server that owns it. */
export interface ConnectionOwner {
  readonly stats: { messages: number; ignored: number; bytesIn: number; bytesOut: number };
  onProtocolError(conn: Connection, err: ProtocolError): void;
  onSocketError(): void;
  forget(conn: Connection): void;
}

/** Initial echo output buffer; it grows to the largest batch seen. */
const OUT_INITIAL = 16 * 1024;
/** An output buffer grown past this is dropped after its batch, to keep idle connections small. */
const OUT_KEEP = 256 * 1024;

/**
 * Per-connection state: fixed fields, set up once. Each read is decoded in
 * full, the replies of all its messages are gathered, and they go out in one
 * write ("we may as well answer every query of a read at once"). Subclasses
 * differ only in what a message produces.
 */
export abstract class Connection implements MessageHandler {
  readonly socket: Socket;
  readonly peer: string;
  readonly decoder: Decoder;
  readonly owner: ConnectionOwner;
  /** Set once the connection stops taking input: protocol error or shutdown. */
  closing = false;

  constructor(owner: ConnectionOwner, socket: Socket, peer: string, codec: Codec, maxFrame: number) {
    this.owner = owner;
    this.socket = socket;
    this.peer = peer;
    this.decoder = codec.createDecoder(this, maxFrame);
  }

  abstract onMessage(buf: Buffer, start: number, end: number): void;
  /** Write the replies gathered from the current read, if any. */
  protected abstract flush(): void;

  /** Decode one read and answer it. */
  onData(buf: Buffer, start: number, end: number): void {
    if (this.closing) return;
    this.owner.stats.bytesIn += end - start;
    const err = this.decoder.push(buf, start, end);
    // Messages that completed before a protocol error are still answered.
    this.flush();
    if (err !== null) this.owner.onProtocolError(this, err);
  }

  protected write(data: Buffer): void {
    this.owner.stats.bytesOut += data.length;
    // Stop reading while the kernel refuses our replies; 'drain' resumes.
    if (!this.socket.write(data)) this.socket.pause();
  }
}

/** `--mode fixed`: every message gets the preallocated response. */
export class FixedConnection extends Connection {
  private readonly replies: FrameTable;
  private owed = 0;

  constructor(owner: ConnectionOwner, socket: Socket, peer: string, codec: Codec, maxFrame: number, replies: FrameTable) {
    super(owner, socket, peer, codec, maxFrame);
    this.replies = replies;
  }

  onMessage(): void {
    this.owed++;
  }

  protected flush(): void {
    let n = this.owed;
    if (n === 0) return;
    this.owed = 0;
    this.owner.stats.messages += n;
    if (n <= BATCH) {
      this.write(this.replies.view(n));
      return;
    }
    this.socket.cork();
    for (; n > BATCH; n -= BATCH) this.write(this.replies.view(BATCH));
    this.write(this.replies.view(n));
    this.socket.uncork();
  }
}

/**
 * `--mode echo`: each message is copied back, framed, into one output
 * buffer per read. The buffer is reused while no write is pending; when one
 * is (the kernel took less than all), the pending write still references it,
 * so the next batch gets a fresh one.
 */
export class EchoConnection extends Connection {
  private readonly codec: Codec;
  private out: Buffer = Buffer.allocUnsafe(OUT_INITIAL);
  private outLen = 0;
  private count = 0;

  constructor(owner: ConnectionOwner, socket: Socket, peer: string, codec: Codec, maxFrame: number) {
    super(owner, socket, peer, codec, maxFrame);
    this.codec = codec;
  }

  onMessage(buf: Buffer, start: number, end: number): void {
    const need = this.codec.wireSize(end - start);
    if (this.outLen === 0 && this.socket.writableLength > 0) this.out = Buffer.allocUnsafe(Math.max(OUT_INITIAL, need));
    if (this.outLen + need > this.out.length) this.grow(this.outLen + need);
    this.outLen = this.codec.writeEcho(buf, start, end, this.out, this.outLen);
    this.count++;
  }

  private grow(size: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(size, this.out.length * 2));
    this.out.copy(bigger, 0, 0, this.outLen);
    this.out = bigger;
  }

  protected flush(): void {
    if (this.outLen === 0) return;
    this.owner.stats.messages += this.count;
    this.write(this.out.subarray(0, this.outLen));
    this.outLen = 0;
    this.count = 0;
    if (this.out.length > OUT_KEEP) this.out = Buffer.allocUnsafe(OUT_INITIAL);
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
