/**
 * The log lines of what happens to single connections: a protocol error, an
 * idle timeout, a connection refused at --max-connections. One line per
 * event, but refusals, which come in floods, at most one a second.
 */
import type { Logger } from '../cli/log.js';
import { framingHint } from '../protocol/errors.js';
import type { ResponderServer } from './server.js';
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
