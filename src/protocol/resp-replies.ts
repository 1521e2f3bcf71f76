/**
 * RESP replies: what a client sends and reads back (the request for
 * --size, the reply decoder), and what the server writes (PONG, bulk
 * strings, Redis's error texts). The message a reply decoder delivers is
 * the whole reply as sent, so that a client checks it with one compare.
 */
import { type Decoder, type MessageHandler, PartialBuffer } from './decoder.js';
import { ErrorCodes, type ProtocolError, protocolError } from './errors.js';
import { copyBytes } from './bytes.js';

const CR = 0x0d;
const LF = 0x0a;

export const PONG = Buffer.from('+PONG\r\n');
export const PING_REQUEST = Buffer.from('*1\r\n$4\r\nPING\r\n');

/** `$N\r\n<payload>\r\n`. Allocates: start-up only. */
export function bulkString(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`$${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
}

/** The ECHO command for `payload`, as multibulk. Allocates: start-up only. */
export function echoRequest(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from('*2\r\n$4\r\nECHO\r\n'), bulkString(payload)]);
}

/** What a RESP client sends for a payload of `size` bytes, and the reply it must get: PING and +PONG for 0, ECHO and the bulk string above. */
export function respExchange(payload: Buffer): { request: Buffer; expected: Buffer } {
  if (payload.length === 0) return { request: PING_REQUEST, expected: PONG };
  return { request: echoRequest(payload), expected: bulkString(payload) };
}

/** Bytes of the bulk string of an `n`-byte string. */
export function bulkSize(n: number): number {
  return digits(n) + n + 5;
}

function digits(n: number): number {
  let d = 1;
  for (; n >= 10; n = Math.floor(n / 10)) d++;
  return d;
}

/** Write the bulk string of `src[start, end)` at `out[off]`; returns the offset after it. */
export function writeBulk(src: Buffer, start: number, end: number, out: Buffer, off: number): number {
  const n = end - start;
  out[off++] = 0x24; // $
  const d = digits(n);
  for (let i = d - 1, v = n; i >= 0; i--, v = Math.floor(v / 10)) out[off + i] = 0x30 + (v % 10);
  off += d;
  out[off++] = CR;
  out[off++] = LF;
  off += copyBytes(src, start, end, out, off);
  out[off++] = CR;
  out[off++] = LF;
  return off;
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const COLON = 0x3a;
const DOLLAR = 0x24;
const FAILED = -1;

/**
 * Decodes RESP2 replies of the kinds a PING or ECHO can get: simple
 * strings, errors, integers and bulk strings (null included). Anything
 * else (arrays, RESP3 types) is a protocol error: the client asked for none.
 */
export class RespReplyDecoder implements Decoder {
  private readonly handler: MessageHandler;
  private readonly maxFrame: number;
  private readonly partial: PartialBuffer;
  private error: ProtocolError | null = null;

  constructor(handler: MessageHandler, maxFrame: number) {
    this.handler = handler;
    this.maxFrame = maxFrame;
    this.partial = new PartialBuffer(maxFrame + 32);
  }

  get buffered(): number {
    return this.partial.len;
  }

  push(buf: Buffer, start: number, end: number): ProtocolError | null {
    let off = start;
    const p = this.partial;
    while (p.len > 0) {
      if (off === end) return null;
      // Add up to the end of the header line, or up to the reply's end once the header says where it is.
      let total = this.size(p.buf, 0, p.len);
      if (total === FAILED) return this.error;
      let take: number;
      if (total > 0) take = Math.min(end - off, total - p.len);
      else {
        const lf = buf.indexOf(LF, off);
        take = lf >= 0 && lf < end ? lf + 1 - off : end - off;
      }
      p.append(buf, off, off + take);
      off += take;
      if (total <= 0) total = this.size(p.buf, 0, p.len);
      if (total === FAILED) return this.error;
      if (total > 0 && p.len === total) {
        if (!this.deliver(p.buf, 0, total)) return this.error;
        p.clear();
      } else if (total > 0) p.reserve(total);
    }
    while (off < end) {
      const total = this.size(buf, off, end);
      if (total === FAILED) return this.error;
      if (total === 0 || end - off < total) {
        p.append(buf, off, end);
        return null;
      }
      if (!this.deliver(buf, off, off + total)) return this.error;
      off += total;
    }
    return null;
  }

  /** Hand over one whole reply, once its last two bytes are checked to be CR LF. */
  private deliver(buf: Buffer, start: number, end: number): boolean {
    if (buf[end - 2] !== CR || buf[end - 1] !== LF) {
      this.error = protocolError(ErrorCodes.RESP_BAD_REPLY, 1, buf[end - 2]);
      return false;
    }
    this.handler.onMessage(buf, start, end);
    return true;
  }

  /** The size of the reply at `buf[off]`, 0 while its header line is incomplete, or FAILED. */
  private size(buf: Buffer, off: number, end: number): number {
    const type = buf[off];
    if (type !== PLUS && type !== MINUS && type !== COLON && type !== DOLLAR) {
      this.error = protocolError(ErrorCodes.RESP_BAD_REPLY, 0, type);
      return FAILED;
    }
    const lf = buf.indexOf(LF, off);
    const line = (lf >= 0 && lf < end ? lf : end) - off;
    if (line > this.maxFrame + 1) {
      this.error = protocolError(ErrorCodes.RESP_REPLY_TOO_LARGE, this.maxFrame, line);
      return FAILED;
    }
    if (lf < 0 || lf >= end) return 0;
    if (type !== DOLLAR) return lf + 1 - off;
    let n = 0;
    const neg = buf[off + 1] === MINUS;
    if (buf[lf - 1] !== CR || lf - 1 <= off + (neg ? 2 : 1)) return this.malformed(buf[lf - 1]);
    for (let i = off + (neg ? 2 : 1); i < lf - 1; i++) {
      const d = buf[i] - 0x30;
      if (d < 0 || d > 9 || n > this.maxFrame) {
        this.error = d < 0 || d > 9 ? protocolError(ErrorCodes.RESP_BAD_REPLY, 1, buf[i]) : protocolError(ErrorCodes.RESP_REPLY_TOO_LARGE, this.maxFrame, n);
        return FAILED;
      }
      n = n * 10 + d;
    }
    if (neg) return n === 1 ? lf + 1 - off : this.malformed(buf[off + 2]);
    if (n > this.maxFrame) {
      this.error = protocolError(ErrorCodes.RESP_REPLY_TOO_LARGE, this.maxFrame, n);
      return FAILED;
    }
    return lf + 1 - off + n + 2;
  }

  private malformed(byte: number): number {
    this.error = protocolError(ErrorCodes.RESP_BAD_REPLY, 1, byte);
    return FAILED;
  }
}

export function createRespReplyDecoder(handler: MessageHandler, maxFrame: number): Decoder {
  return new RespReplyDecoder(handler, maxFrame);
}

/** Redis's reply to a known command given the wrong number of arguments; `name` as Redis spells it, lower case. */
export function wrongArityReply(name: string): Buffer {
  return Buffer.from(`-ERR wrong number of arguments for '${name}' command\r\n`);
}

/** Redis's error reply for a protocol error: its text, then the connection closes. */
export function protocolErrorReply(message: string): Buffer {
  return Buffer.from(`-ERR ${message}\r\n`, 'latin1');
}

/** Bytes Redis's error replies quote of a command's name, and of its arguments together. */
const QUOTED = 128;

/**
 * Redis 7's reply to a command it does not know, byte for byte:
 * `-ERR unknown command 'FOO', with args beginning with: 'a' 'b' ` + CR LF.
 * As Redis prints them with `%.*s`: at most 128 bytes of the name, 128 of
 * the arguments together, each stopping at a NUL byte, and CR and LF turned
 * to spaces. Allocates: unknown commands are not the hot path.
 */
export function unknownCommandReply(buf: Buffer, argc: number, argStart: Uint32Array, argEnd: Uint32Array): Buffer {
  const out: number[] = [];
  const text = (s: string) => {
    for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  };
  const quote = (start: number, end: number, most: number) => {
    for (let i = start; i < end && i - start < most && buf[i] !== 0; i++) out.push(buf[i] === CR || buf[i] === LF ? 0x20 : buf[i]);
  };
  text("-ERR unknown command '");
  quote(argStart[0], argEnd[0], QUOTED);
  text("', with args beginning with: ");
  let quoted = 0;
  for (let i = 1; i < argc && i < argStart.length && quoted < QUOTED; i++) {
    const before = out.length;
    text("'");
    quote(argStart[i], argEnd[i], QUOTED - quoted);
    text("' ");
    quoted += out.length - before;
  }
  text('\r\n');
  return Buffer.from(out);
}
