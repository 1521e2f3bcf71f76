/**
 * The benchmark's view of the machine: starting bin/server (for
 * `--spawn-server` and the scripts in bench/), and CPU time and memory from /proc.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Framing, Mode } from '../protocol/index.js';
import type { Target } from '../io/connect.js';

const SERVER_BIN = fileURLToPath(new URL('../../bin/server', import.meta.url));
const START_TIMEOUT_MS = 10_000;

export interface ServerSpec {
  transport: 'tcp' | 'unix';
  host: string;
  /** 0 for an ephemeral port. */
  port: number;
  /** Unix socket path; a temporary one when absent. */
  path?: string;
  framing: Framing;
  mode: Mode;
  response: string;
  maxFrame: number;
  /** CPU list for the server (its `--cpu`). */
  cpus?: string;
}

export interface ServerProcess {
  /** The TCP listener when there is one, else the Unix socket. */
  target: Target;
  /** Each listener's `listening` event (transport, port or path). */
  listeners: Array<Record<string, unknown>>;
  pid: number;
  /** Every JSON log line so far (config, listening, stats, summary...). */
  events: Array<Record<string, unknown>>;
  /** SIGTERM, wait for exit; resolves with the server's JSON summary line, if it printed one. */
  stop(): Promise<Record<string, unknown> | null>;
  /** The exit status once it has exited, else null. */
  exitCode(): number | null;
}

/**
 * Start bin/server with `--json` and `args` (and `env`, e.g. other node
 * flags in RESPUESTA_NODE_FLAGS); resolves once every listener the
 * arguments ask for is up. Used by `--spawn-server` and by the scripts in
 * bench/.
 */
export async function startServerProcess(args: string[], env?: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const proc = spawn(SERVER_BIN, ['--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  const expected = (args.includes('--unix') ? 1 : 0) + (args.includes('--port') || !args.includes('--unix') ? 1 : 0);
  const events: Array<Record<string, unknown>> = [];
  let stderr = '';
  let partial = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => resolve(code));
    proc.once('error', () => resolve(null));
  });
  let listeners: Array<Record<string, unknown>>;
  try {
    listeners = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      proc.once('error', (err) => reject(new Error(`cannot start ${SERVER_BIN}: ${err.message}`)));
      void exited.then((code) => reject(new Error(`the server exited (${code}) before listening: ${stderr.trim().split('\n')[0] ?? ''}`)));
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
        partial += d;
        const lines = partial.split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          if (line.trim() === '') continue;
          events.push(JSON.parse(line) as Record<string, unknown>);
        }
        const up = events.filter((e) => e.event === 'listening');
        if (up.length >= expected) {
          clearTimeout(timer);
          resolve(up);
        }
      });
    });
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
  const tcp = listeners.find((e) => e.transport === 'tcp');
  const target: Target =
    tcp !== undefined ? { transport: 'tcp', host: tcp.host as string, port: tcp.port as number } : { transport: 'unix', path: listeners[0].path as string };
  return {
    target,
    listeners,
    pid: proc.pid!,
    events,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
      return events.find((e) => e.event === 'summary') ?? null;
    },
    exitCode: () => proc.exitCode,
  };
}

/** Start bin/server with the benchmark's framing, mode and transport (pinned by its own `--cpu` when `cpus` is given). */
export async function spawnServer(s: ServerSpec): Promise<ServerProcess> {
  let tmp: string | null = null;
  const args = ['--framing', s.framing, '--mode', s.mode, '--response', s.response, '--max-frame', String(s.maxFrame)];
  if (s.cpus !== undefined) args.push('--cpu', s.cpus);
  if (s.transport === 'unix') {
    let path = s.path;
    if (path === undefined) {
      tmp = mkdtempSync(join(tmpdir(), 'respuesta-bench-'));
      path = join(tmp, 'server.sock');
    }
    args.push('--unix', path);
  } else {
    args.push('--host', s.host, '--port', String(s.port));
  }
  const cleanup = () => {
    if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const server = await startServerProcess(args);
    return {
      ...server,
      async stop() {
        const summary = await server.stop();
        cleanup();
        return summary;
      },
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** Resident memory of a process, bytes. */
export function processRssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

let ticksPerSecond: number | null = null;

/** CPU time (user + system) used so far by a process, microseconds, or null when /proc cannot tell. */
export function processCpuUs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond;
  } catch {
    return null;
  }
}

