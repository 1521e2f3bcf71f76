/**
 * A worker process of `--workers N` with `--admin`: the primary serves the
 * admin port, so this worker publishes its figures as a server alone does
 * (publisher.ts, into memory of its own) and passes each publication on to
 * the primary over the cluster IPC channel, four times a second: the
 * counters, and the GCs since the last message. That is one small JSON
 * message every 250 ms from a timer, never anything per message answered.
 */
import { StatsPublisher } from './publisher.js';
import type { ServingStats } from './serving-stats.js';
import { Flag, GC_RING, createSharedBuffers, sharedViews } from './shared.js';
import type { AdminStatsMessage } from './sources.js';

/** Start publishing `server`'s figures to `send`; returns the publisher (stop it to stop). */
export function startStatsRelay(server: ServingStats, send: (m: AdminStatsMessage) => void): StatsPublisher {
  const shared = sharedViews(createSharedBuffers());
  let sent = 0;
  const relay = () => {
    const written = Atomics.load(shared.flags, Flag.gcWritten);
    const gc: number[] = [];
    // Entries the ring no longer holds are lost: at four messages a second, a ring of GC_RING is far more than enough.
    for (let n = Math.max(sent, written - GC_RING); n < written; n++) {
      const at = (n % GC_RING) * 2;
      gc.push(shared.gcRing[at], shared.gcRing[at + 1]);
    }
    sent = written;
    send({ type: 'stats', values: Array.from(shared.values), gc });
  };
  const publisher = new StatsPublisher(server, shared, relay);
  publisher.start();
  return publisher;
}
