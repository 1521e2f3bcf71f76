/**
 * Whose figures the admin worker serves: the serving thread of this process
 * (a server alone), or every worker process of `--workers N`, each relayed
 * by the primary into shared memory of its own (relay.ts in the worker,
 * primary.ts in the primary). One layout either way (shared.ts): the admin
 * worker reads a list of sources and labels each one's series with its
 * worker number when there are workers.
 *
 *   main     flags (listening, draining, sequence), the heartbeat and the
 *            admin restarts: the serving thread's own, or the primary's
 *   each[i]  one source's counters, gauges and GC ring; with no workers,
 *            `main` itself
 */
import { Flag, GC_RING, type SharedBuffers, type SharedStats, Slot, VALUE_SLOTS, sharedViews } from './shared.js';

export interface Source {
  /** The worker number as the label says it ("1" to "N"), or null for a server alone. */
  worker: string | null;
  shared: SharedStats;
}

export interface AdminSources {
  main: SharedStats;
  each: Source[];
}

/** The buffers of every source, as they cross to the admin worker. */
export interface SourceBuffers {
  main: SharedBuffers;
  /** One per worker process, in worker order; empty for a server alone. */
  workers: SharedBuffers[];
}

export function sourceViews(b: SourceBuffers): AdminSources {
  const main = sharedViews(b.main);
  if (b.workers.length === 0) return { main, each: [{ worker: null, shared: main }] };
  return { main, each: b.workers.map((w, i) => ({ worker: String(i + 1), shared: sharedViews(w) })) };
}

/**
 * What a worker process sends its primary a few times a second over the
 * cluster IPC channel: its figures, and the GCs since the last message as
 * [kind, pause ms] pairs (at most a ring's worth).
 */
export interface AdminStatsMessage {
  type: 'stats';
  values: number[];
  gc: number[];
}

/** The slots a worker's message carries: its own figures; the rest (restarts, drops, up) are the primary's and the admin worker's to keep. */
const RELAYED: ReadonlyArray<[number, number]> = [
  [0, Slot.publishedAt + 1],
  [Slot.datagrams, VALUE_SLOTS],
];

/** Copy a worker's message into its source in the primary; the GC entries go into the ring as the serving thread's own would. */
export function applyStatsMessage(shared: SharedStats, m: AdminStatsMessage): void {
  for (const [from, to] of RELAYED) for (let i = from; i < to && i < m.values.length; i++) shared.values[i] = m.values[i];
  let n = Atomics.load(shared.flags, Flag.gcWritten);
  for (let i = 0; i + 1 < m.gc.length; i += 2) {
    const at = (n % GC_RING) * 2;
    shared.gcRing[at] = m.gc[i];
    shared.gcRing[at + 1] = m.gc[i + 1];
    n++;
  }
  Atomics.store(shared.flags, Flag.gcWritten, n);
}
