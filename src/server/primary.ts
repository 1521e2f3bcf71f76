/**
 * The primary of `--workers N` (workers.ts): it starts N workers, each a
 * bin/server process of its own, and then only watches them. It prints the
 * one config line, a line as each worker listens, the one `ready` line once
 * all do, a line for each worker that dies (restarted with backoff while
 * the others serve), and on SIGINT/SIGTERM one summary summed over the
 * workers (each worker's own in `--json`, `workers: [...]`).
 *
 * Start-up is in two steps: the first worker binds what was asked for
 * (port 0: an ephemeral port), then the others bind the port it got, so
 * that all share one address. A worker that fails to listen at start-up
 * stops the whole server (it has said why, in one line; exit 1). A worker
 * that dies later is restarted, with a backoff (worker-slot.ts).
 *
 * With `--admin`, the primary serves the one admin port for all workers
 * (src/admin/primary.ts): each worker relays its figures here, and the
 * primary tells the admin side which workers listen and when it drains.
 */
import cluster, { type Worker } from 'node:cluster';
import { rmSync } from 'node:fs';
import { EXIT_FAILED, EXIT_OK, describeError } from '../cli/args.js';
import type { Logger } from '../cli/log.js';
import { packageVersion } from '../cli/meta.js';
import { RunError, onStopRequest } from '../cli/program.js';
import { parseCpuSet } from '../machine/cpus.js';
import { type PrimaryAdmin, startPrimaryAdmin } from '../admin/primary.js';
import type { Listener } from './listeners.js';
import { type PrimaryConfig, logPrimaryConfig } from './primary-log.js';
import { describeSummary, sumSummaries } from './report.js';
import type { ServerOptions } from './server.js';
import { claimUnixPath } from './unix.js';
import { WorkerSlot, whenDisconnected } from './worker-slot.js';
import { WORKER_ENV, type WorkerMessage, type WorkerSetup } from './workers.js';

/** How long after its grace period a stopping worker may take before it is killed. */
const STOP_SLACK_MS = 5_000;

export interface PrimaryOptions extends PrimaryConfig {
  /** The program each worker runs (bin/server's compiled main), and its arguments: this process's own. */
  entry: string;
  argv: string[];
  /** Aborting it stops the workers as SIGTERM does. */
  abort?: AbortSignal;
}

/** Run the primary until a signal stops every worker; resolves with the exit status, rejects with a RunError (cannot listen). */
export function runPrimary(p: PrimaryOptions): Promise<number> {
  return new Primary(p).run();
}

class Primary {
  private readonly p: PrimaryOptions;
  private readonly options: ServerOptions;
  private readonly log: Logger;
  private readonly startedAt = Date.now();
  private readonly cpuList: number[];
  private readonly slots: WorkerSlot[];
  private readonly ended: Promise<number>;
  private settle: (status: number | RunError) => void = () => {};
  private admin: PrimaryAdmin | null = null;
  /** The TCP and UDP ports the next worker binds: the first worker's, once it has them, with SO_REUSEPORT. */
  private ports: { tcp?: number; udp?: number };
  private endpoints: Listener[] = [];
  /** Every worker has listened once: from then on a death is a restart, not a failed start. */
  private started = false;
  private stopping = false;
  /** The signal that stopped the workers, once one has. */
  private stopSignal: NodeJS.Signals | null = null;
  private signals = 0;
  private killTimer: NodeJS.Timeout | null = null;
  private unwatch: Array<() => void> = [];

  constructor(p: PrimaryOptions) {
    this.p = p;
    this.options = p.options;
    this.log = p.log;
    this.ports = { tcp: p.options.port, udp: p.options.udp?.port };
    this.cpuList = p.cpus === undefined ? [] : parseCpuSet(p.cpus);
    this.slots = Array.from({ length: p.workers }, (_, i) => new WorkerSlot(i + 1));
    this.ended = new Promise((resolve, reject) => (this.settle = (status) => (typeof status === 'number' ? resolve(status) : reject(status))));
    this.ended.catch(() => {}); // awaited by run's caller: only keeps an early rejection from counting as unhandled
  }

  async run(): Promise<number> {
    // Heard before the config line goes out: a SIGTERM sent on reading it must not meet the default action.
    this.watchStops();
    logPrimaryConfig(this.p);
    if (this.options.unix !== undefined && !(await this.claimUnix(this.options.unix, this.options.unixMode))) return this.ended;
    // The admin port first, as a server alone does: its readiness says 503 until every worker listens.
    if (this.p.admin !== undefined) {
      try {
        this.admin = await startPrimaryAdmin(this.p.workers, this.p.admin, { version: packageVersion(), io: this.p.io, framing: this.options.framing, mode: this.options.mode }, this.log);
      } catch (err) {
        this.end(new RunError(`cannot listen: ${describeError(err)}`));
        return this.ended;
      }
    }
    if (this.stopping) return this.ended; // stopped while claiming the socket or starting the admin port: finished
    cluster.setupPrimary({ exec: this.p.entry, args: this.p.argv });
    // Start-up: the first worker alone, then the rest on its port (onReady).
    this.start(this.slots[0]);
    return this.ended;
  }

