/**
 * Serve in this process: a server alone (the default, --workers 1), or one
 * worker of several (its primary is primary.ts). In order: the config line,
 * the admin port, the listeners, the `ready` event; then, on the first
 * SIGINT/SIGTERM (or the primary's stop, or the caller's abort), the drain,
 * the close and the summary; a second one ends the run at once.
 */
import { EXIT_FAILED, EXIT_OK, describeError } from '../cli/args.js';
import type { Logger } from '../cli/log.js';
import { packageVersion } from '../cli/meta.js';
import { type ProgramIo, RunError, onStopRequest } from '../cli/program.js';
import { allowedCpus } from '../machine/cpus.js';
import { IdleCollector, settleHeap } from '../stats/collect.js';
import { exposedWarning } from '../admin/address.js';
import { type Admin, startAdmin } from '../admin/index.js';
import { startStatsRelay } from '../admin/relay.js';
import { logConnectionEvents, logDatagramDrops } from './event-log.js';
import { type Listener, warnIfBacklogCapped } from './listeners.js';
import type { ServerPlan } from './plan.js';
import { describeConfig, describeRt, describeSummary } from './report.js';
import { ResponderServer } from './server.js';
import { exposedUdpWarning } from './udp.js';
import type { ServerSummary } from './summary.js';

/** Serve as `plan` says until stopped; resolves with the exit status, rejects with a RunError (cannot listen, shutdown failed). */
export function serve(plan: ServerPlan, log: Logger, io: ProgramIo): Promise<number> {
  return new Serving(plan, log, io).run();
}

class Serving {
  private readonly plan: ServerPlan;
  private readonly log: Logger;
  private readonly io: ProgramIo;
  private readonly server: ResponderServer;
  /** The CPUs this process may use, as the config line and the worker's ready message say. */
  private readonly cpus: string | null;
  private readonly ended: Promise<number>;
  private settle: (status: number | RunError) => void = () => {};
  private admin: Admin | null = null;
  private listening: Promise<Listener[]> = Promise.resolve([]);
  private signals = 0;
  private statsTimer: NodeJS.Timeout | null = null;
  private idleCollector: IdleCollector | null = null;
  private over = false;
  private unwatch: Array<() => void> = [];

  constructor(plan: ServerPlan, log: Logger, io: ProgramIo) {
    this.plan = plan;
    this.log = log;
    this.io = io;
    this.server = new ResponderServer(plan.options);
    logConnectionEvents(this.server, log);
    logDatagramDrops(this.server, log);
    this.cpus = allowedCpus('self');
    this.ended = new Promise((resolve, reject) => {
      this.settle = (status) => (typeof status === 'number' ? resolve(status) : reject(status));
    });
    // Awaited by run's caller; this only keeps a rejection before that from counting as unhandled.
    this.ended.catch(() => {});
  }

  async run(): Promise<number> {
    this.logStart();
    // The admin port first: its readiness says 503 until every listener below accepts.
    await this.startAdmin();
    this.listening = this.server.listen();
    // Stopped before it listens (a worker, told by its primary): stop once it does.
    this.watchStops();
    let endpoints: Listener[];
    try {
      endpoints = await this.listening;
    } catch (err) {
      this.end(new RunError(`cannot listen: ${describeError(err)}`));
      return this.ended;
    }
    // Start-up's garbage and survivors out of the way before the first message (src/stats/collect.ts).
    settleHeap();
    const stats = this.server.stats;
    if (!this.over) this.idleCollector = new IdleCollector(() => stats.messages);
    this.announce(endpoints);
    this.startStatsLog();
    return this.ended;
  }

  /** The config line, and warnings of a capped backlog and an exposed admin port or UDP address; a worker's config and ready lines are the primary's to print. */
  private logStart(): void {
    const { args, options, link, adminCpus } = this.plan;
    if (link !== null) return;
    const adminAt = args.admin === undefined ? undefined : `${args.admin.host}:${args.admin.port}`;
    const adminText = adminAt === undefined ? '' : ` admin=${adminAt}${adminCpus === null ? '' : ` admin-cpus=${adminCpus}`}${args.adminDebug ? ' admin-debug=on' : ''}`;
    const io = this.server.io;
    this.log.info(
      'config',
      { pid: process.pid, ...options, io, cpus: this.cpus, rtPriority: args.rtPriority, admin: adminAt, adminCpus: adminAt === undefined ? undefined : adminCpus, adminDebug: args.adminDebug },
      `${describeConfig(options)} io=${io} cpus=${this.cpus ?? '?'}${describeRt(args.rtPriority)}${adminText}`,
    );
    warnIfBacklogCapped(this.log, args.backlog);
    const exposed = args.admin === undefined ? null : exposedWarning(args.admin, args.adminDebug);
    if (exposed !== null) this.log.warn('admin-exposed', { host: args.admin!.host }, exposed);
    const udpExposed = options.udp === undefined ? null : exposedUdpWarning(options.udp);
    if (udpExposed !== null) this.log.warn('udp-exposed', { host: options.udp!.host }, udpExposed);
  }

