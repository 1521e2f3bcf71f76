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
  }
  return new ProtocolError(code, message, limit, actual);
}