  /** Claim the socket path, or end the run (false). The cluster primary binds the socket for the workers (and again if every
   * worker has died at once): its file is born with --unix-mode. The primary creates no other file. */
  private async claimUnix(path: string, mode: number): Promise<boolean> {
    try {
      await claimUnixPath(path);
    } catch (err) {
      this.end(new RunError(`cannot listen: ${describeError(err)}`));
      return false;
    }
    process.umask(0o777 & ~mode);
    return true;
  }

  /** Stop on SIGINT, SIGTERM and the caller's abort (a SIGTERM). */
  private watchStops(): void {
    this.unwatch.push(onStopRequest((signal) => this.onSignal(signal), this.p.abort));
  }

  private start(slot: WorkerSlot): void {
    const setup: WorkerSetup = {
      id: slot.id,
      distribution: this.p.distribution,
      port: this.ports.tcp,
      udpPort: this.ports.udp,
      cpu: this.cpuList.length > 0 ? this.cpuList[(slot.id - 1) % this.cpuList.length] : undefined,
    };
    const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(setup) });
    this.admin?.workerStarting(slot.id, slot.deaths > 0);
    slot.started(worker);
    worker.on('message', (m: WorkerMessage) => this.onMessage(slot, worker, m));
    worker.on('exit', (code, signal) => this.onExit(slot, worker, code, signal));
  }

  private onMessage(slot: WorkerSlot, worker: Worker, m: WorkerMessage): void {
    if (m.type === 'ready') {
      slot.ready = true;
      // Told to stop while it started: its stop listener is attached before it says ready, so tell it now.
      if (this.stopSignal !== null) {
        worker.send({ type: 'stop', signal: this.stopSignal });
        return;
      }
      const pid = worker.process.pid;
      this.log.info(
        'worker-ready',
        { worker: slot.id, pid, endpoints: m.endpoints, io: m.io, cpus: m.cpus, deaths: slot.deaths },
        `worker ${slot.id} pid ${pid}: listening on ${m.endpoints.map((e) => e.url).join(' ')} io=${m.io} cpus=${m.cpus ?? '?'}`,
      );
      this.admin?.workerListening(slot.id);
      this.onReady(slot, m.endpoints);
    } else if (m.type === 'stats') {
      this.admin?.stats(slot.id, m);
    } else if (m.type === 'summary') {
      slot.summaries.push({ ...m.summary, pid: worker.process.pid! });
    }
  }

  private onReady(slot: WorkerSlot, got: Listener[]): void {
    if (this.started) return;
    if (slot.id === 1) {
      this.endpoints = got;
      // With SO_REUSEPORT every worker binds the port the first one got. Through
      // the cluster module every worker asks for what was asked (port 0 too):
      // the primary shares its one listener with every worker that asks the same.
      const port = (transport: string) => got.find((e) => e.transport === transport)?.port;
      if (this.p.distribution === 'reuseport') this.ports = { tcp: port('tcp') ?? this.ports.tcp, udp: port('udp') ?? this.ports.udp };
      for (const s of this.slots.slice(1)) this.start(s);
    }
    if (this.slots.every((s) => s.ready)) {
      this.started = true;
      this.announce();
    }
  }

  /** Every worker listens: the one `ready` event. */
  private announce(): void {
    const endpoints = this.endpoints;
    const adminEndpoint = this.admin?.endpoint;
    this.log.info(
      'ready',
      { endpoints, workers: this.p.workers, admin: adminEndpoint },
      `ready: ${endpoints.map((l) => l.url).join(' ')}${adminEndpoint === undefined ? '' : ` admin=${adminEndpoint.url}`}`,
    );
  }

  private onExit(slot: WorkerSlot, worker: Worker, code: number | null, signal: string | null): void {
    // Stopping, its summary may still be unread in the IPC channel: SIGCHLDs are read in one go, so another
    // worker's exit can reap this one before its channel is read. The channel closes after its last message.
    if (this.stopping && worker.isConnected()) whenDisconnected(worker, () => this.exited(slot, worker, code, signal));
    else this.exited(slot, worker, code, signal);
  }

  /** A worker has exited and its channel is read: stopping, a failed start, or a death to restart. */
  private exited(slot: WorkerSlot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    this.admin?.workerDown(slot.id);
    if (this.stopping) {
      if (code !== 0)
        this.log.warn(
          'worker-exit',
          { worker: slot.id, pid: worker.process.pid, code, signal },
          `worker ${slot.id} pid ${worker.process.pid} exited (${signal ?? `code ${code}`}) while stopping`,
        );
      if (this.slots.every((s) => s.worker === null)) this.finish();
    } else if (!this.started) {
      this.failStart(slot, code, signal);
    } else {
      this.restartLater(slot, worker, code, signal);
    }
  }

  /** A worker could not listen (and said why on stderr), or was killed, before all listened: the server cannot start. */
  private failStart(slot: WorkerSlot, code: number | null, signal: string | null): void {
    for (const s of this.slots) s.worker?.process.kill('SIGKILL');
    if (this.options.unix !== undefined && this.endpoints.length > 0) rmSync(this.options.unix, { force: true });
    if (signal !== null) this.end(new RunError(`cannot listen: worker ${slot.id} was ended by ${signal} while starting`));
    else this.end(code === 0 ? EXIT_FAILED : (code ?? EXIT_FAILED));
  }

  /** A worker died while the others serve: start it again, at once or after a backoff (WorkerSlot.died). */
  private restartLater(slot: WorkerSlot, worker: Worker, code: number | null, signal: string | null): void {
    const { livedMs: lived, waitMs: wait } = slot.died();
    const deaths = this.deaths();
    this.log.warn(
      'worker-exit',
      { worker: slot.id, pid: worker.process.pid, code, signal, livedMs: lived, deaths, restartInMs: wait },
      `worker ${slot.id} pid ${worker.process.pid} died (${signal ?? `exit code ${code}`}) after ${(lived / 1000).toFixed(1)} s; ${deaths} worker death${deaths === 1 ? '' : 's'} so far; restarting it in ${wait} ms`,
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (!this.stopping) this.start(slot);
    }, wait);
  }

  private deaths(): number {
    return this.slots.reduce((n, s) => n + s.deaths, 0);
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (++this.signals > 1) {
      this.log.warn('abort', { signal }, `${signal} again: exiting without waiting`);
      for (const s of this.slots) s.worker?.process.kill('SIGKILL');
      this.end(EXIT_FAILED);
      return;
    }
    this.stopping = true;
    // Readiness turns 503 now, before a worker closes a connection: a load balancer stops sending new ones first.
    this.admin?.setDraining();
    const live = this.slots.filter((s) => s.worker !== null);
    this.log.info('shutdown', { signal, workers: live.length }, `${signal}: stopping ${live.length} workers (grace ${this.options.graceMs} ms)`);
    for (const s of this.slots) s.cancelRestart();
    if (live.length === 0) {
      this.finish();
      return;
    }
    this.stopSignal = signal;
    for (const s of live) {
      const w = s.worker!;
      // A worker still starting may not listen for the word yet: it gets it when it says ready (onMessage).
      if (!w.isConnected()) w.process.kill('SIGTERM');
      else if (s.ready) w.send({ type: 'stop', signal });
    }
    // A worker that has not stopped well after its grace period is killed (it then gives no summary).
    this.killTimer = setTimeout(
      () => {
        for (const s of this.slots) s.worker?.process.kill('SIGKILL');
      },
      (this.options.drainMs ?? 0) + this.options.graceMs + STOP_SLACK_MS,
    ).unref();
  }

  /** Every worker has stopped: one summary summed over them (each one's own in JSON), the socket file removed. */
  private finish(): void {
    const workers = this.slots.flatMap((s) => s.summaries.map((summary) => ({ worker: s.id, ...summary })));
    const summary = sumSummaries(workers, Date.now() - this.startedAt);
    const deaths = this.deaths();
    // A slot never started (stopped while the first worker started) owes no summary.
    const missing = this.slots.filter((s) => s.startedAt > 0 && !(s.summaries.length > 0 && s.worker === null)).length;
    if (this.options.unix !== undefined) rmSync(this.options.unix, { force: true });
    this.log.info(
      'summary',
      { ...summary, workerDeaths: deaths, workers },
      `${describeSummary(summary)}; ${this.p.workers} workers` + (deaths > 0 ? `, ${deaths} died and were restarted` : '') + (missing > 0 ? `, ${missing} gave no summary` : ''),
    );
    this.end(missing > 0 ? EXIT_FAILED : EXIT_OK);
  }

  /** The run's end, once: no more signals heard, no kill pending. */
  private end(status: number | RunError): void {
    for (const undo of this.unwatch) undo();
    this.unwatch = [];
    if (this.killTimer !== null) clearTimeout(this.killTimer);
    this.killTimer = null;
    this.settle(status);
  }
}
