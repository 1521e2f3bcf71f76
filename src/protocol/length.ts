import { type Decoder, HeaderDecoder, type MessageHandler } from './decoder.js';
import { ErrorCodes, protocolError } from './errors.js';
import { copyBytes } from './bytes.js';

/** Length framing: u32 big-endian payload length, then the payload. */
export const LENGTH_HEADER = 4;

/** Decodes length-prefixed frames; the message is the payload. */
export class LengthDecoder extends HeaderDecoder {
  constructor(handler: MessageHandler, maxFrame: number) {
    super(handler, maxFrame, LENGTH_HEADER);
  }

  protected frameSize(buf: Buffer, off: number): number {
    const n = buf.readUInt32BE(off);
    if (n > this.maxFrame) {
      this.error = protocolError(ErrorCodes.FRAME_TOO_LARGE, this.maxFrame, n);
      return -1;
    }
    return LENGTH_HEADER + n;
  }

  protected deliver(buf: Buffer, start: number, end: number): void {
    this.handler.onMessage(buf, start + LENGTH_HEADER, end);
  }
}

export function createLengthDecoder(handler: MessageHandler, maxFrame: number): Decoder {
  return new LengthDecoder(handler, maxFrame);
}

/** Frame one payload. Allocates: for start-up, not the hot path. */
export function lengthFrame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(LENGTH_HEADER + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, LENGTH_HEADER);
  return out;
}

/** Write the frame of payload `src[start, end)` at `out[off]`; returns the offset after it. */
export function writeLengthFrame(src: Buffer, start: number, end: number, out: Buffer, off: number): number {
  out.writeUInt32BE(end - start, off);
  return off + LENGTH_HEADER + copyBytes(src, start, end, out, off + LENGTH_HEADER);
}

/** Bytes of one numbered message on the wire: the length header and its 8-byte number. */
export const NUMBERED_FRAME = LENGTH_HEADER + 8;

/**
 * `n` length-framed messages whose 8-byte payload is their number,
 * big-endian, counting from `first`: the checked traffic of the tests and of
 * bench/ (in echo mode each reply says which message it answers). Allocates:
 * not for the hot path.
 */
export function numberedFrames(n: number, first = 0): Buffer {
  const out = Buffer.allocUnsafe(n * NUMBERED_FRAME);
  for (let i = 0; i < n; i++) {
    const off = i * NUMBERED_FRAME;
    const k = first + i;
    out.writeUInt32BE(8, off);
    out.writeUInt32BE(Math.floor(k / 0x1_0000_0000), off + LENGTH_HEADER);
    out.writeUInt32BE(k >>> 0, off + LENGTH_HEADER + 4);
  }
  return out;
}

/** The number a decoded numbered message `buf[start, end)` carries, or -1 when it is not 8 bytes long. */
export function frameNumber(buf: Buffer, start: number, end: number): number {
  if (end - start !== 8) return -1;
  return buf.readUInt32BE(start) * 0x1_0000_0000 + buf.readUInt32BE(start + 4);
}
