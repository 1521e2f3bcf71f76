/**
 * What the admin side reads of the thread that answers messages: its
 * counters, its open connections, each GC as it happens and the code of
 * each protocol error. Defined here, and met as it is by the responder
 * (src/server's ResponderServer), so that src/admin needs nothing of
 * src/server: the server uses the admin side, never the other way round.
 */

/** The counters publisher.ts copies, as the responder keeps them (counted per read and per write). */
export interface ServingCounters {
  readonly connections: number;
  readonly messages: number;
  readonly ignored: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly socketErrors: number;
  readonly rejectedConnections: number;
  readonly idleTimeouts: number;
  readonly forcedCloses: number;
  readonly outputPauses: number;
  readonly datagrams: number;
  readonly datagramsTooLarge: number;
  readonly datagramsMalformed: number;
  readonly datagramsSeveralFrames: number;
  readonly datagramsReplyTooLong: number;
}

export interface ServingStats {
  readonly stats: ServingCounters;
  readonly activeConnections: number;
  /** Call `fn` with each GC's kind and pause; null to stop. */
  onGc(fn: ((kind: number, pauseMs: number) => void) | null): void;
  /** Each protocol error, for its code (the counts by code). */
  on(event: 'protocol-error', listener: (e: { code: string }) => void): unknown;
}
