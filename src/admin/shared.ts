/**
 * The one wire between the serving thread and the admin worker: shared
 * memory, no messages. The serving thread stores numbers into fixed slots
 * (publisher.ts); the admin worker only reads them (metrics.ts, health.ts).
 * Nothing is serialized or allocated on either side to pass a figure.
 *
 *   values  Float64Array  counters and gauges, one slot each (Slot below)
 *   flags   Int32Array    readiness and sequence numbers, read and written with Atomics (Flag)
 *   gcRing  Float64Array  one [kind, pause ms] pair per GC, GC_RING pairs, written at flags[GC_WRITTEN]
 *
 * A Float64 slot is written by one thread only, with an aligned 8-byte store
 * that x86-64 and arm64 never tear; a reader sees the old value or the new.
 */
import { ErrorCodes } from '../protocol/errors.js';

/** Counter and gauge slots in `values`. */
export const Slot = {
  accepted: 0,
  open: 1,
  rejected: 2,
  idleClosed: 3,
  forcedClosed: 4,
  messages: 5,
  ignored: 6,
  bytesIn: 7,
  bytesOut: 8,
  socketErrors: 9,
  outputPauses: 10,
  /** Event-loop delay of the serving thread over the last whole window, in nanoseconds. */
  eldMin: 11,
  eldMean: 12,
  eldMax: 13,
  eldP50: 14,
  eldP90: 15,
  eldP99: 16,
  eldP999: 17,
  /** Samples in that window. */
  eldSamples: 18,
  /** The serving thread's memory (process.memoryUsage), bytes. */
  rss: 19,
  heapUsed: 20,
  heapTotal: 21,
  external: 22,
  arrayBuffers: 23,
  /** Date.now() of the last publication: the serving thread's heartbeat. */
  publishedAt: 24,
  /** Admin worker restarts after a crash. */
  adminRestarts: 25,
  /** GC ring entries overwritten before the worker read them. */
  gcDropped: 26,
  /** With --workers, in a worker's figures as the primary keeps them: 1 while its process runs and listens. */
  workerUp: 27,
  /** With --workers: times that worker's process died and was started again. */
  workerRestarts: 28,
  /** UDP (--udp): datagrams received. */
  datagrams: 29,
  /** UDP datagrams dropped, one slot per reason in DROP_REASONS. */
  datagramsDropped: 30,
  /** Protocol errors, one slot per code in PROTOCOL_ERROR_CODES, then one for any other. */
  protocolErrors: 34,
} as const;

/** Why a UDP datagram is dropped, as the metrics label it: one slot each from Slot.datagramsDropped, in this order (the server's summary counts the same). */
export const DROP_REASONS = ['too_large', 'malformed', 'several_frames', 'reply_too_long'] as const;

/** The protocol error codes counted one by one (src/protocol/errors.ts). */
export const PROTOCOL_ERROR_CODES: readonly string[] = Object.values(ErrorCodes);
export const VALUE_SLOTS = Slot.protocolErrors + PROTOCOL_ERROR_CODES.length + 1;

/** Int32 slots in `flags`. */
export const Flag = {
  /** 1 once every listener accepts. */
  listening: 0,
  /** 1 from the first SIGTERM/SIGINT on. */
  draining: 1,
  /** Incremented at each publication: the worker caches what it built from one. */
  sequence: 2,
  /** GC entries written to gcRing so far (the next goes at this modulo GC_RING). */
  gcWritten: 3,
} as const;
const FLAG_SLOTS = 4;

/** GC entries the ring holds: far more than the GCs of one second under any load seen here (bench/ab.ts gc-flags). */
export const GC_RING = 1024;

/** GC kinds as the metrics label them, indexed by the code publisher.ts writes: the server's summary counts the same kinds (src/stats/gc.ts). */
export { GC_KINDS } from '../stats/gc.js';

export interface SharedStats {
  values: Float64Array;
  flags: Int32Array;
  gcRing: Float64Array;
}

/** The buffers as they cross to the worker (workerData). */
export interface SharedBuffers {
  values: SharedArrayBuffer;
  flags: SharedArrayBuffer;
  gcRing: SharedArrayBuffer;
}

export function createSharedBuffers(): SharedBuffers {
  return {
    values: new SharedArrayBuffer(VALUE_SLOTS * 8),
    flags: new SharedArrayBuffer(FLAG_SLOTS * 4),
    gcRing: new SharedArrayBuffer(GC_RING * 2 * 8),
  };
}

export function sharedViews(b: SharedBuffers): SharedStats {
  return { values: new Float64Array(b.values), flags: new Int32Array(b.flags), gcRing: new Float64Array(b.gcRing) };
}
