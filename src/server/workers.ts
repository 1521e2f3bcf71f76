/**
 * `--workers`: how many single-threaded responders serve one address, and
 * how connections reach them. Shared by the primary (primary.ts) and each
 * worker (worker-link.ts); nothing here runs per connection.
 *
 * Workers are processes, not threads: each has its own open-file limit
 * (20 000 on the machines this was measured on, not raisable), its own heap
 * and its own GC, so 100 000 connections need no more than six of them,
 * where threads would share one process's 20 000 descriptors.
 *
 * How connections reach the workers (the distribution):
 * - 'reuseport' (Linux, Node 22.12+ and 23.1+): each worker binds its own
 *   TCP listener with SO_REUSEPORT and the kernel spreads the connections
 *   by a hash of their addresses, as nginx's `reuseport` does; the primary
 *   is in no connection's path.
 * - 'cluster' (Node 20, or `--distribution cluster`): Node's cluster module,
 *   round-robin (its default on Linux): the primary accepts and hands each
 *   connection to the next worker over IPC. docs/lab/2026-12-04-performance.md, "Workers",
 *   has the measurement against the shared handle (NODE_CLUSTER_SCHED_POLICY=none).
 *
 * A Unix socket cannot be shared with SO_REUSEPORT: it goes through the
 * cluster module in both distributions (the primary binds it, and removes
 * it at the end).
 *
 * A UDP socket (--udp) follows the distribution too: with 'reuseport' each
 * worker binds its own in the port's SO_REUSEPORT group and the kernel
 * spreads the datagrams by a hash of their source; with 'cluster' the
 * primary binds one socket and every worker reads from it (the cluster
 * module shares UDP handles, it does not round-robin them), each datagram
 * going to whichever worker reads it first.
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';
import type { Distribution, Listener } from './listeners.js';

/** The most workers accepted: beyond, a typo rather than a machine. */
export const MAX_WORKERS = 1024;

export type { Distribution };
export const DISTRIBUTIONS = ['auto', 'reuseport', 'cluster'] as const;

/** `--workers N|auto`: 1 to MAX_WORKERS, or 'auto' (one per CPU this process may use). */
export function parseWorkers(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_WORKERS) {
    throw new InvalidArgumentError(`expected auto or an integer from 1 to ${MAX_WORKERS}.`);
  }
  return Number(value);
}

/** The number of workers: 'auto' is the CPUs this process may use (after --cpu has pinned it), as the kernel's affinity mask says. */
export function workerCount(spec: number | 'auto'): number {
  return spec === 'auto' ? availableParallelism() : spec;
}

/** Whether `net.Server.listen({ reusePort: true })` is there: Linux, Node 22.12+ or 23.1+. */
export function reusePortAvailable(version = process.versions.node, platform = process.platform): boolean {
  const [major, minor] = version.split('.').map(Number);
  return platform === 'linux' && (major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12));
}

/** What the primary tells a worker, in its environment (WORKER_ENV). */
export interface WorkerSetup {
  /** 1-based, stable across restarts: the slot, not the process. */
  id: number;
  distribution: Distribution;
  /** The TCP port every worker binds: the first worker's, when port 0 was asked for. */
  port?: number;
  /** Likewise the UDP port (--udp), with SO_REUSEPORT. */
  udpPort?: number;
  /** The CPU this worker pins itself to (--cpu), if any. */
  cpu?: number;
}

export const WORKER_ENV = 'RESPUESTA_WORKER';

/** Messages from a worker to the primary. */
export type WorkerMessage =
  | { type: 'ready'; endpoints: Listener[]; io: string; cpus: string | null }
  | { type: 'summary'; summary: import('./summary.js').ServerSummary }
  | import('../admin/sources.js').AdminStatsMessage;

/** Messages from the primary to a worker. */
export type PrimaryMessage = { type: 'stop'; signal: string };
