import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_FRAME, type Framing, type Mode } from '../protocol/index.js';
import {
  EXIT_FAILED,
  EXIT_OK,
  describeError,
  fatal,
  framingOption,
  modeOption,
  parseArgs,
  parseCpuList,
  parseInteger,
  parsePort,
  ioOption,
  pinOrExit,
  parseRtPriority,
  realtimeOrExit,
  usageError,
} from '../cli/args.js';
import { createLogger } from '../cli/log.js';
import { framingHint } from '../protocol/errors.js';
import { allowedCpus, otherCpus } from '../machine/cpus.js';
import { describeConfig, describeRt, describeSummary } from './report.js';
import { type LimitEvent, type ProtocolErrorEvent, ResponderServer, type ServerOptions } from './server.js';
import { type IoPath, ioPath, usePublicIo } from '../io/binding.js';
import { programName } from '../cli/args.js';
import { packageVersion } from '../cli/meta.js';
import { DISTRIBUTIONS, parseWorkers, reusePortAvailable, workerCount } from './workers.js';
import { DEFAULT_BACKLOG, warnIfBacklogCapped } from './listeners.js';
import { workerLink, workerLogger } from './worker-link.js';
import { type AdminAddress, exposedWarning, parseAdminAddress } from '../admin/address.js';
import { startStatsRelay } from '../admin/relay.js';
import { type Admin, startAdmin } from '../admin/index.js';

const NAME = programName('server');
const DEFAULT_PORT = 8080;
/** The longest Unix socket path Linux takes (sun_path is 108 bytes with its NUL). */
const UNIX_PATH_MAX = 107;

function parseMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidArgumentError('expected octal permission bits such as 0600 or 0660.');
  return parseInt(value, 8);
}

const program = new Command(NAME)
  .version(packageVersion())
  .description('Answer every framed message on TCP loopback and/or a Unix socket with a fixed response or an echo.')
  .option('-H, --host <addr>', 'TCP address to listen on (loopback unless you say otherwise)', '127.0.0.1')
  .option('-p, --port <n>', `TCP port, 0 for an ephemeral one (default ${DEFAULT_PORT}; with --unix alone, no TCP)`, parsePort)
  .option('-u, --unix <path>', 'also (or, without --port, only) listen on this Unix socket')
  .addOption(framingOption())
  .addOption(modeOption())
  .option('-r, --response <text>', 'the fixed response', 'respuesta')
  .option('--max-frame <bytes>', 'largest message accepted; a peer that exceeds it is disconnected', parseInteger(1, 0xffff_ffff), DEFAULT_MAX_FRAME)
  .option('--grace-ms <ms>', 'on SIGINT/SIGTERM, how long to wait for connections to close', parseInteger(0, 3_600_000), 2000)
  .option(
    '--drain-ms <ms>',
    'on SIGINT/SIGTERM, first go on answering open connections this long, or until their peers close them all (behind a load balancer: /readyz says 503 meanwhile)',
    parseInteger(0, 3_600_000),
    0,
  )
  .option('--max-connections <n>', 'connections beyond this many are closed at once and counted', parseInteger(1, 1_000_000), 10_000)
  .option('--backlog <n>', 'the listen queue: connections the kernel completes before the server accepts them (Linux caps it at net.core.somaxconn)', parseInteger(1, 65_535), DEFAULT_BACKLOG)
  .option('--idle-timeout <ms>', 'close a connection silent for this long (0: never)', parseInteger(0, 86_400_000), 0)
  .option('--max-pending <bytes>', 'unsent reply bytes at which a connection stops reading until they are out', parseInteger(1, 1 << 30), 256 * 1024)
  // The default shown as octal, as the config line and the README write it (0600), not the number it is (384).
  .addOption(new Option('--unix-mode <octal>', 'permission bits of the Unix socket file').argParser(parseMode).default(0o600, '0600'))
  .option('--stats-interval <ms>', 'log memory and counters every this many ms (0: never)', parseInteger(0, 86_400_000), 0)
  .option('--cpu <list>', 'pin the server to these CPUs (taskset), e.g. 0 or 0-1; with --workers, one worker per listed CPU', parseCpuList)
  .option('--workers <n>', 'N single-threaded processes serving the same address, or auto: one per CPU it may use', parseWorkers, 1)
  .addOption(
    new Option('--distribution <how>', "with --workers: reuseport (a listener per worker, SO_REUSEPORT; Linux, Node 22.12+), cluster (Node's cluster module), or auto")
      .choices(DISTRIBUTIONS)
      .default('auto'),
  )
  .option('--busy-poll', 'never let the event loop sleep while a connection is open: lower latency across CPUs, one CPU burnt', false)
  .option('--rt-priority <n>', 'run every thread under SCHED_FIFO at this priority, 1-99 (chrt; needs root or CAP_SYS_NICE): served before normal processes on its CPU', parseRtPriority)
  .addOption(ioOption('handles: bare accepted handles, one shared read buffer, direct writes (Node internals; used when this Node has them); sockets: net.Socket only'))
  .option('--admin <[host:]port>', 'serve /metrics (Prometheus), /livez, /readyz and a live dashboard over HTTP here (host: 127.0.0.1 unless given; docs/OPERATIONS.md)', parseAdminAddress)
  .option('--admin-cpu <list>', "CPUs for the admin port's thread (taskset; default: with --cpu, this process's other CPUs, if it has any)", parseCpuList)
  .option('--admin-debug', 'also serve CPU profiles and heap snapshots of the server on the admin port (/debug/profile, /debug/heap)', false)
  .option('--json', 'log one JSON object per line', false)
  .addHelpText(
    'after',
    `
Examples:
  $ ${NAME}                                   # tcp://127.0.0.1:${DEFAULT_PORT}, length framing, replies "respuesta"
  $ ${NAME} --port 0 --unix /tmp/resp.sock    # ephemeral TCP port and a Unix socket
  $ ${NAME} --workers auto                    # one process per CPU on the same port
  $ ${NAME} --framing line --mode echo        # try it: printf 'hola\\n' | nc -q1 127.0.0.1 ${DEFAULT_PORT}
  $ ${NAME} --framing sockperf --port 11111   # then: sockperf ping-pong --tcp -i 127.0.0.1 -p 11111
  $ ${NAME} --admin 9464                      # then: curl 127.0.0.1:9464/metrics, or open http://127.0.0.1:9464/`,
  );

