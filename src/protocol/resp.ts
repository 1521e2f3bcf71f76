/**
 * RESP commands, the server's side of Redis's protocol: multibulk
 * (`*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n`) and inline (`PING hello\r\n`),
 * parsed as Redis 7's networking.c parses them, errors and their text
 * included. The message a handler gets is the whole command as sent; the
 * decoder's fields say where its arguments are (argc, argStart, argEnd in
 * argBuf), valid during the call, so that nothing is allocated per command.
 *
 * A command that arrives whole is parsed where it lies. One cut by the end
 * of a read is copied into `partial` and parsed on from where it stopped:
 * later reads add to it one token at a time (a line, or a bulk's bytes), so
 * only that command is copied and no byte is scanned twice.
 */
import { type Decoder, KEEP_BYTES, type MessageHandler, PartialBuffer } from './decoder.js';
import { type ErrorCode, ErrorCodes, type ProtocolError, protocolError } from './errors.js';
import { splitInline } from './resp-inline.js';

const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;
const MINUS = 0x2d;
const ZERO = 0x30;
const INT_MAX = 2 ** 31 - 1;

/** Arguments whose place is kept: enough for any reply (an error quotes at most 128 bytes of them, 3 at least each). */
export const RESP_KEPT_ARGS = 64;
/** Bytes a command may have beyond --max-frame: its `*N` and `$N` headers. */
export const RESP_HEADROOM = 1024;
/** The longest `*N` or `$N` line: a 64-bit count has at most 20 digits. */
const COUNT_LINE_MAX = 64;

const START = 0;
const INLINE = 1;
const COUNT = 2;
const BULK_LEN = 3;
const BULK_BODY = 4;

const DONE = 0;
const MORE = 1;
const FAILED = 2;

const EMPTY = Buffer.alloc(0);

export class RespCommandDecoder implements Decoder {
  /** The command being delivered: its argument count, the buffer its arguments are in, and where (the first RESP_KEPT_ARGS). */
  argc = 0;
  argBuf: Buffer = EMPTY;
  readonly argStart = new Uint32Array(RESP_KEPT_ARGS);
  readonly argEnd = new Uint32Array(RESP_KEPT_ARGS);
  /** Unescaped arguments of a quoted inline command. */
  scratch: Buffer = EMPTY;

  private readonly handler: MessageHandler;
  private readonly maxFrame: number;
  private readonly commandLimit: number;
  private readonly partial: PartialBuffer;
  private error: ProtocolError | null = null;
  // The parse, resumable: offsets into the buffer being parsed (the read, or `partial`).
  private state = START;
  private pos = 0;
  private cmdStart = 0;
  private tokenStart = 0;
  /** Where the search for the current line's end goes on. */
  private scan = 0;
  private argi = 0;
  private bulkLen = 0;

  constructor(handler: MessageHandler, maxFrame: number) {
    this.handler = handler;
    this.maxFrame = maxFrame;
    this.commandLimit = maxFrame + RESP_HEADROOM;
    this.partial = new PartialBuffer(this.commandLimit + COUNT_LINE_MAX);
  }

  get buffered(): number {
    return this.partial.len;
  }

  push(buf: Buffer, start: number, end: number): ProtocolError | null {
    let off = start;
    const p = this.partial;
    while (p.len > 0) {
      if (off === end) return null;
      off = this.feed(buf, off, end);
      const r = this.parse(p.buf, p.len);
      if (r === FAILED) return this.error;
      if (r === DONE) p.clear();
      else if (this.state === BULK_BODY) p.reserve(this.pos + this.bulkLen + 2);
    }
    while (off < end) {
      this.pos = off;
      const r = this.parse(buf, end);
      if (r === FAILED) return this.error;
      if (r === MORE) {
        this.hold(buf, end);
        return null;
      }
      off = this.pos;
    }
    return null;
  }

