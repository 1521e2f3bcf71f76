import { type Decoder, type MessageHandler, PartialBuffer } from './decoder.js';
import { ErrorCodes, type ProtocolError, protocolError } from './errors.js';
import { copyBytes } from './bytes.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Decodes newline-terminated messages. The message is the line without its
 * `\n` and without one `\r` before it. The limit applies to the bytes before
 * the `\n` (a `\r` counts), and is enforced as soon as a partial line passes
 * it, so no more than `maxFrame` bytes of one line are ever buffered.
 */
export class LineDecoder implements Decoder {
  private readonly handler: MessageHandler;
  private readonly maxFrame: number;
  private readonly partial: PartialBuffer;

  constructor(handler: MessageHandler, maxFrame: number) {
    this.handler = handler;
    this.maxFrame = maxFrame;
    this.partial = new PartialBuffer(maxFrame);
  }

  get buffered(): number {
    return this.partial.len;
  }

  push(buf: Buffer, start: number, end: number): ProtocolError | null {
    let off = start;
    if (this.partial.len > 0) {
      const nl = findLf(buf, off, end);
      const p = this.partial;
      if (nl < 0) return this.hold(buf, off, end);
      if (p.len + (nl - off) > this.maxFrame) return this.tooLong(p.len + (nl - off));
      p.append(buf, off, nl);
      this.deliver(p.buf, 0, p.len);
      p.clear();
      off = nl + 1;
    }
    while (off < end) {
      const nl = findLf(buf, off, end);
      if (nl < 0) return this.hold(buf, off, end);
      if (nl - off > this.maxFrame) return this.tooLong(nl - off);
      this.deliver(buf, off, nl);
      off = nl + 1;
    }
    return null;
  }

  private deliver(buf: Buffer, start: number, lf: number): void {
    const end = lf > start && buf[lf - 1] === CR ? lf - 1 : lf;
    this.handler.onMessage(buf, start, end);
  }

  /** Keep an unterminated tail, unless it already breaks the limit. */
  private hold(buf: Buffer, off: number, end: number): ProtocolError | null {
    const total = this.partial.len + (end - off);
    if (total > this.maxFrame) return this.tooLong(total);
    this.partial.append(buf, off, end);
    return null;
  }

  private tooLong(actual: number): ProtocolError {
    return protocolError(ErrorCodes.LINE_TOO_LONG, this.maxFrame, actual);
  }
}

/** Index of the first `\n` in `buf[off, end)`, or -1. Bytes past `end` may be stale, so they never count. */
function findLf(buf: Buffer, off: number, end: number): number {
  const i = buf.indexOf(LF, off);
  return i >= 0 && i < end ? i : -1;
}

export function createLineDecoder(handler: MessageHandler, maxFrame: number): Decoder {
  return new LineDecoder(handler, maxFrame);
}

/** Frame one line. Throws if the payload holds a newline or ends in `\r`: neither could round-trip. */
export function lineFrame(payload: Buffer): Buffer {
  if (payload.includes(LF)) throw new RangeError('a line-framed message cannot contain a newline');
  if (payload.length > 0 && payload[payload.length - 1] === CR) throw new RangeError('a line-framed message cannot end in a carriage return');
  const out = Buffer.allocUnsafe(payload.length + 1);
  payload.copy(out, 0);
  out[payload.length] = LF;
  return out;
}

/** Write message `src[start, end)` followed by `\n` at `out[off]`; returns the offset after it. */
export function writeLineFrame(src: Buffer, start: number, end: number, out: Buffer, off: number): number {
  const n = copyBytes(src, start, end, out, off);
  out[off + n] = LF;
  return off + n + 1;
}
