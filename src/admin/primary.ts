/**
 * `--admin` with `--workers N`: the primary serves the one admin port for
 * every worker process. Each worker relays its figures (relay.ts); the
 * primary copies them into one shared source per worker, which the admin
 * worker thread serves labelled `worker="N"` (metrics.ts), and keeps the
 * readiness and heartbeat of the whole server in `main`.
 *
 * Ready: not draining, at least one worker process live, and every live
 * one listening (one that is starting, or starting again after a death,
 * makes it 503 until it listens; a dead one waiting for its restart does
 * not count). Draining from the primary's first SIGTERM/SIGINT on.
 *
 * A worker's restart starts its counters again from 0: its series reset,
 * which Prometheus' rate() and increase() take as a counter reset. The GC
 * histogram is observed in the admin thread and goes on counting across
 * restarts; respuesta_worker_restarts_total counts them.
 */
import type { Logger } from '../cli/log.js';
import { type AdminEndpoint, type AdminOptions, startAdminThread } from './index.js';
import type { BuildInfo } from './metrics.js';
import { PUBLISH_MS } from './publisher.js';
import { Flag, type SharedStats, Slot, createSharedBuffers, sharedViews } from './shared.js';
import { type AdminStatsMessage, applyStatsMessage } from './sources.js';

type WorkerState = 'down' | 'starting' | 'up';

export interface PrimaryAdmin {
  readonly endpoint: AdminEndpoint;
  /** Worker `id` (1-based) has been forked; `again` when it replaces one that died. */
  workerStarting(id: number, again: boolean): void;
  /** Worker `id` listens. */
  workerListening(id: number): void;
  /** Worker `id` has exited. */
  workerDown(id: number): void;
  /** A relayed publication of worker `id`. */
  stats(id: number, m: AdminStatsMessage): void;
  /** The first SIGTERM/SIGINT has come: /readyz says 503 from now on. */
  setDraining(): void;
}

/** Start the admin port of a primary of `workers` worker processes; resolves once it listens. */
export async function startPrimaryAdmin(workers: number, options: AdminOptions, build: BuildInfo, log: Logger): Promise<PrimaryAdmin> {
  const mainBuffers = createSharedBuffers();
  const main = sharedViews(mainBuffers);
  const workerBuffers = Array.from({ length: workers }, createSharedBuffers);
  const each: SharedStats[] = workerBuffers.map(sharedViews);
  const states: WorkerState[] = each.map(() => 'down');

  const publishReadiness = () => {
    const live = states.filter((s) => s !== 'down');
    const listening = live.length > 0 && live.every((s) => s === 'up');
    Atomics.store(main.flags, Flag.listening, listening ? 1 : 0);
    Atomics.add(main.flags, Flag.sequence, 1);
  };
  const set = (id: number, state: WorkerState) => {
    states[id - 1] = state;
    each[id - 1].values[Slot.workerUp] = state === 'up' ? 1 : 0;
    publishReadiness();
  };
  // The primary's heartbeat: /livez says it turns, and scrapes see fresh figures.
  const beat = () => {
    main.values[Slot.publishedAt] = Date.now();
    Atomics.add(main.flags, Flag.sequence, 1);
  };
  beat();
  const timer = setInterval(beat, PUBLISH_MS).unref();

  let endpoint: AdminEndpoint;
  try {
    endpoint = await startAdminThread({ main: mainBuffers, workers: workerBuffers }, main, options, build, log);
  } catch (err) {
    clearInterval(timer);
    throw err;
  }
  return {
    endpoint,
    workerStarting: (id, again) => {
      if (again) each[id - 1].values[Slot.workerRestarts]++;
      set(id, 'starting');
    },
    workerListening: (id) => set(id, 'up'),
    workerDown: (id) => {
      // Its connections are gone with it; its counters stay as they were until its replacement publishes.
      each[id - 1].values[Slot.open] = 0;
      set(id, 'down');
    },
    stats: (id, m) => {
      applyStatsMessage(each[id - 1], m);
      Atomics.add(main.flags, Flag.sequence, 1);
    },
    setDraining: () => {
      Atomics.store(main.flags, Flag.draining, 1);
      Atomics.add(main.flags, Flag.sequence, 1);
    },
  };
}