parseArgs(program, process.argv);
const opts = program.opts<{
  host: string;
  port?: number;
  unix?: string;
  framing: Framing;
  mode: Mode;
  response: string;
  maxFrame: number;
  graceMs: number;
  drainMs: number;
  maxConnections: number;
  backlog: number;
  idleTimeout: number;
  maxPending: number;
  unixMode: number;
  statsInterval: number;
  json: boolean;
  cpu?: string;
  busyPoll: boolean;
  rtPriority?: number;
  io: IoPath;
  workers: number | 'auto';
  distribution: (typeof DISTRIBUTIONS)[number];
  admin?: AdminAddress;
  adminCpu?: string;
  adminDebug: boolean;
}>();

if (opts.io === 'sockets') usePublicIo();
if (opts.framing === 'line' && opts.response.includes('\n')) usageError(NAME, 'option --response cannot contain a newline with --framing line');
if (opts.unix !== undefined) checkUnixPath(opts.unix);
if (opts.distribution === 'reuseport' && !reusePortAvailable())
  usageError(NAME, `option --distribution reuseport needs Linux and Node 22.12+ or 23.1+; this is Node ${process.versions.node} on ${process.platform}`);
if (opts.adminDebug && opts.admin === undefined) usageError(NAME, 'option --admin-debug needs --admin');
if (opts.adminCpu !== undefined && opts.admin === undefined) usageError(NAME, 'option --admin-cpu needs --admin');
// A SCHED_FIFO thread that never sleeps keeps every normal thread off its CPU (but for the 5% the kernel's RT throttling leaves them).
if (opts.rtPriority !== undefined && opts.busyPoll) usageError(NAME, 'options --rt-priority and --busy-poll: a real-time thread that never sleeps starves its CPU; give one, not both');
// A worker started by the primary (primary.ts) pins itself to its one CPU of --cpu; the primary, or a server alone, to the list.
const link = workerLink();
const adminCpus = link === null && opts.admin !== undefined ? adminThreadCpus(opts.adminCpu, opts.cpu) : null;
pinOrExit(NAME, '--cpu', link === null ? opts.cpu : link.setup.cpu?.toString());
// Every process sets its own: the primary (in the connection path with the cluster module), each worker, a server alone.
realtimeOrExit(NAME, opts.rtPriority);
const workers = link === null ? workerCount(opts.workers) : 1;
// The admin thread profiles the thread it runs beside: with workers, the primary, which serves nobody.
if (workers > 1 && opts.adminDebug) usageError(NAME, 'option --admin-debug profiles one serving thread: with --workers above 1 it is not available (profile with --workers 1)');

