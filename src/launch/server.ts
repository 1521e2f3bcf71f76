/**
 * The one way to start bin/server as a process and know it is ready: used by
 * the benchmark's `--spawn-server`, the scripts in bench/ and the tests.
 *
 * The server is started with `--json`, so that every log line is an event,
 * and it is ready when it prints its `ready` event, which lists every
 * endpoint it listens on (./run.sh and bench/netns-cluster.sh wait for the
 * same event). Nothing counts lines or guesses from the arguments
 * how many listeners there will be.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Target } from '../io/connect.js';

const SERVER_BIN = fileURLToPath(new URL('../../bin/server', import.meta.url));
const START_TIMEOUT_MS = 10_000;
/** After the server's exit, how long to wait for the rest of its stdout (its last events). */
const STDOUT_END_MS = 2000;

/** One endpoint of the `ready` event, as `Listener` in server.ts describes it. */
export interface Endpoint {
  transport: 'tcp' | 'unix' | 'udp';
  /** `tcp://HOST:PORT`, `unix:PATH` or `udp://HOST:PORT` */
  url: string;
  host?: string;
  port?: number;
  path?: string;
}

export type ServerEvent = Record<string, unknown> & { event: string };

export interface ServerProcess {
  proc: ChildProcess;
  pid: number;
  /** Every endpoint the `ready` event listed. */
  endpoints: Endpoint[];
  /** The TCP endpoint when there is one, else the Unix socket, else the UDP one. */
  target: Target;
  /** The TCP port, when the server listens on TCP. */
  port?: number;
  /** The Unix socket path, when it listens on one. */
  path?: string;
  /** The UDP endpoint (`--udp`), when there is one. */
  udp?: { host: string; port: number };
  /** The admin listener (`--admin`), when there is one. */
  admin?: { url: string; host: string; port: number };
  /** Every event the server has printed so far (config, ready, stats, summary...). */
  events: ServerEvent[];
  /** What the server wrote to stderr so far. */
  stderr(): string;
  /** The first event of this name, waiting for it if it has not come yet; rejects after `timeoutMs` or when the server exits without it. */
  waitFor(event: string, timeoutMs?: number): Promise<ServerEvent>;
  /** Send `signal` (unless the server has exited or was sent a signal already) and wait for the exit: the exit code and the `summary` event, if it printed one. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; summary: ServerEvent | undefined }>;
  /** Resolves when the server has exited, with its exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
}

export interface StartOptions {
  /** The server program to run: this checkout's bin/server by default (a test gives an installed `respuesta-server`). */
  command?: string;
  /** The working directory; this process's by default. */
  cwd?: string;
  /** The environment (for example other Node flags in RESPUESTA_NODE_FLAGS); this process's by default. */
  env?: NodeJS.ProcessEnv;
  /** Run once the server has exited (removing a temporary directory, say). */
  cleanup?: () => void;
}

/**
 * Start bin/server (or `options.command`) with `--json` and `args`;
 * resolves once it has printed its `ready` event. Rejects, with the server's
 * first line of stderr, when it exits first or is not ready within 10 s (and
 * then kills it).
 */
export async function startServerProcess(args: string[], options: StartOptions = {}): Promise<ServerProcess> {
  const command = options.command ?? SERVER_BIN;
  const proc = spawn(command, ['--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd });
  const events: ServerEvent[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let partial = '';
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    proc.once('error', (err) => {
      stderr += `cannot start ${command}: ${err.message}\n`;
      resolve(null);
    });
    proc.once('exit', (code) => {
      // 'exit' can come before the last of stdout has been read (the summary, often): wait for its end, but not
      // for ever, as a worker process left behind may hold the pipe open.
      if (proc.stdout === null || proc.stdout.readableEnded) return resolve(code);
      const timer = setTimeout(() => resolve(code), STDOUT_END_MS);
      proc.stdout.once('end', () => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }).then((code) => {
    done = true;
    options.cleanup?.();
    for (const w of waiters) w();
    return code;
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.trim() !== '') events.push(JSON.parse(line) as ServerEvent);
    for (const w of waiters) w();
  });

  const waitFor = (event: string, timeoutMs = 5000): Promise<ServerEvent> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = events.find((e) => e.event === event);
        if (found === undefined && !done) return;
        waiters.delete(check);
        clearTimeout(timer);
        if (found !== undefined) resolve(found);
        else reject(new Error(`the server exited (${proc.exitCode ?? proc.signalCode}) without a '${event}' event: ${firstLine(stderr)}`));
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no '${event}' event from the server within ${timeoutMs} ms: ${firstLine(stderr)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    // A second SIGTERM makes the server exit at once, unanswered replies and all: send one only (SIGKILL always goes).
    if (!done && (signal === 'SIGKILL' || !proc.killed)) proc.kill(signal);
    const code = await exited;
    return { code, summary: events.find((e) => e.event === 'summary') };
  };

  let ready: ServerEvent;
  try {
    ready = await waitFor('ready', START_TIMEOUT_MS);
  } catch (err) {
    await stop('SIGKILL');
    throw err;
  }
  const endpoints = ready.endpoints as Endpoint[];
  const tcp = endpoints.find((e) => e.transport === 'tcp');
  const unix = endpoints.find((e) => e.transport === 'unix');
  const udp = endpoints.find((e) => e.transport === 'udp');
  const target: Target | null =
    tcp !== undefined
      ? { transport: 'tcp', host: tcp.host!, port: tcp.port! }
      : unix !== undefined
        ? { transport: 'unix', path: unix.path! }
        : udp !== undefined
          ? { transport: 'udp', host: udp.host!, port: udp.port! }
          : null;
  const admin = ready.admin as ServerProcess['admin'];
  return {
    proc,
    pid: proc.pid!,
    endpoints,
    get target(): Target {
      if (target === null) throw new Error('the server announced no endpoint');
      return target;
    },
    port: tcp?.port,
    path: unix?.path,
    udp: udp === undefined ? undefined : { host: udp.host!, port: udp.port! },
    admin,
    events,
    stderr: () => stderr,
    waitFor,
    stop,
    exited,
  };
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}
