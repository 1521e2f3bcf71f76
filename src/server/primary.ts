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
 * stops the whole server (it has said why, in one line; exit 1).
 *
 * Restarts: a worker that lived 10 s or more is replaced at once, as nginx
 * does; one that dies sooner again and again waits 100 ms, 200 ms, ... up
 * to 10 s, so that a worker that cannot start does not become a restart
 * storm.
 *
 * With `--admin`, the primary serves the one admin port for all workers
 * (src/admin/primary.ts): each worker relays its figures here, and the
 * primary tells the admin side which workers listen and when it drains.
 */
import cluster, { type Worker } from 'node:cluster';
import { rmSync } from 'node:fs';
import { EXIT_FAILED, EXIT_OK, describeError, fatal } from '../cli/args.js';
import type { Logger } from '../cli/log.js';
import type { IoPath } from '../io/binding.js';
import { allowedCpus, parseCpuSet as expandCpuList } from '../machine/cpus.js';
import { type Listener, warnIfBacklogCapped } from './listeners.js';
import { exposedWarning } from '../admin/address.js';
import type { AdminOptions } from '../admin/index.js';
import { type PrimaryAdmin, startPrimaryAdmin } from '../admin/primary.js';
import { packageVersion } from '../cli/meta.js';
import { describeConfig, describeRt, describeSummary, sumSummaries } from './report.js';
import type { ServerOptions, ServerSummary } from './server.js';
import { claimUnixPath } from './unix.js';
import { type Distribution, WORKER_ENV, type WorkerMessage, type WorkerSetup } from './workers.js';

/** A worker that lived this long is restarted at once when it dies. */
const STEADY_MS = 10_000;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;
/** How long after its grace period a stopping worker may take before it is killed. */
const STOP_SLACK_MS = 5_000;

export interface PrimaryOptions {
  name: string;
  options: ServerOptions;
  workers: number;
  distribution: Distribution;
  /** --cpu: one worker per listed CPU, in turn. */
  cpus?: string;
  /** --rt-priority: every process (this one and each worker) sets it on itself. */
  rtPriority?: number;
  io: IoPath;
  log: Logger;
  /** --admin: the one admin port, served here for every worker. */
  admin?: AdminOptions;
}

/** One worker's place: its number stays while processes come and go. */
interface Slot {
  id: number;
  worker: Worker | null;
  startedAt: number;
  ready: boolean;
  /** Deaths in a row, each before STEADY_MS: the backoff's exponent. */
  streak: number;
  deaths: number;
  restartTimer: NodeJS.Timeout | null;
  /** Summaries of this slot's workers that stopped cleanly. */
  summaries: Array<ServerSummary & { pid: number }>;
}