/**
 * Where the admin thread runs (the primary's or a server alone's; a worker of
 * --workers has none): --admin-cpu as given, or with --cpu the other CPUs
 * this process could use, so that a scrape's work never runs where replies
 * are made; null: with the serving thread. Read before --cpu pins the process.
 */
function adminThreadCpus(asked: string | undefined, pinned: string | undefined): string | null {
  const start = allowedCpus('self');
  const unknown = asked === undefined || start === null ? null : otherCpus(asked, start);
  if (unknown !== null) usageError(NAME, `option --admin-cpu: CPUs ${unknown} are not among those this process may use (${start})`);
  return asked ?? otherCpus(start, pinned);
}

/** Refuse, as bad usage, a Unix socket path that cannot be created: too long, or in a directory that is missing or closed to us. */
function checkUnixPath(path: string): void {
  if (Buffer.byteLength(path) > UNIX_PATH_MAX) usageError(NAME, `option --unix: the path is ${Buffer.byteLength(path)} bytes; a Unix socket path takes at most ${UNIX_PATH_MAX}`);
  const dir = dirname(resolve(path));
  try {
    if (!statSync(dir).isDirectory()) usageError(NAME, `option --unix: ${dir} is not a directory`);
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    usageError(NAME, `option --unix: cannot create a socket in ${dir}: ${describeError(err)}`);
  }
}

const options: ServerOptions = {
  host: opts.host,
  port: opts.port ?? (opts.unix === undefined ? DEFAULT_PORT : undefined),
  unix: opts.unix,
  framing: opts.framing,
  mode: opts.mode,
  response: opts.response,
  maxFrame: opts.maxFrame,
  graceMs: opts.graceMs,
  drainMs: opts.drainMs,
  maxConnections: opts.maxConnections,
  backlog: opts.backlog,
  idleTimeoutMs: opts.idleTimeout,
  maxPending: opts.maxPending,
  unixMode: opts.unixMode,
  busyPoll: opts.busyPoll,
};

if (link === null && workers > 1) {
  const distribution = opts.distribution === 'auto' ? (reusePortAvailable() ? 'reuseport' : 'cluster') : opts.distribution;
  const { runPrimary } = await import('./primary.js');
  const admin = opts.admin === undefined ? undefined : { ...opts.admin, debug: false, cpus: adminCpus, realtime: opts.rtPriority !== undefined };
  await runPrimary({ name: NAME, options, workers, distribution, cpus: opts.cpu, rtPriority: opts.rtPriority, io: ioPath(), log: createLogger(opts.json), admin });
} else {
  await serve();
}

