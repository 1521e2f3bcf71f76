/**
 * A worker's side of `--workers` (workers.ts): what the primary (primary.ts)
 * told it in its environment, and the two messages it sends back over the
 * cluster IPC channel, `ready` and `summary` (and, with `--admin`, its
 * figures a few times a second: src/admin/relay.ts). The primary prints the one
 * config line, the ready line and the summed summary; a worker logs only
 * what happens to its own connections, each line tagged with its number.
 */
import cluster from 'node:cluster';
import type { AdminStatsMessage } from '../admin/sources.js';
import type { Logger } from '../cli/log.js';
import type { Listener } from './listeners.js';
import type { ServerSummary } from './summary.js';
import { type PrimaryMessage, WORKER_ENV, type WorkerMessage, type WorkerSetup } from './workers.js';

export interface WorkerLink {
  readonly setup: WorkerSetup;
  /** Every listener is bound: tell the primary. */
  ready(endpoints: Listener[], io: string, cpus: string | null): void;
  /** Hand the primary this worker's figures; resolves once they are sent (the worker then exits 0). */
  finish(summary: ServerSummary): Promise<void>;
  /** Pass this worker's figures to the primary, which serves the admin port (dropped when the channel is closed). */
  stats(m: AdminStatsMessage): void;
  /** Call `stop` when the primary says so (it was sent SIGINT or SIGTERM); returns a function that stops listening. */
  onStop(stop: (signal: NodeJS.Signals) => void): () => void;
}

/** This process's link to its primary, or null when it is not a worker (a server alone, or the primary itself). */
export function workerLink(): WorkerLink | null {
  const raw = process.env[WORKER_ENV];
  if (!cluster.isWorker || raw === undefined) return null;
  const setup = JSON.parse(raw) as WorkerSetup;
  const send = (m: WorkerMessage, then?: () => void) => process.send!(m, undefined, undefined, then);
  return {
    setup,
    ready: (endpoints, io, cpus) => send({ type: 'ready', endpoints, io, cpus }),
    stats: (m) => {
      if (process.connected) send(m);
    },
    finish: (summary) => new Promise((resolve) => send({ type: 'summary', summary }, () => resolve())),
    onStop: (stop) => {
      const onMessage = (m: PrimaryMessage) => {
        if (m.type === 'stop') stop(m.signal as NodeJS.Signals);
      };
      process.on('message', onMessage);
      return () => process.off('message', onMessage);
    },
  };
}

/** `log` with every event tagged by the worker's number: a `worker` field in JSON, a `worker N: ` prefix in text. */
export function workerLogger(log: Logger, id: number): Logger {
  return {
    info: (event, fields, text) => log.info(event, { ...fields, worker: id }, `worker ${id}: ${text}`),
    warn: (event, fields, text) => log.warn(event, { ...fields, worker: id }, `worker ${id}: ${text}`),
  };
}
