/**
 * The benchmark's view of the machine: starting bin/server for
 * `--spawn-server`, CPU placement (taskset), and CPU time from /proc.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Framing, Mode } from '../protocol/index.js';
import type { Target } from '../client/target.js';

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
  /** taskset CPU list for the server. */
  cpus?: string;
}

export interface SpawnedServer {
  target: Target;
  pid: number;
  /** SIGTERM, wait for exit; resolves with the server's JSON summary line, if it printed one. */
  stop(): Promise<Record<string, unknown> | null>;
}

/** Start bin/server (under taskset when `cpus` is given) and wait until it listens. */
export async function spawnServer(s: ServerSpec): Promise<SpawnedServer> {
  let tmp: string | null = null;
  const args = ['--json', '--framing', s.framing, '--mode', s.mode, '--response', s.response, '--max-frame', String(s.maxFrame)];
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
  const [cmd, argv] = s.cpus === undefined ? [SERVER_BIN, args] : ['taskset', ['-c', s.cpus, SERVER_BIN, ...args]];
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Array<Record<string, unknown>> = [];
  let stderr = '';
  let partial = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => resolve(code));
    proc.once('error', () => resolve(null));
  });
  const cleanup = () => {
    if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
  };
  let target: Target;
  try {
    target = await new Promise<Target>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      proc.once('error', (err) => reject(new Error(`cannot start ${cmd}: ${err.message}`)));
      void exited.then((code) => reject(new Error(`the server exited (${code}) before listening: ${stderr.trim().split('\n')[0] ?? ''}`)));
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
        partial += d;
        const lines = partial.split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          if (line.trim() === '') continue;
          const e = JSON.parse(line) as Record<string, unknown>;
          events.push(e);
          if (e.event !== 'listening') continue;
          clearTimeout(timer);
          if (e.transport === 'unix') resolve({ transport: 'unix', path: e.path as string });
          else resolve({ transport: 'tcp', host: s.host, port: e.port as number });
        }
      });
    });
  } catch (err) {
    proc.kill('SIGKILL');
    cleanup();
    throw err;
  }
  return {
    target,
    pid: proc.pid!,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
      cleanup();
      return events.find((e) => e.event === 'summary') ?? null;
    },
  };
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