  /** Keep the unfinished command `buf[cmdStart, end)`, its offsets made relative to `partial`. */
  private hold(buf: Buffer, end: number): void {
    const shift = this.cmdStart;
    const p = this.partial;
    if (this.state === BULK_BODY) p.reserve(this.pos - shift + this.bulkLen + 2);
    p.append(buf, shift, end);
    this.pos -= shift;
    this.tokenStart -= shift;
    this.scan -= shift;
    this.cmdStart = 0;
    for (let i = Math.min(this.argi, RESP_KEPT_ARGS) - 1; i >= 0; i--) {
      this.argStart[i] -= shift;
      this.argEnd[i] -= shift;
    }
  }

  /** Add to the held command what it takes next of `buf[off, end)`: up to its current token's end, never past a limit by more than one byte. Returns where the rest begins. */
  private feed(buf: Buffer, off: number, end: number): number {
    const p = this.partial;
    let to = off + 1; // the CR of a count line is held; the byte after it is due
    if (this.state === BULK_BODY) to = Math.min(end, off + this.pos + this.bulkLen + 2 - p.len);
    else if (this.state === INLINE) {
      const lf = find(buf, LF, off, end);
      to = lf >= 0 ? lf + 1 : Math.min(end, off + this.maxFrame + 1 - (p.len - this.tokenStart));
    } else if (this.scan >= p.len) {
      const cr = find(buf, CR, off, end);
      const room = COUNT_LINE_MAX + 1 - (p.len - this.tokenStart);
      if (cr < 0) to = Math.min(end, off + room);
      else if (cr - off < room) to = Math.min(cr + 2, end);
      else {
        // Ended, but too long for a count: its first bytes and its CR fail it as the whole line would.
        p.append(buf, off, off + room);
        p.append(buf, cr, cr + 1);
        return cr + 1;
      }
    }
    p.append(buf, off, to);
    return to;
  }

  private fail(code: ErrorCode, limit: number, actual: number): number {
    this.error = protocolError(code, limit, actual);
    return FAILED;
  }

  /**
   * Parse on from `pos` until one command is complete (DONE: delivered if
   * it had arguments, `pos` after it), the bytes run out (MORE) or the
   * stream breaks (FAILED). An inline line's limit is checked the same way
   * whether its end is in sight or not; a count line's, as Redis checks it,
   * only while its end has not come (countLine).
   */
  private parse(buf: Buffer, end: number): number {
    for (;;) {
      switch (this.state) {
        case START:
          this.cmdStart = this.tokenStart = this.scan = this.pos;
          this.state = buf[this.pos] === STAR ? COUNT : INLINE;
          break;
        case INLINE: {
          const lf = find(buf, LF, this.scan, end);
          const len = (lf < 0 ? end : lf) - this.tokenStart;
          if (len > this.maxFrame) return this.fail(ErrorCodes.RESP_INLINE_TOO_BIG, this.maxFrame, len);
          if (lf < 0) {
            this.scan = end;
            return MORE;
          }
          this.state = START;
          this.pos = lf + 1;
          const lineEnd = lf > this.tokenStart && buf[lf - 1] === CR ? lf - 1 : lf;
          if (!splitInline(this, buf, this.tokenStart, lineEnd)) return this.fail(ErrorCodes.RESP_UNBALANCED_QUOTES, 0, 0);
          if (this.argc > 0) this.handler.onMessage(buf, this.cmdStart, this.pos);
          // As PartialBuffer: a long quoted line's scratch is not kept by an idle connection.
          if (this.scratch.length > KEEP_BYTES) this.scratch = this.argBuf = EMPTY;
          return DONE;
        }
        case COUNT:
        case BULK_LEN: {
          const r = this.countLine(buf, end);
          if (r !== DONE) return r;
          if ((this.state as number) === START) return DONE; // `*0` or `*-1`: an empty command, no reply
          break;
        }
        case BULK_BODY: {
          const n = this.bulkLen;
          if (end - this.pos < n + 2) return MORE;
          const i = this.argi++;
          if (i < RESP_KEPT_ARGS) {
            this.argStart[i] = this.pos;
            this.argEnd[i] = this.pos + n;
          }
          // As Redis: the two bytes after a bulk are taken as its CR LF, unchecked.
          this.pos += n + 2;
          if (this.argi === this.argc) {
            this.state = START;
            this.argBuf = buf;
            this.handler.onMessage(buf, this.cmdStart, this.pos);
            return DONE;
          }
          this.state = BULK_LEN;
          this.tokenStart = this.scan = this.pos;
          break;
        }
      }
    }
  }

