/**
 * The log lines of what happens to single connections: a protocol error, an
 * idle timeout, a connection refused at --max-connections; and of datagrams
 * dropped on UDP. One line per event, but refusals and drops, which come in
 * floods (one bad UDP peer sends as fast as it likes, and costs nothing to
 * spoof), at most one a second, with the counts so far.
 */
import type { Logger } from '../cli/log.js';
import { framingHint } from '../protocol/errors.js';
import type { RemoteInfo } from 'node:dgram';
import type { ResponderServer } from './server.js';
import { DropReason } from './udp.js';
import type { LimitEvent, ProtocolErrorEvent } from './summary.js';

/** How often a flood of refused connections is logged: one line per this many ms, with the count so far. */
const REJECTED_EVERY_MS = 1000;

/** Log `server`'s connection events to `log` for as long as it runs. */
export function logConnectionEvents(server: ResponderServer, log: Logger): void {
  const rejections = new RejectionLog(log);
  server.on('protocol-error', (e: ProtocolErrorEvent) => logProtocolError(log, e));
  server.on('idle-timeout', (e: LimitEvent) => logIdleTimeout(log, e));
  server.on('connection-rejected', (e: LimitEvent) => rejections.note(e));
}

function logProtocolError(log: Logger, e: ProtocolErrorEvent): void {
  // The peer that breaks the framing is most often a client with another --framing (or nc, or curl): say so when the bytes show it.
  const hint = framingHint(e.code, e.actual);
  log.warn('protocol-error', { ...e, hint }, `protocol error from ${e.peer}: ${e.reason} (${e.code}); connection closed${hint === null ? '' : `; hint: ${hint}`}`);
}

function logIdleTimeout(log: Logger, e: LimitEvent): void {
  log.info('idle-timeout', { ...e }, `idle timeout: ${e.peer} sent nothing for ${e.limit} ms; connection closed`);
}

/** Refused connections: every one counted, one line a second at most. */
class RejectionLog {
  private readonly log: Logger;
  private rejected = 0;
  private loggedAt = 0;

  constructor(log: Logger) {
    this.log = log;
  }

  note(e: LimitEvent): void {
    this.rejected++;
    const now = Date.now();
    if (now - this.loggedAt < REJECTED_EVERY_MS) return;
    this.loggedAt = now;
    this.log.warn('connection-rejected', { ...e, count: this.rejected }, `connection from ${e.peer} refused: ${e.limit} connections open (--max-connections); ${this.rejected} refused so far`);
  }
}

/** The reasons of a dropped datagram as the log and the metrics name them, by DropReason. */
export const DROP_REASONS: Readonly<Record<number, string>> = {
  [DropReason.TOO_LARGE]: 'too_large',
  [DropReason.MALFORMED]: 'malformed',
  [DropReason.SEVERAL_FRAMES]: 'several_frames',
  [DropReason.REPLY_TOO_LONG]: 'reply_too_long',
};

const DROP_WORDS: Readonly<Record<number, string>> = {
  [DropReason.TOO_LARGE]: 'over --max-frame',
  [DropReason.MALFORMED]: 'not a frame of this framing',
  [DropReason.SEVERAL_FRAMES]: 'more than one frame',
  [DropReason.REPLY_TOO_LONG]: 'the fixed reply is longer than it (--udp-amplify allows it)',
};

/** Log `server`'s dropped datagrams: the first at once, then at most one line a second, each with the counts so far. */
export function logDatagramDrops(server: ResponderServer, log: Logger): void {
  let loggedAt = 0;
  server.on('datagram-dropped', (reason: number, from: RemoteInfo, size: number) => {
    const now = Date.now();
    if (now - loggedAt < REJECTED_EVERY_MS) return;
    loggedAt = now;
    const s = server.stats;
    const peer = from.family === 'IPv6' ? `[${from.address}]:${from.port}` : `${from.address}:${from.port}`;
    const counts = { tooLarge: s.datagramsTooLarge, malformed: s.datagramsMalformed, severalFrames: s.datagramsSeveralFrames, replyTooLong: s.datagramsReplyTooLong };
    log.warn(
      'datagram-dropped',
      { peer, reason: DROP_REASONS[reason], size, dropped: s.datagramsDropped, ...counts },
      `datagram of ${size} bytes from ${peer} dropped: ${DROP_WORDS[reason]}; ${s.datagramsDropped} dropped so far (at most one line a second)`,
    );
  });
}
