/**
 * The framing codecs, shared by the server, the client and the benchmark.
 * Nothing else in the project parses or builds frames.
 */
import type { Decoder, MessageHandler } from './decoder.js';
import { createLengthDecoder, lengthFrame, writeLengthFrame, LENGTH_HEADER } from './length.js';
import { createLineDecoder, lineFrame, writeLineFrame } from './line.js';
import { createRespCommandDecoder } from './resp.js';
import { createRespReplyDecoder, echoRequest } from './resp-replies.js';
import { copyBytes } from './bytes.js';
import { createSockperfDecoder, FLAG_CLIENT, FLAG_PONG, sockperfMessage, writeSockperfReply, SOCKPERF_HEADER } from './sockperf.js';

export type { Decoder, MessageHandler } from './decoder.js';
export { ProtocolError, ErrorCodes, type ErrorCode } from './errors.js';
export * from './sockperf.js';
export { NUMBERED_FRAME, numberedFrames, frameNumber } from './length.js';

export const FRAMINGS = ['length', 'line', 'sockperf', 'resp'] as const;
export type Framing = (typeof FRAMINGS)[number];

export const MODES = ['fixed', 'echo'] as const;
export type Mode = (typeof MODES)[number];
/** What a client may expect: a server's mode, or `any` framed reply (servers whose replies differ, compared with `benchmark ab`). */
export const CLIENT_MODES = ['fixed', 'echo', 'any'] as const;
export type ClientMode = (typeof CLIENT_MODES)[number];

/** Default limit on one message, in bytes (1 MiB). */
export const DEFAULT_MAX_FRAME = 1024 * 1024;

/** Everything a program needs to speak one framing. */
export interface Codec {
  readonly framing: Framing;
  /** What a server reads: requests. */
  createDecoder(handler: MessageHandler, maxFrame: number): Decoder;
  /**
   * What a client reads: replies. The same decoder as requests', except
   * for resp, whose replies (+PONG, $5 hello) are not shaped as its
   * commands (*1 $4 PING).
   */
  createReplyDecoder(handler: MessageHandler, maxFrame: number): Decoder;
  /**
   * Frame one message around `payload`. Allocates: start-up only. For
   * sockperf the result is a ping request (CLIENT|PONG, sequence 0); for
   * resp the ECHO command of the payload.
   */
  frame(payload: Buffer): Buffer;
  /** Bytes on the wire of a message whose decoded form is `length` bytes long. */
  wireSize(length: number): number;
  /**
   * Write the echo of decoded message `src[start, end)` at `out[off]`; returns
   * the offset after it. For sockperf this is its server's reply. A resp
   * message is a whole command as sent, and a resp server answers it as
   * Redis does (server/resp-connection.ts), never by echo: here the command
   * is copied unchanged, which is all an echo of it can be.
   */
  writeEcho(src: Buffer, start: number, end: number, out: Buffer, off: number): number;
}

export const codecs: Readonly<Record<Framing, Codec>> = {
  length: {
    framing: 'length',
    createDecoder: createLengthDecoder,
    createReplyDecoder: createLengthDecoder,
    frame: lengthFrame,
    wireSize: (n) => LENGTH_HEADER + n,
    writeEcho: writeLengthFrame,
  },
  line: {
    framing: 'line',
    createDecoder: createLineDecoder,
    createReplyDecoder: createLineDecoder,
    frame: lineFrame,
    wireSize: (n) => n + 1,
    writeEcho: writeLineFrame,
  },
  sockperf: {
    framing: 'sockperf',
    createDecoder: createSockperfDecoder,
    createReplyDecoder: createSockperfDecoder,
    frame: (payload) => sockperfMessage(0n, FLAG_CLIENT | FLAG_PONG, SOCKPERF_HEADER + payload.length, payload),
    wireSize: (n) => n,
    writeEcho: writeSockperfReply,
  },
  resp: {
    framing: 'resp',
    createDecoder: createRespCommandDecoder,
    createReplyDecoder: createRespReplyDecoder,
    frame: echoRequest,
    wireSize: (n) => n,
    writeEcho: (src, start, end, out, off) => off + copyBytes(src, start, end, out, off),
  },
};