  /**
   * A `*N` or `$N` line: DONE once read (the next state set), or MORE, or
   * FAILED. As Redis: a line with no CR yet is "too big" once past the
   * limit (Redis's is 64 KiB); one whose CR has come is read as a number,
   * and one too long to be a number (parseCount) is an invalid length.
   */
  private countLine(buf: Buffer, end: number): number {
    const count = this.state === COUNT;
    const cr = find(buf, CR, this.scan, end);
    if (cr < 0) {
      const len = end - this.tokenStart;
      if (len > COUNT_LINE_MAX) return this.fail(count ? ErrorCodes.RESP_MULTIBULK_COUNT_TOO_BIG : ErrorCodes.RESP_BULK_COUNT_TOO_BIG, COUNT_LINE_MAX, len);
      this.scan = end;
      return MORE;
    }
    // Redis waits for the byte after the CR; a line past the limit is failed without it, so that it is never held.
    if (cr + 1 >= end && cr - this.tokenStart <= COUNT_LINE_MAX) {
      this.scan = cr;
      return MORE;
    }
    if (count) {
      const n = parseCount(buf, this.tokenStart + 1, cr);
      if (!(n <= INT_MAX)) return this.fail(ErrorCodes.RESP_MULTIBULK_LENGTH, INT_MAX, n);
      this.pos = cr + 2;
      if (n <= 0) {
        this.state = START;
        return DONE;
      }
      this.argc = n;
      this.argi = 0;
      this.state = BULK_LEN;
      this.tokenStart = this.scan = this.pos;
      return DONE;
    }
    if (buf[this.tokenStart] !== DOLLAR) return this.fail(ErrorCodes.RESP_EXPECTED_BULK, 0, buf[this.tokenStart]);
    const n = parseCount(buf, this.tokenStart + 1, cr);
    if (!(n >= 0 && n <= this.maxFrame)) return this.fail(ErrorCodes.RESP_BULK_LENGTH, this.maxFrame, n);
    this.pos = cr + 2;
    // The limit at the header: refused before a byte of its payload is held.
    const size = this.pos - this.cmdStart + n + 2;
    if (size > this.commandLimit) return this.fail(ErrorCodes.RESP_COMMAND_TOO_LARGE, this.commandLimit, size);
    this.bulkLen = n;
    this.state = BULK_BODY;
    return DONE;
  }
}

/** Index of `byte` in `buf[off, end)`, or -1: bytes past `end` may be stale. */
function find(buf: Buffer, byte: number, off: number, end: number): number {
  const i = buf.indexOf(byte, off);
  return i >= 0 && i < end ? i : -1;
}

/** A count as Redis's string2ll reads it (an optional minus, no leading zero, no sign, at most 20 digits), or NaN. */
export function parseCount(buf: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 20) return Number.NaN;
  let i = start;
  const negative = buf[i] === MINUS;
  if (negative && ++i === end) return Number.NaN;
  if (buf[i] === ZERO) return i + 1 === end && !negative ? 0 : Number.NaN;
  let v = 0;
  for (; i < end; i++) {
    const d = buf[i] - ZERO;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

export function createRespCommandDecoder(handler: MessageHandler, maxFrame: number): Decoder {
  return new RespCommandDecoder(handler, maxFrame);
}
