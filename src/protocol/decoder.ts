import type { ProtocolError } from './errors.js';

/**
 * Receives each complete message a decoder finds. The bytes `buf[start, end)`
 * are valid only for the duration of the call: they may live in a read buffer
 * that the next read overwrites, or in the decoder's own partial-frame buffer.
 * A handler that keeps them must copy them.
 */
export interface MessageHandler {
  onMessage(buf: Buffer, start: number, end: number): void;
}

/**
 * A streaming decoder for one framing. `push` takes bytes as they arrive, in
 * chunks of any size, and calls the handler once per complete message, in
 * order. It returns null, or the protocol error that makes the stream
 * unusable; after an error the decoder must not be pushed again.
 */
export interface Decoder {
  push(buf: Buffer, start: number, end: number): ProtocolError | null;
  /** Bytes held for a message that has not completed yet. */
  readonly buffered: number;
}

const EMPTY = Buffer.alloc(0);
/** Partial-frame buffers above this size are released once the frame completes. */
export const KEEP_BYTES = 64 * 1024;

/**
 * Holds the bytes of one message that straddles reads. Messages that arrive
 * whole are never copied here; only a tail is. Capacity grows to the frame
 * being assembled (never past `limit`) and is released after a large frame
 * so that idle connections stay small.
 */
export class PartialBuffer {
  buf: Buffer = EMPTY;
  len = 0;
  private readonly limit: number;

  /** `limit`: the most bytes this buffer will ever be asked to hold (max-frame plus header). */
  constructor(limit = Number.MAX_SAFE_INTEGER) {
    this.limit = limit;
  }

  /** Make room for exactly `total` bytes, keeping what is held: for a frame whose size is known. */
  reserve(total: number): void {
    if (this.buf.length >= total) return;
    const grown = Buffer.allocUnsafe(Math.max(total, 256));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }

  /**
   * Add bytes. Growth is geometric (capped at the limit), so a message that
   * trickles in as many small reads is copied O(log n) times, not once per
   * read: one slow peer cannot make the server spend quadratic time.
   */
  append(src: Buffer, start: number, end: number): void {
    const need = this.len + (end - start);
    if (need > this.buf.length) this.reserve(Math.max(need, Math.min(this.buf.length * 2, this.limit)));
    src.copy(this.buf, this.len, start, end);
    this.len += end - start;
  }

  clear(): void {
    this.len = 0;
    if (this.buf.length > KEEP_BYTES) this.buf = EMPTY;
  }
}

/**
 * Shared state machine for framings whose header says how long the frame is
 * (length-prefixed and sockperf). Subclasses say how big the header is, how
 * to read the frame size from it, and which part of the frame is the message.
 *
 * Fast path: whole frames inside the chunk are handed over as offsets into
 * the chunk, without copying. Only a frame cut by the end of a chunk is
 * copied, into `partial`, and its size is validated the moment its header is
 * complete, before any of its payload is buffered.
 */
export abstract class HeaderDecoder implements Decoder {
  protected readonly handler: MessageHandler;
  protected readonly maxFrame: number;
  private readonly partial: PartialBuffer;
  /** Total size of the frame in `partial`, or 0 while its header is incomplete. */
  private partialTotal = 0;
  /** Set by `frameSize` when it returns -1. */
  protected error: ProtocolError | null = null;

  /** Header bytes needed before `frameSize` can be called. */
  protected readonly headerSize: number;

  constructor(handler: MessageHandler, maxFrame: number, headerSize: number) {
    this.handler = handler;
    this.maxFrame = maxFrame;
    this.headerSize = headerSize;
    this.partial = new PartialBuffer(maxFrame + headerSize);
  }
  /** Total frame size (header included) read from the header at `off`, or -1 after setting `error`. */
  protected abstract frameSize(buf: Buffer, off: number): number;
  /** Hand the frame `buf[start, end)` to the handler. */
  protected abstract deliver(buf: Buffer, start: number, end: number): void;

  get buffered(): number {
    return this.partial.len;
  }

  push(buf: Buffer, start: number, end: number): ProtocolError | null {
    let off = start;
    if (this.partial.len > 0) {
      off = this.continuePartial(buf, off, end);
      if (off < 0) return this.error;
      if (this.partial.len > 0) return null; // the chunk did not finish the frame
    }
    const headerSize = this.headerSize;
    while (end - off >= headerSize) {
      const total = this.frameSize(buf, off);
      if (total < 0) return this.error;
      if (end - off < total) {
        this.partialTotal = total;
        this.partial.reserve(total);
        break;
      }
      this.deliver(buf, off, off + total);
      off += total;
    }
    if (off < end) this.partial.append(buf, off, end);
    return null;
  }

  /** Feed the held frame from `buf[off, end)`; returns the new offset, or -1 on error. */
  private continuePartial(buf: Buffer, off: number, end: number): number {
    const p = this.partial;
    if (this.partialTotal === 0) {
      const take = Math.min(this.headerSize - p.len, end - off);
      p.append(buf, off, off + take);
      off += take;
      if (p.len < this.headerSize) return off;
      const total = this.frameSize(p.buf, 0);
      if (total < 0) return -1;
      this.partialTotal = total;
      p.reserve(total);
    }
    const total = this.partialTotal;
    const take = Math.min(total - p.len, end - off);
    p.append(buf, off, off + take);
    off += take;
    if (p.len === total) {
      this.deliver(p.buf, 0, total);
      this.partialTotal = 0;
      p.clear();
    }
    return off;
  }
}