/** Run the primary until a signal stops every worker; exits the process. */
export async function runPrimary(p: PrimaryOptions): Promise<void> {
  const { options, log } = p;
  const startedAt = Date.now();
  const cpuList = p.cpus === undefined ? [] : expandCpuList(p.cpus);
  const slots: Slot[] = Array.from({ length: p.workers }, (_, i) => ({
    id: i + 1,
    worker: null,
    startedAt: 0,
    ready: false,
    streak: 0,
    deaths: 0,
    restartTimer: null,
    summaries: [],
  }));
  const policy = cluster.schedulingPolicy === cluster.SCHED_RR ? 'round-robin' : 'shared handle';
  const tcpShare = options.port === undefined ? null : p.distribution === 'reuseport' ? 'reuseport' : `cluster ${policy}`;
  const unixShare = options.unix === undefined ? null : `cluster ${policy}`;
  const distribution = [tcpShare === null ? '' : `tcp: ${tcpShare}`, unixShare === null ? '' : `unix: ${unixShare}`].filter((s) => s !== '').join('; ');
  const adminAt = p.admin === undefined ? undefined : `${p.admin.host}:${p.admin.port}`;
  const adminCpus = p.admin?.cpus ?? null;
  log.info(
    'config',
    {
      pid: process.pid,
      ...options,
      admin: adminAt,
      adminCpus: adminAt === undefined ? undefined : adminCpus,
      workers: p.workers,
      distribution: p.distribution,
      schedulingPolicy: policy,
      io: p.io,
      cpus: allowedCpus('self'),
      rtPriority: p.rtPriority,
    },
    `${describeConfig(options)} io=${p.io} workers=${p.workers} (${distribution}) cpus=${p.cpus === undefined ? (allowedCpus('self') ?? '?') : `${p.cpus}, one worker each`}${describeRt(p.rtPriority)}${adminAt === undefined ? '' : ` admin=${adminAt}${adminCpus === null ? '' : ` admin-cpus=${adminCpus}`}`}`,
  );
  if (options.backlog !== undefined) warnIfBacklogCapped(log, options.backlog);
  const exposed = p.admin === undefined ? null : exposedWarning(p.admin, false);
  if (exposed !== null) log.warn('admin-exposed', { host: p.admin!.host }, exposed);

  if (options.unix !== undefined) {
    try {
      await claimUnixPath(options.unix);
    } catch (err) {
      fatal(p.name, `cannot listen: ${describeError(err)}`);
    }
    // The cluster primary binds the Unix socket for the workers (and again
    // if every worker has died at once): its file is born with --unix-mode.
    // The primary creates no other file.
    process.umask(0o777 & ~options.unixMode);
  }

  let port = options.port;
  let stopping = false;
  let endpoints: Listener[] = [];

  const start = (slot: Slot): Worker => {
    const setup: WorkerSetup = { id: slot.id, distribution: p.distribution, port, cpu: cpuList.length > 0 ? cpuList[(slot.id - 1) % cpuList.length] : undefined };
    const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(setup) });
    admin?.workerStarting(slot.id, slot.deaths > 0);
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.ready = false;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') {
        slot.ready = true;
        const pid = worker.process.pid;
        log.info(
          'worker-ready',
          { worker: slot.id, pid, endpoints: m.endpoints, io: m.io, cpus: m.cpus, deaths: slot.deaths },
          `worker ${slot.id} pid ${pid}: listening on ${m.endpoints.map((e) => e.url).join(' ')} io=${m.io} cpus=${m.cpus ?? '?'}`,
        );
        admin?.workerListening(slot.id);
        onReady(slot, m.endpoints);
      } else if (m.type === 'stats') {
        admin?.stats(slot.id, m);
      } else if (m.type === 'summary') {
        slot.summaries.push({ ...m.summary, pid: worker.process.pid! });
      }
    });
    worker.on('exit', (code, signal) => onExit(slot, worker, code, signal));
    return worker;
  };

  // Start-up: the first worker alone, then the rest on its port.
  let started = false;
  let resolveStarted: () => void = () => {};
  const allReady = new Promise<void>((resolve) => (resolveStarted = resolve));
  function onReady(slot: Slot, got: Listener[]): void {
    if (started) return;
    if (slot.id === 1) {
      endpoints = got;
      // With SO_REUSEPORT every worker binds the port the first one got. Through
      // the cluster module every worker asks for what was asked (port 0 too):
      // the primary shares its one listener with every worker that asks the same.
      if (p.distribution === 'reuseport') port = got.find((e) => e.transport === 'tcp')?.port ?? port;
      for (const s of slots.slice(1)) start(s);
    }
    if (slots.every((s) => s.ready)) {
      started = true;
      resolveStarted();
    }
  }

  function onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    if (stopping && worker.isConnected()) {
      // Its summary may still be unread in the IPC channel: SIGCHLDs are read
      // in one go, so another worker's exit can reap this one before its
      // channel is read. The channel closes after its last message.
      worker.once('disconnect', () => onExit(slot, worker, code, signal));
      return;
    }
    slot.worker = null;
    admin?.workerDown(slot.id);
    if (stopping) {
      if (code !== 0)
        log.warn('worker-exit', { worker: slot.id, pid: worker.process.pid, code, signal }, `worker ${slot.id} pid ${worker.process.pid} exited (${signal ?? `code ${code}`}) while stopping`);
      if (slots.every((s) => s.worker === null)) finish();
      return;
    }
    if (!started) {
      // It could not listen (and said why on stderr), or was killed: the server cannot start.
      for (const s of slots) s.worker?.process.kill('SIGKILL');
      if (options.unix !== undefined && endpoints.length > 0) rmSync(options.unix, { force: true });
      if (signal !== null) fatal(p.name, `cannot listen: worker ${slot.id} was ended by ${signal} while starting`);
      process.exit(code === 0 ? EXIT_FAILED : (code ?? EXIT_FAILED));
    }
    const lived = Date.now() - slot.startedAt;
    slot.deaths++;
    slot.streak = lived >= STEADY_MS ? 0 : slot.streak + 1;
    const wait = slot.streak === 0 ? 0 : Math.min(FIRST_BACKOFF_MS * 2 ** (slot.streak - 1), MAX_BACKOFF_MS);
    const deaths = slots.reduce((n, s) => n + s.deaths, 0);
    log.warn(
      'worker-exit',
      { worker: slot.id, pid: worker.process.pid, code, signal, livedMs: lived, deaths, restartInMs: wait },
      `worker ${slot.id} pid ${worker.process.pid} died (${signal ?? `exit code ${code}`}) after ${(lived / 1000).toFixed(1)} s; ${deaths} worker death${deaths === 1 ? '' : 's'} so far; restarting it in ${wait} ms`,
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (!stopping) start(slot);
    }, wait);
  }

  function finish(): void {
    const workers = slots.flatMap((s) => s.summaries.map((summary) => ({ worker: s.id, ...summary })));
    const summary = sumSummaries(workers, Date.now() - startedAt);
    const deaths = slots.reduce((n, s) => n + s.deaths, 0);
    const missing = p.workers - slots.filter((s) => s.summaries.length > 0 && s.worker === null).length;
    if (options.unix !== undefined) rmSync(options.unix, { force: true });
    log.info(
      'summary',
      { ...summary, workerDeaths: deaths, workers },
      `${describeSummary(summary)}; ${p.workers} workers` + (deaths > 0 ? `, ${deaths} died and were restarted` : '') + (missing > 0 ? `, ${missing} gave no summary` : ''),
    );
    process.exit(missing > 0 ? EXIT_FAILED : EXIT_OK);
  }

  let signals = 0;
  function onSignal(signal: NodeJS.Signals): void {
    if (++signals > 1) {
      log.warn('abort', { signal }, `${signal} again: exiting without waiting`);
      for (const s of slots) s.worker?.process.kill('SIGKILL');
      process.exit(EXIT_FAILED);
    }
    stopping = true;
    // Readiness turns 503 now, before a worker closes a connection: a load balancer stops sending new ones first.
    admin?.setDraining();
    const live = slots.filter((s) => s.worker !== null);
    log.info('shutdown', { signal, workers: live.length }, `${signal}: stopping ${live.length} workers (grace ${options.graceMs} ms)`);
    for (const s of slots) {
      if (s.restartTimer !== null) clearTimeout(s.restartTimer);
      s.restartTimer = null;
    }
    if (live.length === 0) finish();
    for (const s of live) {
      const w = s.worker!;
      if (w.isConnected()) w.send({ type: 'stop', signal });
      else w.process.kill('SIGTERM');
    }
    // A worker that has not stopped well after its grace period is killed (it then gives no summary).
    setTimeout(
      () => {
        for (const s of slots) s.worker?.process.kill('SIGKILL');
      },
      (options.drainMs ?? 0) + options.graceMs + STOP_SLACK_MS,
    ).unref();
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // The admin port first, as a server alone does: its readiness says 503 until every worker listens.
  let admin: PrimaryAdmin | null = null;
  if (p.admin !== undefined) {
    try {
      admin = await startPrimaryAdmin(p.workers, p.admin, { version: packageVersion(), io: p.io, framing: options.framing, mode: options.mode }, log);
    } catch (err) {
      fatal(p.name, `cannot listen: ${describeError(err)}`);
    }
  }
  start(slots[0]);
  await allReady;
  const adminEndpoint = admin?.endpoint;
  log.info('ready', { endpoints, workers: p.workers, admin: adminEndpoint }, `ready: ${endpoints.map((l) => l.url).join(' ')}${adminEndpoint === undefined ? '' : ` admin=${adminEndpoint.url}`}`);
}
