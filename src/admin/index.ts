/**
 * `--admin [HOST:]PORT`: the serving thread's side. It publishes the
 * server's figures into shared memory (publisher.ts) and runs the HTTP
 * listener in a worker thread (worker.ts), which it starts again, with a
 * backoff, if it crashes: the responder goes on serving whatever happens to
 * the admin side, and counts each restart (respuesta_admin_restarts_total).
 * With `--workers N` the primary runs the same thread on its workers'
 * figures instead (primary.ts).
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../cli/log.js';
import type { AdminAddress } from './address.js';
import type { BuildInfo } from './metrics.js';
import { StatsPublisher } from './publisher.js';
import { type SharedStats, Slot, createSharedBuffers, sharedViews } from './shared.js';
import type { ServingStats } from './serving-stats.js';
import type { SourceBuffers } from './sources.js';
import type { AdminListening, AdminWorkerData } from './worker.js';

const WORKER = new URL('./worker.js', import.meta.url);
/** The admin worker's own heap limit: a crash past it ends the worker, never the process. */
const WORKER_OLD_SPACE_MB = 256;
/** Restart delays after a crash: doubling from the first to the last. */
const RESTART_FIRST_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A worker that ran this long before crashing restarts after the first delay again. */
const RESTART_RESET_MS = 60_000;

export interface AdminOptions extends AdminAddress {
  /** Serve /debug/profile and /debug/heap. */
  debug: boolean;
  /** CPUs for the admin thread (taskset list), or null to leave it on the serving thread's (--admin-cpu). */
  cpus: string | null;
  /** The process runs under SCHED_FIFO (--rt-priority): the admin thread goes back to the normal policy. */
  realtime: boolean;
}

/** The admin listener as it runs. */
export interface AdminEndpoint {
  url: string;
  host: string;
  port: number;
}

export interface Admin {
  readonly endpoint: AdminEndpoint;
  /** Every listener of the responder accepts: /readyz may say 200. */
  setListening(on: boolean): void;
  /** The first SIGTERM/SIGINT has come: /readyz says 503 from now on. */
  setDraining(): void;
}

/**
 * Start the admin port for `server`; resolves once its listener is bound
 * (with the port it got, when asked for port 0), rejects when it cannot be.
 */
export async function startAdmin(server: ServingStats, options: AdminOptions, build: BuildInfo, log: Logger): Promise<Admin> {
  const buffers = createSharedBuffers();
  const shared = sharedViews(buffers);
  const publisher = new StatsPublisher(server, shared);
  publisher.start();
  let endpoint: AdminEndpoint;
  try {
    endpoint = await startAdminThread({ main: buffers, workers: [] }, shared, options, build, log);
  } catch (err) {
    publisher.stop();
    throw err;
  }
  return {
    endpoint,
    setListening: (on) => publisher.setListening(on),
    setDraining: () => publisher.setDraining(),
  };
}

/**
 * Run the admin worker thread on `sources` (`main`: their views in this
 * thread, whose adminRestarts slot it counts in); resolves with its
 * endpoint once it listens. A crash after that starts it again on the same
 * address after a backoff, logged, while the responder serves on.
 */
export async function startAdminThread(sources: SourceBuffers, main: SharedStats, options: AdminOptions, build: BuildInfo, log: Logger): Promise<AdminEndpoint> {
  const data: AdminWorkerData = {
    sources,
    host: options.host,
    port: options.port,
    debug: options.debug,
    cpus: options.cpus,
    realtime: options.realtime,
    build,
    startedAt: Date.now(),
    crashRoute: process.env.RESPUESTA_ADMIN_FAULT === 'crash',
  };

  let delay = RESTART_FIRST_MS;
  const spawnWorker = (): Promise<AdminListening> =>
    new Promise((resolve, reject) => {
      const startedAt = Date.now();
      const worker = new Worker(WORKER, { workerData: data, resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_SPACE_MB } });
      let listening = false;
      let failure = 'it exited';
      worker.on('message', (m: AdminListening) => {
        if (m.type !== 'listening' || listening) return;
        listening = true;
        // Held until it listens (the serving thread may have nothing else yet that keeps the process up); never after.
        worker.unref();
        resolve(m);
      });
      worker.on('error', (err) => {
        failure = err.message;
      });
      worker.on('exit', (code) => {
        if (!listening) return reject(new Error(failure));
        // Crashed after it listened: tell, count, and start it again on the same address after a backoff.
        if (Date.now() - startedAt > RESTART_RESET_MS) delay = RESTART_FIRST_MS;
        main.values[Slot.adminRestarts]++;
        log.warn('admin-crash', { reason: failure, code, restartInMs: delay }, `admin port crashed (${failure}); the responder is unaffected; restarting it in ${delay} ms`);
        setTimeout(restart, delay).unref();
        delay = Math.min(delay * 2, RESTART_MAX_MS);
      });
    });
  const restart = () => {
    spawnWorker().then(
      (m) => log.info('admin-restart', { url: urlOf(m.host, m.port) }, `admin port listening again: ${urlOf(m.host, m.port)}`),
      (err: Error) => {
        log.warn('admin-crash', { reason: err.message, restartInMs: delay }, `admin port could not start again (${err.message}); retrying in ${delay} ms`);
        setTimeout(restart, delay).unref();
        delay = Math.min(delay * 2, RESTART_MAX_MS);
      },
    );
  };

  const first = await spawnWorker();
  for (const reason of first.placementFailures) {
    log.warn('admin-placement', { reason }, `warning: ${reason}: a scrape may delay replies`);
  }
  // A restart binds the port this one got, not port 0 again: scrapers keep their target.
  data.port = first.port;
  data.host = first.host;
  return { url: urlOf(first.host, first.port), host: first.host, port: first.port };
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