/** Serve here: a server alone (the default, --workers 1), or one worker of several. */
async function serve(): Promise<void> {
  if (link !== null) {
    options.share = link.setup.distribution;
    if (link.setup.port !== undefined) options.port = link.setup.port;
  }
  const log = link === null ? createLogger(opts.json) : workerLogger(createLogger(opts.json), link.setup.id);
  const server = new ResponderServer(options);
  server.on('protocol-error', (e: ProtocolErrorEvent) => {
    // The peer that breaks the framing is most often a client with another --framing (or nc, or curl): say so when the bytes show it.
    const hint = framingHint(e.code, e.actual);
    log.warn('protocol-error', { ...e, hint }, `protocol error from ${e.peer}: ${e.reason} (${e.code}); connection closed${hint === null ? '' : `; hint: ${hint}`}`);
  });
  server.on('idle-timeout', (e: LimitEvent) => {
    log.info('idle-timeout', { ...e }, `idle timeout: ${e.peer} sent nothing for ${e.limit} ms; connection closed`);
  });
  // A flood of refused connections gets one line a second, not one line each.
  let rejected = 0;
  let rejectLogged = 0;
  server.on('connection-rejected', (e: LimitEvent) => {
    rejected++;
    const now = Date.now();
    if (now - rejectLogged < 1000) return;
    rejectLogged = now;
    log.warn('connection-rejected', { ...e, count: rejected }, `connection from ${e.peer} refused: ${e.limit} connections open (--max-connections); ${rejected} refused so far`);
  });

  const cpus = allowedCpus('self');
  const adminAt = opts.admin === undefined ? undefined : `${opts.admin.host}:${opts.admin.port}`;
  const adminText = adminAt === undefined ? '' : ` admin=${adminAt}${adminCpus === null ? '' : ` admin-cpus=${adminCpus}`}${opts.adminDebug ? ' admin-debug=on' : ''}`;
  // A worker's config and ready lines are the primary's to print.
  if (link === null) {
    log.info(
      'config',
      { pid: process.pid, ...options, io: server.io, cpus, rtPriority: opts.rtPriority, admin: adminAt, adminCpus: adminAt === undefined ? undefined : adminCpus, adminDebug: opts.adminDebug },
      `${describeConfig(options)} io=${server.io} cpus=${cpus ?? '?'}${describeRt(opts.rtPriority)}${adminText}`,
    );
  }
  if (link === null) warnIfBacklogCapped(log, opts.backlog);
  const exposed = opts.admin === undefined || link !== null ? null : exposedWarning(opts.admin, opts.adminDebug);
  if (exposed !== null) log.warn('admin-exposed', { host: opts.admin!.host }, exposed);
  // The admin port first: its readiness says 503 until every listener below accepts.
  // A worker of --workers serves none: it relays its figures to its primary, which does.
  let admin: Admin | null = null;
  if (opts.admin !== undefined && link !== null) {
    startStatsRelay(server, (m) => link.stats(m));
  } else if (opts.admin !== undefined) {
    try {
      admin = await startAdmin(
        server,
        { ...opts.admin, debug: opts.adminDebug, cpus: adminCpus, realtime: opts.rtPriority !== undefined },
        { version: packageVersion(), io: server.io, framing: options.framing, mode: options.mode },
        log,
      );
    } catch (err) {
      fatal(NAME, `cannot listen: ${describeError(err)}`);
    }
  }
  const listening = server.listen();
  // Stopped before it listens (a worker, told by its primary): stop once it does.
  let signals = 0;
  link?.onStop(onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // One event once every listener is bound: whoever started the server waits for it (src/server/spawn.ts).
    const endpoints = await listening;
    admin?.setListening(true);
    if (link !== null) link.ready(endpoints, server.io, cpus);
    else log.info('ready', { endpoints, admin: admin?.endpoint }, `ready: ${endpoints.map((l) => l.url).join(' ')}${admin === null ? '' : ` admin=${admin.endpoint.url}`}`);
  } catch (err) {
    fatal(NAME, `cannot listen: ${describeError(err)}`);
  }

  if (opts.statsInterval > 0) {
    setInterval(() => {
      const m = process.memoryUsage();
      const s = server.summary();
      log.info(
        'stats',
        { open: server.activeConnections, rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external, messages: s.messages, gc: s.gc },
        `stats: ${server.activeConnections} open, rss ${(m.rss / 1048576).toFixed(1)} MiB, heap ${(m.heapUsed / 1048576).toFixed(1)} MiB, ${s.messages} messages, GC ${s.gc.count}`,
      );
    }, opts.statsInterval).unref();
  }

  function onSignal(signal: NodeJS.Signals): void {
    // A worker may hear the same stop twice (Ctrl-C reaches the whole process group, and its primary passes it on): its primary decides when to abort.
    if (link !== null && signals > 0) return;
    if (++signals > 1) {
      log.warn('abort', { signal }, `${signal} again: exiting without waiting`);
      process.exit(EXIT_FAILED);
    }
    // Readiness turns 503 now, before a connection closes: a load balancer stops sending new ones first.
    admin?.setDraining();
    const open = server.activeConnections;
    if (options.drainMs! > 0)
      log.info('shutdown', { signal, open, drainMs: options.drainMs }, `${signal}: draining ${open} connections (up to ${options.drainMs} ms), then closing them (grace ${options.graceMs} ms)`);
    else log.info('shutdown', { signal, open }, `${signal}: closing ${open} connections (grace ${options.graceMs} ms)`);
    listening
      .catch(() => {})
      .then(() => server.close())
      .then(
        (summary) => {
          const d = server.drained;
          if (d !== null)
            log.info('drained', { ...d }, `drained: ${d.open - d.left} of ${d.open} connections closed by their peers in ${d.ms} ms${d.left > 0 ? `; ${d.left} still open, closing them` : ''}`);
          if (link !== null) return link.finish(summary);
          log.info('summary', { ...summary }, describeSummary(summary));
          process.exit(EXIT_OK);
        },
        (err) => fatal(NAME, `shutdown failed: ${describeError(err)}`),
      );
  }
}
