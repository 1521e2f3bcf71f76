/**
 * From bin/server's parsed options to what this process will do: the checks
 * of option combinations (bad usage, exit 2, before anything listens), the
 * placement of the process and of its admin thread, and the ServerOptions
 * of the responder. A worker of `--workers` plans from what its primary told
 * it (worker-link.ts) as well as from the options it was started with.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describeError, pinProblem, realtimeProblem, respOptionProblem } from '../cli/args.js';
import { RunError, UsageError } from '../cli/program.js';
import { chooseIo } from '../io/binding.js';
import { DATAGRAM_FRAMINGS, smallestDatagram } from '../protocol/datagram.js';
import { codecs } from '../protocol/index.js';
import { allowedCpus, otherCpus } from '../machine/cpus.js';
import { DEFAULT_PORT, type ServerArgs } from './options.js';
import type { ServerOptions } from './server.js';
import { type WorkerLink, workerLink } from './worker-link.js';
import { reusePortAvailable, workerCount } from './workers.js';

/** The longest Unix socket path Linux takes (sun_path is 108 bytes with its NUL). */
const UNIX_PATH_MAX = 107;

export interface ServerPlan {
  args: ServerArgs;
  /** The responder's options (in a worker, with the share and port its primary gave). */
  options: ServerOptions;
  /** This process's link to its primary, when it is a worker of --workers. */
  link: WorkerLink | null;
  /** Worker processes to start: above 1, this process is their primary and serves nobody. */
  workers: number;
  /** The admin thread's CPUs (adminThreadCpus); null: with the serving thread, or no admin port here. */
  adminCpus: string | null;
}

/**
 * Check `args` and place this process (--cpu, --rt-priority); throws
 * UsageError or RunError with the one line to print. Pins and sets the
 * scheduling policy of this process: run it once, before serving.
 */
export function planServer(args: ServerArgs): ServerPlan {
  chooseIo(args.io);
  const resp = respOptionProblem(args);
  if (resp !== null) throw new UsageError(resp);
  if (args.framing === 'line' && args.response.includes('\n')) throw new UsageError('option --response cannot contain a newline with --framing line');
  if (args.unix !== undefined) checkUnixPath(args.unix);
  if (args.udp !== undefined) checkUdp(args);
  else if (args.udpAmplify) throw new UsageError('option --udp-amplify needs --udp');
  if (args.distribution === 'reuseport' && !reusePortAvailable())
    throw new UsageError(`option --distribution reuseport needs Linux and Node 22.12+ or 23.1+; this is Node ${process.versions.node} on ${process.platform}`);
  if (args.adminDebug && args.admin === undefined) throw new UsageError('option --admin-debug needs --admin');
  if (args.adminCpu !== undefined && args.admin === undefined) throw new UsageError('option --admin-cpu needs --admin');
  // A SCHED_FIFO thread that never sleeps keeps every normal thread off its CPU (but for the 5% the kernel's RT throttling leaves them).
  if (args.rtPriority !== undefined && args.busyPoll) throw new UsageError('options --rt-priority and --busy-poll: a real-time thread that never sleeps starves its CPU; give one, not both');
  // A worker started by the primary (primary.ts) pins itself to its one CPU of --cpu; the primary, or a server alone, to the list.
  const link = workerLink();
  const adminCpus = link === null && args.admin !== undefined ? adminThreadCpus(args.adminCpu, args.cpu) : null;
  const pinned = pinProblem('--cpu', link === null ? args.cpu : link.setup.cpu?.toString());
  if (pinned !== null) throw new UsageError(pinned);
  // Every process sets its own: the primary (in the connection path with the cluster module), each worker, a server alone.
  const realtime = realtimeProblem(args.rtPriority);
  if (realtime !== null) throw new RunError(realtime);
  const workers = link === null ? workerCount(args.workers) : 1;
  // The admin thread profiles the thread it runs beside: with workers, the primary, which serves nobody.
  if (workers > 1 && args.adminDebug) throw new UsageError('option --admin-debug profiles one serving thread: with --workers above 1 it is not available (profile with --workers 1)');
  return { args, options: serverOptions(args, link), link, workers, adminCpus };
}

function serverOptions(args: ServerArgs, link: WorkerLink | null): ServerOptions {
  const options: ServerOptions = {
    host: args.host,
    port: args.port ?? (args.unix === undefined && args.udp === undefined ? DEFAULT_PORT : undefined),
    unix: args.unix,
    udp: args.udp,
    udpAmplify: args.udpAmplify,
    framing: args.framing,
    mode: args.mode,
    response: args.response,
    maxFrame: args.maxFrame,
    graceMs: args.graceMs,
    drainMs: args.drainMs,
    maxConnections: args.maxConnections,
    backlog: args.backlog,
    idleTimeoutMs: args.idleTimeout,
    maxPending: args.maxPending,
    unixMode: args.unixMode,
    busyPoll: args.busyPoll,
  };
  if (link !== null) {
    options.share = link.setup.distribution;
    if (link.setup.port !== undefined) options.port = link.setup.port;
    if (link.setup.udpPort !== undefined && options.udp !== undefined) options.udp = { ...options.udp, port: link.setup.udpPort };
  }
  return options;
}

/**
 * Where the admin thread runs (the primary's or a server alone's; a worker of
 * --workers has none): --admin-cpu as given, or with --cpu the other CPUs
 * this process could use, so that a scrape's work never runs where replies
 * are made; null: with the serving thread. Read before --cpu pins the process.
 */
function adminThreadCpus(asked: string | undefined, pinned: string | undefined): string | null {
  const start = allowedCpus('self');
  const unknown = asked === undefined || start === null ? null : otherCpus(asked, start);
  if (unknown !== null) throw new UsageError(`option --admin-cpu: CPUs ${unknown} are not among those this process may use (${start})`);
  return asked ?? otherCpus(start, pinned);
}

/**
 * Refuse, as bad usage, a framing that cannot work one datagram at a time,
 * and a fixed reply longer than the smallest request of its framing without
 * --udp-amplify: any datagram that small, its sender spoofed, would be
 * answered with more bytes than it cost (docs/PROTOCOL.md, "UDP").
 */
function checkUdp(args: ServerArgs): void {
  if (!DATAGRAM_FRAMINGS.includes(args.framing))
    throw new UsageError(`option --udp: --framing ${args.framing} does not work one datagram at a time; use length, line or sockperf framing over UDP`);
  if (args.framing === 'sockperf' || args.mode !== 'fixed' || args.udpAmplify) return;
  const reply = codecs[args.framing].frame(Buffer.from(args.response)).length;
  const smallest = smallestDatagram(args.framing);
  if (reply > smallest)
    throw new UsageError(
      `option --udp with --mode fixed: the reply is ${reply} bytes, more than the smallest ${args.framing}-framed request (${smallest} bytes), so a spoofed datagram would be answered with more than it sent; use --mode echo, or give --udp-amplify to allow it`,
    );
}

/** Refuse, as bad usage, a Unix socket path that cannot be created: too long, or in a directory that is missing or closed to us. */
function checkUnixPath(path: string): void {
  if (Buffer.byteLength(path) > UNIX_PATH_MAX) throw new UsageError(`option --unix: the path is ${Buffer.byteLength(path)} bytes; a Unix socket path takes at most ${UNIX_PATH_MAX}`);
  const dir = dirname(resolve(path));
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
    if (isDirectory) accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new UsageError(`option --unix: cannot create a socket in ${dir}: ${describeError(err)}`);
  }
  if (!isDirectory) throw new UsageError(`option --unix: ${dir} is not a directory`);
}
