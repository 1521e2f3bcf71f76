import { type Decoder, HeaderDecoder, type MessageHandler } from './decoder.js';
import { ErrorCodes, protocolError } from './errors.js';
import { copyBytes } from './bytes.js';

/**
 * sockperf 3.x wire format. Every field is big-endian:
 *
 *   offset 0   u64  sequence number
 *   offset 8   u16  flags (CLIENT=1, PONG=2, WARMUP=4)
 *   offset 10  u32  total message length, header included (>= 14)
 *   offset 14  ...  payload
 *
 * The message handed to a handler is the whole message, header included,
 * because a reply repeats it.
 */
export const SOCKPERF_HEADER = 14;
export const FLAG_CLIENT = 1;
export const FLAG_PONG = 2;
export const FLAG_WARMUP = 4;
/** The sequence number fills offsets 0-7; the flags follow it. */
const OFF_FLAGS = 8;
const OFF_LENGTH = 10;

export class SockperfDecoder extends HeaderDecoder {
  constructor(handler: MessageHandler, maxFrame: number) {
    super(handler, maxFrame, SOCKPERF_HEADER);
  }

  protected frameSize(buf: Buffer, off: number): number {
    const total = buf.readUInt32BE(off + OFF_LENGTH);
    if (total < SOCKPERF_HEADER) {
      this.error = protocolError(ErrorCodes.SOCKPERF_TOO_SHORT, SOCKPERF_HEADER, total);
      return -1;
    }
    if (total > this.maxFrame) {
      this.error = protocolError(ErrorCodes.SOCKPERF_TOO_LARGE, this.maxFrame, total);
      return -1;
    }
    return total;
  }

  protected deliver(buf: Buffer, start: number, end: number): void {
    this.handler.onMessage(buf, start, end);
  }
}

export function createSockperfDecoder(handler: MessageHandler, maxFrame: number): Decoder {
  return new SockperfDecoder(handler, maxFrame);
}

/**
 * True when sockperf's server would answer this message: CLIENT and PONG set,
 * WARMUP clear. Anything else (warm-up traffic, under-load messages that ask
 * for no reply, stray replies) is consumed silently.
 */
export function sockperfWantsReply(buf: Buffer, start: number): boolean {
  const flags = buf.readUInt16BE(start + OFF_FLAGS);
  return (flags & (FLAG_CLIENT | FLAG_PONG | FLAG_WARMUP)) === (FLAG_CLIENT | FLAG_PONG);
}

/** Write sockperf's reply to message `src[start, end)` at `out[off]`: the same bytes with CLIENT cleared. */
export function writeSockperfReply(src: Buffer, start: number, end: number, out: Buffer, off: number): number {
  const n = copyBytes(src, start, end, out, off);
  markSockperfReply(out, off);
  return off + n;
}

/** Turn the request at `buf[start]` into its reply where it lies: CLIENT cleared (a datagram answered in place). */
export function markSockperfReply(buf: Buffer, start: number): void {
  buf[start + OFF_FLAGS + 1] &= ~FLAG_CLIENT;
}

/** Build one request of `total` bytes (>= 14) with the given flags, around `payload` (zero-padded or cut to fit). */
export function sockperfMessage(seq: bigint, flags: number, total: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (total < SOCKPERF_HEADER) throw new RangeError(`a sockperf message is at least ${SOCKPERF_HEADER} bytes`);
  const out = Buffer.alloc(total);
  out.writeBigUInt64BE(seq, 0);
  out.writeUInt16BE(flags, OFF_FLAGS);
  out.writeUInt32BE(total, OFF_LENGTH);
  payload.copy(out, SOCKPERF_HEADER, 0, Math.min(payload.length, total - SOCKPERF_HEADER));
  return out;
}

/** Sequence number of the message at `buf[start]`. Reads the low 53 bits as a Number, so it allocates no BigInt. */
export function sockperfSeq(buf: Buffer, start: number): number {
  return buf.readUInt32BE(start) * 0x1_0000_0000 + buf.readUInt32BE(start + 4);
}

/** Overwrite the sequence number of the message at `buf[start]` (0 <= seq < 2^53). */
export function setSockperfSeq(buf: Buffer, start: number, seq: number): void {
  buf.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), start);
  buf.writeUInt32BE(seq >>> 0, start + 4);
}

/**
 * Whether message `buf[start, end)` equals `expected` in everything after the
 * sequence number (the caller checks that one itself: it changes per message).
 */
export function sockperfReplyMatches(expected: Buffer, buf: Buffer, start: number, end: number): boolean {
  return end - start === expected.length && expected.compare(buf, start + OFF_FLAGS, end, OFF_FLAGS) === 0;
}

export function sockperfFlags(buf: Buffer, start: number): number {
  return buf.readUInt16BE(start + OFF_FLAGS);
}
