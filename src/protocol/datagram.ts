/**
 * One frame per datagram: what UDP carries of each framing. A datagram is a
 * whole message or nothing; there is no stream to resynchronise, so each one
 * is judged alone, with the same header layouts and limits as the stream
 * decoders (length.ts, line.ts, sockperf.ts), and never buffered.
 *
 *   length    exactly one frame: the u32 header and as many payload bytes as it says
 *   line      one line, with or without its final `\n` (as `nc -u` and most UDP
 *             line tools send it); a `\n` before the last byte is a second line
 *   sockperf  exactly one message: its length field equals the datagram's size,
 *             as sockperf's UDP client sends it
 *
 * Only these framings work per datagram (DATAGRAM_FRAMINGS, an allow-list):
 * a framing that needs a conversation or a stream is refused at start.
 *
 * The server judges each datagram with datagramVerdict; the client numbers
 * its requests with DatagramExchange (below).
 */
import { type Framing, codecs } from './index.js';
import { LENGTH_HEADER } from './length.js';
import { SOCKPERF_HEADER, setSockperfSeq, sockperfReplyMatches, sockperfSeq, writeSockperfReply } from './sockperf.js';
import { type RequestSpec, payloadOf } from './exchange.js';

/** The framings a datagram can carry, one frame each. */
export const DATAGRAM_FRAMINGS: readonly string[] = ['length', 'line', 'sockperf'];

/** What a datagram holds: one message (OK), or why it is dropped. */
export const Datagram = {
  OK: 0,
  /** Its frame is over --max-frame. */
  TOO_LARGE: 1,
  /** Not a frame of this framing: empty, shorter than a header, cut short, or a header below its own size. */
  MALFORMED: 2,
  /** More than one frame: bytes after the first frame, or a second line. */
  SEVERAL_FRAMES: 3,
} as const;

const LF = 0x0a;
const CR = 0x0d;
/** The length field of a sockperf header (sockperf.ts has the layout). */
const SOCKPERF_LENGTH = 10;

/**
 * Whether `buf[0, len)` is exactly one frame of `framing` within `maxFrame`:
 * Datagram.OK, or the reason to drop it. Allocates nothing.
 */
export function datagramVerdict(framing: string, buf: Buffer, len: number, maxFrame: number): number {
  if (framing === 'length') {
    if (len < LENGTH_HEADER) return Datagram.MALFORMED;
    const n = buf.readUInt32BE(0);
    if (n > maxFrame) return Datagram.TOO_LARGE;
    if (LENGTH_HEADER + n > len) return Datagram.MALFORMED;
    return LENGTH_HEADER + n === len ? Datagram.OK : Datagram.SEVERAL_FRAMES;
  }
  if (framing === 'line') {
    if (len === 0) return Datagram.MALFORMED;
    const lf = buf.indexOf(LF);
    if (lf >= 0 && lf < len - 1) return Datagram.SEVERAL_FRAMES;
    // The limit counts the bytes before the `\n`, a `\r` included, as the stream decoder does.
    return (lf === len - 1 ? len - 1 : len) > maxFrame ? Datagram.TOO_LARGE : Datagram.OK;
  }
  if (len < SOCKPERF_HEADER) return Datagram.MALFORMED;
  const total = buf.readUInt32BE(SOCKPERF_LENGTH);
  if (total < SOCKPERF_HEADER) return Datagram.MALFORMED;
  if (total > maxFrame) return Datagram.TOO_LARGE;
  if (total > len) return Datagram.MALFORMED;
  return total === len ? Datagram.OK : Datagram.SEVERAL_FRAMES;
}

/** Whether a line datagram `buf[0, len)` (one line, judged OK) ends in its `\n`. */
export function endsWithNewline(buf: Buffer, len: number): boolean {
  return len > 0 && buf[len - 1] === LF;
}

/**
 * Echo a line datagram in place: the line back with its `\n` if it came
 * with one, without a `\r` before it (as the stream's echo does). Returns
 * the reply's length: the datagram's, or one less for a `\r\n`.
 */
export function echoLineInPlace(buf: Buffer, len: number): number {
  if (len >= 2 && buf[len - 1] === LF && buf[len - 2] === CR) {
    buf[len - 2] = LF;
    return len - 1;
  }
  return len;
}

/** The fewest bytes a datagram of `framing` holds and still is one frame: the request a reply is compared with. */
export function smallestDatagram(framing: string): number {
  if (framing === 'length') return LENGTH_HEADER;
  if (framing === 'line') return 1;
  return SOCKPERF_HEADER;
}

/*
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
