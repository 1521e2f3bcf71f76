/**
 * The framing codecs, shared by the server, the client and the benchmark.
 * Nothing else in the project parses or builds frames.
 */
import type { Decoder, MessageHandler } from './decoder.js';
import { createLengthDecoder, lengthFrame, writeLengthFrame, LENGTH_HEADER } from './length.js';
import { createLineDecoder, lineFrame, writeLineFrame } from './line.js';
import { createSockperfDecoder, FLAG_CLIENT, FLAG_PONG, sockperfMessage, writeSockperfReply, SOCKPERF_HEADER } from './sockperf.js';

export type { Decoder, MessageHandler } from './decoder.js';
export { ProtocolError, ErrorCodes, type ErrorCode } from './errors.js';
export * from './sockperf.js';
export { NUMBERED_FRAME, numberedFrames, frameNumber } from './length.js';

export const FRAMINGS = ['length', 'line', 'sockperf'] as const;
export type Framing = (typeof FRAMINGS)[number];

export const MODES = ['fixed', 'echo'] as const;
export type Mode = (typeof MODES)[number];

/** Default limit on one message, in bytes (1 MiB). */
export const DEFAULT_MAX_FRAME = 1024 * 1024;

/** Everything a program needs to speak one framing. */
export interface Codec {
  readonly framing: Framing;
  createDecoder(handler: MessageHandler, maxFrame: number): Decoder;
  /**
   * Frame one message around `payload`. Allocates: start-up only. For
   * sockperf the result is a ping request (CLIENT|PONG, sequence 0).
   */
  frame(payload: Buffer): Buffer;
  /** Bytes on the wire of a message whose decoded form is `length` bytes long. */
  wireSize(length: number): number;
  /**
   * Write the echo of decoded message `src[start, end)` at `out[off]`; returns
   * the offset after it. For sockperf this is its server's reply.
   */
  writeEcho(src: Buffer, start: number, end: number, out: Buffer, off: number): number;
}

export const codecs: Readonly<Record<Framing, Codec>> = {
  length: {
    framing: 'length',
    createDecoder: createLengthDecoder,
    frame: lengthFrame,
    wireSize: (n) => LENGTH_HEADER + n,
    writeEcho: writeLengthFrame,
  },
  line: {
    framing: 'line',
    createDecoder: createLineDecoder,
    frame: lineFrame,
    wireSize: (n) => n + 1,
    writeEcho: writeLineFrame,
  },
  sockperf: {
    framing: 'sockperf',
    createDecoder: createSockperfDecoder,
    frame: (payload) => sockperfMessage(0n, FLAG_CLIENT | FLAG_PONG, SOCKPERF_HEADER + payload.length, payload),
    wireSize: (n) => n,
    writeEcho: writeSockperfReply,
  },
};
