/**
 * Protocol errors are values, not exceptions: a decoder returns one and the
 * connection that owns the decoder tears itself down. Tests assert `code`,
 * never the wording.
 */

/** Stable codes, one per way a peer can break the framing. */
export const ErrorCodes = {
  /** A length-prefixed frame announced a payload above the limit. */
  FRAME_TOO_LARGE: 'ERR_FRAME_TOO_LARGE',
  /** A line grew past the limit without a terminating newline. */
  LINE_TOO_LONG: 'ERR_LINE_TOO_LONG',
  /** A sockperf header announced a total length below its own 14-byte header. */
  SOCKPERF_TOO_SHORT: 'ERR_SOCKPERF_TOO_SHORT',
  /** A sockperf header announced a total length above the limit. */
  SOCKPERF_TOO_LARGE: 'ERR_SOCKPERF_TOO_LARGE',
  // RESP commands (the server's side): the message is Redis's own text, which the server also answers.
  /** `*N` is not a number, or above 2^31-1. */
  RESP_MULTIBULK_LENGTH: 'ERR_RESP_MULTIBULK_LENGTH',
  /** `$N` is not a number, negative, or above max-frame (`limit`). */
  RESP_BULK_LENGTH: 'ERR_RESP_BULK_LENGTH',
  /** An argument of a multibulk command does not start with `$` (`actual`: the byte). */
  RESP_EXPECTED_BULK: 'ERR_RESP_EXPECTED_BULK',
  /** An inline command grew past max-frame without a newline. */
  RESP_INLINE_TOO_BIG: 'ERR_RESP_INLINE_TOO_BIG',
  /** A `*N` line grew past its limit without a CR. */
  RESP_MULTIBULK_COUNT_TOO_BIG: 'ERR_RESP_MULTIBULK_COUNT_TOO_BIG',
  /** A `$N` line grew past its limit without a CR. */
  RESP_BULK_COUNT_TOO_BIG: 'ERR_RESP_BULK_COUNT_TOO_BIG',
  /** An inline command with a quote that does not close (or closes inside a word). */
  RESP_UNBALANCED_QUOTES: 'ERR_RESP_UNBALANCED_QUOTES',
  /** A command larger than max-frame plus its headers: closed without a reply, as Redis past its query buffer limit. */
  RESP_COMMAND_TOO_LARGE: 'ERR_RESP_COMMAND_TOO_LARGE',
  /** A RESP reply (the client's side) that is not a simple string, error, integer or bulk string, or is malformed. */
  RESP_BAD_REPLY: 'ERR_RESP_BAD_REPLY',
  /** A RESP reply's bulk string or line is longer than max-frame. */
  RESP_REPLY_TOO_LARGE: 'ERR_RESP_REPLY_TOO_LARGE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** A peer broke the wire protocol; `limit` and `actual` say how. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  readonly limit: number;
  readonly actual: number;

  constructor(code: ErrorCode, message: string, limit: number, actual: number) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.limit = limit;
    this.actual = actual;
  }
}

/** The one place protocol errors are created. */
export function protocolError(code: ErrorCode, limit: number, actual: number): ProtocolError {
  let message: string;
  switch (code) {
    case ErrorCodes.FRAME_TOO_LARGE:
      message = `frame length ${actual} exceeds max-frame ${limit}`;
      break;
    case ErrorCodes.LINE_TOO_LONG:
      message = `line longer than max-frame ${limit} (${actual} bytes without newline)`;
      break;
    case ErrorCodes.SOCKPERF_TOO_SHORT:
      message = `sockperf message length ${actual} is below the ${limit}-byte header`;
      break;
    case ErrorCodes.SOCKPERF_TOO_LARGE:
      message = `sockperf message length ${actual} exceeds max-frame ${limit}`;
      break;
    case ErrorCodes.RESP_MULTIBULK_LENGTH:
      message = 'Protocol error: invalid multibulk length';
      break;
    case ErrorCodes.RESP_BULK_LENGTH:
      message = 'Protocol error: invalid bulk length';
      break;
    case ErrorCodes.RESP_EXPECTED_BULK:
      // Redis's %c, with CR and LF turned to spaces as its error replies do.
      message = `Protocol error: expected '$', got '${actual === 0x0a || actual === 0x0d ? ' ' : String.fromCharCode(actual)}'`;
      break;
    case ErrorCodes.RESP_INLINE_TOO_BIG:
      message = 'Protocol error: too big inline request';
      break;
    case ErrorCodes.RESP_MULTIBULK_COUNT_TOO_BIG:
      message = 'Protocol error: too big mbulk count string';
      break;
    case ErrorCodes.RESP_BULK_COUNT_TOO_BIG:
      message = 'Protocol error: too big bulk count string';
      break;
    case ErrorCodes.RESP_UNBALANCED_QUOTES:
      message = 'Protocol error: unbalanced quotes in request';
      break;
    case ErrorCodes.RESP_COMMAND_TOO_LARGE:
      message = `RESP command of at least ${actual} bytes exceeds max-frame plus headers (${limit})`;
      break;
    case ErrorCodes.RESP_BAD_REPLY:
      message = `RESP reply is malformed or of an unexpected type (byte ${actual} where ${limit === 0 ? 'a type byte' : 'CR LF'} was due)`;
      break;
    case ErrorCodes.RESP_REPLY_TOO_LARGE:
      message = `RESP reply of ${actual} bytes exceeds max-frame ${limit}`;
      break;
  }
  return new ProtocolError(code, message, limit, actual);
}

/**
 * The four bytes of a big-endian header field as text, when every one of
 * them is printable ASCII (or a tab, CR or LF); null otherwise. A length
 * header that reads as text ("hola" is 1752132705) was most likely never a
 * length: the peer sent text.
 */
export function headerText(field: number): string | null {
  let text = '';
  for (let shift = 24; shift >= 0; shift -= 8) {
    const b = (field >>> shift) & 0xff;
    if (!((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d)) return null;
    text += String.fromCharCode(b);
  }
  return text;
}

const HTTP_METHODS = /^(GET |POST|PUT |HEAD|DELE|PATC|OPTI|CONN|TRAC|PRI )/;

/**
 * A guess, for a person, at why a peer broke the framing, when the error's
 * figures allow one; null when they do not. Either side can log it: a
 * server whose client sends another framing, or a client whose server does.
 * Worded for the reader of either log: "the peer" is the other side.
 */
export function framingHint(code: string, actual: number): string | null {
  switch (code) {
    case ErrorCodes.FRAME_TOO_LARGE: {
      const text = headerText(actual);
      if (text === null) return null;
      if (HTTP_METHODS.test(text)) return `the peer speaks HTTP (it sent ${JSON.stringify(text)}); this protocol is length-framed messages, not HTTP`;
      return `the 4-byte length reads as text (${JSON.stringify(text)}): the peer seems to send lines, which --framing line reads; both sides need the same --framing`;
    }
    case ErrorCodes.LINE_TOO_LONG:
      return `no newline in ${actual} bytes: if the peer sends length-prefixed or sockperf frames, both sides need the same --framing`;
    case ErrorCodes.SOCKPERF_TOO_SHORT:
    case ErrorCodes.SOCKPERF_TOO_LARGE:
      return 'the peer does not seem to send sockperf messages: both sides need the same --framing';
    case ErrorCodes.RESP_BAD_REPLY:
      return 'the peer does not seem to speak RESP (Redis): both sides need the same --framing';
    default:
      return null;
  }
}
