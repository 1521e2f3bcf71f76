/**
 * What the responder (server.ts) reports: its figures at the end (and
 * whenever asked), what a shutdown's drain came to, and the events it emits
 * about single connections. The counts are kept in `ResponderServer.stats`;
 * these are the shapes they leave it in.
 */
import type { GcStats } from '../stats/gc.js';

export interface ServerSummary {
  connections: number;
  messages: number;
  /** sockperf messages that, as with sockperf's server, get no reply (warm-up, no PONG). */
  ignored: number;
  bytesIn: number;
  bytesOut: number;
  protocolErrors: number;
  socketErrors: number;
  /** Connections still open when the grace period ended, destroyed then. */
  forcedCloses: number;
  /** Connections refused because --max-connections were open. */
  rejectedConnections: number;
  /** Connections closed by --idle-timeout. */
  idleTimeouts: number;
  /** Times a connection stopped reading because its unsent replies reached --max-pending. */
  outputPauses: number;
  /** UDP (--udp): datagrams received, and those dropped, in all and by reason (src/server/udp.ts). */
  datagrams: number;
  datagramsDropped: number;
  /** Over --max-frame. */
  datagramsTooLarge: number;
  /** Not a frame of the framing (empty, short, cut, a bad header). */
  datagramsMalformed: number;
  /** More than one frame in one datagram. */
  datagramsSeveralFrames: number;
  /** A fixed reply longer than its request, not sent without --udp-amplify. */
  datagramsReplyTooLong: number;
  gc: GcStats;
  uptimeMs: number;
}

/** The counters of a new server, all 0 (ResponderServer.stats): the summary without its GC and uptime. */
export function serverCounters(): Omit<ServerSummary, 'gc' | 'uptimeMs'> {
  return {
    connections: 0,
    messages: 0,
    ignored: 0,
    bytesIn: 0,
    bytesOut: 0,
    protocolErrors: 0,
    socketErrors: 0,
    forcedCloses: 0,
    rejectedConnections: 0,
    idleTimeouts: 0,
    outputPauses: 0,
    datagrams: 0,
    datagramsDropped: 0,
    datagramsTooLarge: 0,
    datagramsMalformed: 0,
    datagramsSeveralFrames: 0,
    datagramsReplyTooLong: 0,
  };
}

/** What a shutdown's drain (`drainMs`) came to. */
export interface DrainResult {
  /** From the stop to the drain's end: the last peer closing, or `drainMs`. */
  ms: number;
  /** Connections open when the drain began. */
  open: number;
  /** Connections still open when it ended (then ended by us, as without a drain). */
  left: number;
}

export interface ProtocolErrorEvent {
  peer: string;
  code: string;
  reason: string;
  limit: number;
  actual: number;
}

/** A connection refused or closed because a limit was reached. */
export interface LimitEvent {
  peer: string;
  limit: number;
}
