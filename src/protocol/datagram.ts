/**
 * What a client puts in each UDP datagram so that it can tell which request
 * a reply answers: UDP loses, duplicates and reorders, so a reply is matched
 * by a sequence number, never by its place in the stream.
 *
 * sockperf framing carries one in its header (sockperf.ts). Length and line
 * framing have none, so the client writes one at the start of the payload
 * it sends, as SEQ_DIGITS decimal digits (never a newline, so line framing
 * is unaffected), and an echo brings it back:
 *
 *     length   [u32 N][0000000000000042 abcdefgh...]
 *     line     [0000000000000042 abcdefgh...]\n
 *
 * A fixed reply carries no number, so it cannot say which request it
 * answers: the client refuses fixed mode over UDP (src/cli/request-options.ts).
 */
import { type Framing, codecs } from './index.js';
import { LENGTH_HEADER } from './length.js';
import { SOCKPERF_HEADER, setSockperfSeq, sockperfReplyMatches, sockperfSeq, writeSockperfReply } from './sockperf.js';
import { type RequestSpec, payloadOf } from './exchange.js';

/** Decimal digits of the sequence number at the start of a length or line payload: any number below 2^53 fits. */
export const SEQ_DIGITS = 16;
/** The largest UDP payload over IPv4 (65535 less the IP and UDP headers). */
export const MAX_DATAGRAM = 65_507;

const ZERO = 0x30;

/** Bytes one request takes in a datagram with this framing and --size. */
export function datagramBytes(framing: Framing, size: number): number {
  return framing === 'sockperf' ? size : codecs[framing].wireSize(size);
}

/** Write `seq` (0 <= seq < 2^53) as SEQ_DIGITS decimal digits at `buf[off]`. */
export function writeSeqDigits(buf: Buffer, off: number, seq: number): void {
  for (let i = off + SEQ_DIGITS - 1; i >= off; i--) {
    const q = Math.floor(seq / 10);
    buf[i] = ZERO + (seq - q * 10);
    seq = q;
  }
}

/** The number written by writeSeqDigits at `buf[off]`, or -1 when those bytes are not SEQ_DIGITS digits. */
export function readSeqDigits(buf: Buffer, off: number): number {
  let n = 0;
  for (let i = off; i < off + SEQ_DIGITS; i++) {
    const d = buf[i] - ZERO;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * One request datagram and the reply it must bring back, with its sequence
 * number in the place the framing gives it. Built once per run.
 */
export class DatagramExchange {
  /** The request as sent, numbered 0. */
  readonly request: Buffer;
  /** The decoded reply expected, numbered 0 (only the number differs from one reply to the next). */
  readonly expected: Buffer;
  private readonly sockperf: boolean;
  /** Where the number sits in the request on the wire. */
  private readonly seqOffset: number;

  constructor(spec: RequestSpec) {
    this.sockperf = spec.framing === 'sockperf';
    const codec = codecs[spec.framing];
    if (this.sockperf) {
      if (spec.size < SOCKPERF_HEADER) throw new RangeError(`--size must be at least ${SOCKPERF_HEADER} with --framing sockperf (the header)`);
      this.request = codec.frame(payloadOf(spec.size - SOCKPERF_HEADER));
      this.expected = Buffer.allocUnsafe(this.request.length);
      writeSockperfReply(this.request, 0, this.request.length, this.expected, 0);
      this.seqOffset = 0;
    } else {
      if (spec.mode !== 'echo') throw new RangeError(`a fixed reply carries no sequence number: over UDP, --framing ${spec.framing} needs --mode echo`);
      if (spec.size < SEQ_DIGITS) throw new RangeError(`--size must be at least ${SEQ_DIGITS} over UDP with --framing ${spec.framing} (the sequence number)`);
      this.expected = payloadOf(spec.size);
      writeSeqDigits(this.expected, 0, 0);
      this.request = codec.frame(this.expected);
      this.seqOffset = spec.framing === 'length' ? LENGTH_HEADER : 0;
    }
    if (this.request.length > MAX_DATAGRAM) throw new RangeError(`--size too large for UDP: a request of ${this.request.length} bytes does not fit in one datagram (at most ${MAX_DATAGRAM})`);
  }

  /** Number the request at `buf[off]` (a copy of `request`). */
  number(buf: Buffer, off: number, seq: number): void {
    if (this.sockperf) setSockperfSeq(buf, off, seq);
    else writeSeqDigits(buf, off + this.seqOffset, seq);
  }

  /** The sequence number of the decoded reply `buf[start, end)`, or -1 when it carries none. */
  seqOf(buf: Buffer, start: number, end: number): number {
    if (this.sockperf) return end - start >= 8 ? sockperfSeq(buf, start) : -1;
    return end - start >= SEQ_DIGITS ? readSeqDigits(buf, start) : -1;
  }

  /** Whether the decoded reply `buf[start, end)` is the expected one, apart from its number. */
  matches(buf: Buffer, start: number, end: number): boolean {
    if (this.sockperf) return sockperfReplyMatches(this.expected, buf, start, end);
    return end - start === this.expected.length && this.expected.compare(buf, start + SEQ_DIGITS, end, SEQ_DIGITS) === 0;
  }
}
