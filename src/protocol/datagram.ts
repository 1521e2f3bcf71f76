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
 */
import { LENGTH_HEADER } from './length.js';
import { SOCKPERF_HEADER } from './sockperf.js';

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