  /** With --admin: the admin port here, or in a worker of --workers, the relay of its figures to its primary, which serves the port. */
  private async startAdmin(): Promise<void> {
    const { args, options, link, adminCpus } = this.plan;
    if (args.admin === undefined) return;
    if (link !== null) {
      startStatsRelay(this.server, (m) => link.stats(m));
      return;
    }
    try {
      this.admin = await startAdmin(
        this.server,
        { ...args.admin, debug: args.adminDebug, cpus: adminCpus, realtime: args.rtPriority !== undefined },
        { version: packageVersion(), io: this.server.io, framing: options.framing, mode: options.mode },
        this.log,
      );
    } catch (err) {
      throw new RunError(`cannot listen: ${describeError(err)}`);
    }
  }

  /** Every listener is bound: one event, which whoever started the server waits for (src/launch/server.ts). */
  private announce(endpoints: Listener[]): void {
    const { link } = this.plan;
    const admin = this.admin;
    admin?.setListening(true);
    if (link !== null) link.ready(endpoints, this.server.io, this.cpus);
    else this.log.info('ready', { endpoints, admin: admin?.endpoint }, `ready: ${endpoints.map((l) => l.url).join(' ')}${admin === null ? '' : ` admin=${admin.endpoint.url}`}`);
  }

  /** Stop on SIGINT, SIGTERM, the primary's word (a worker) and the caller's abort (a SIGTERM). */
  private watchStops(): void {
    const onSignal = (signal: NodeJS.Signals) => this.onSignal(signal);
    if (this.plan.link !== null) this.unwatch.push(this.plan.link.onStop(onSignal));
    this.unwatch.push(onStopRequest(onSignal, this.io.signal));
  }

  /** --stats-interval: memory and counters, one line every so often. */
  private startStatsLog(): void {
    const every = this.plan.args.statsInterval;
    if (every > 0) this.statsTimer = setInterval(() => this.logStats(), every).unref();
  }

  private logStats(): void {
    const server = this.server;
    const m = process.memoryUsage();
    const s = server.summary();
    this.log.info(
      'stats',
      { open: server.activeConnections, rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external, messages: s.messages, gc: s.gc },
      `stats: ${server.activeConnections} open, rss ${(m.rss / 1048576).toFixed(1)} MiB, heap ${(m.heapUsed / 1048576).toFixed(1)} MiB, ${s.messages} messages, GC ${s.gc.count}`,
    );
  }

  private onSignal(signal: NodeJS.Signals): void {
    // A worker may hear the same stop twice (Ctrl-C reaches the whole process group, and its primary passes it on): its primary decides when to abort.
    if (this.plan.link !== null && this.signals > 0) return;
    if (++this.signals > 1) {
      this.log.warn('abort', { signal }, `${signal} again: exiting without waiting`);
      this.end(EXIT_FAILED);
      return;
    }
    // Readiness turns 503 now, before a connection closes: a load balancer stops sending new ones first.
    this.admin?.setDraining();
    this.logShutdown(signal);
    this.listening
      .catch(() => {})
      .then(() => this.server.close())
      .then(
        (summary) => this.finish(summary),
        (err) => this.end(new RunError(`shutdown failed: ${describeError(err)}`)),
      );
  }

  private logShutdown(signal: NodeJS.Signals): void {
    const { graceMs, drainMs } = this.plan.options;
    const open = this.server.activeConnections;
    if (drainMs! > 0) this.log.info('shutdown', { signal, open, drainMs }, `${signal}: draining ${open} connections (up to ${drainMs} ms), then closing them (grace ${graceMs} ms)`);
    else this.log.info('shutdown', { signal, open }, `${signal}: closing ${open} connections (grace ${graceMs} ms)`);
  }

  /** Closed: the drain's line, then the summary (a worker hands it to its primary instead). */
  private async finish(summary: ServerSummary): Promise<void> {
    const d = this.server.drained;
    if (d !== null)
      this.log.info('drained', { ...d }, `drained: ${d.open - d.left} of ${d.open} connections closed by their peers in ${d.ms} ms${d.left > 0 ? `; ${d.left} still open, closing them` : ''}`);
    const link = this.plan.link;
    if (link !== null) await link.finish(summary);
    else this.log.info('summary', { ...summary }, describeSummary(summary));
    this.end(EXIT_OK);
  }

  /** The run's end, once: no more signals heard, no more stats lines. */
  private end(status: number | RunError): void {
    this.over = true;
    for (const undo of this.unwatch) undo();
    this.unwatch = [];
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.statsTimer = null;
    this.idleCollector?.stop();
    this.idleCollector = null;
    this.settle(status);
  }
}
