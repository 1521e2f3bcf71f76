/**
 * The benchmark's view of the machine: the arguments of the server it
 * starts with `--spawn-server` (started by src/server/spawn.ts), CPU time
 * and memory of processes, and the idle time of CPUs, from /proc.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Framing, Mode } from '../protocol/index.js';

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

/**
 * bin/server's arguments for the benchmark's framing, mode and transport, and
 * what to remove once it has exited (a temporary directory for its socket).
 */
export function serverArgs(s: ServerSpec): { args: string[]; cleanup: () => void } {
  const args = ['--framing', s.framing, '--mode', s.mode, '--response', s.response, '--max-frame', String(s.maxFrame)];
  if (s.cpus !== undefined) args.push('--cpu', s.cpus);
  let tmp: string | null = null;
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
  return { args, cleanup: () => tmp !== null && rmSync(tmp, { recursive: true, force: true }) };
}

/** Resident memory of a process, bytes. */
export function processRssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

let ticksPerSecond: number | null = null;

/** The unit of /proc's CPU times, per second (USER_HZ, nearly always 100). */
function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** CPU time (user + system) used so far by a process, microseconds, or null when /proc cannot tell. */
export function processCpuUs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks();
  } catch {
    return null;
  }
}

/** A CPU list as the kernel and taskset write it (`0-3,6`), as numbers; null stays null. */
export function parseCpuSet(list: string | null): number[] | null {
  if (list === null) return null;
  const out: number[] = [];
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) return null;
    for (let c = Number(m[1]); c <= Number(m[2] ?? m[1]); c++) out.push(c);
  }
  return out;
}

/** The machine's online CPUs. */
export function onlineCpus(): number[] {
  try {
    const cpus = parseCpuSet(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
    if (cpus !== null && cpus.length > 0) return cpus;
  } catch {
    // not Linux, or no sysfs: count them
  }
  return Array.from({ length: availableParallelism() }, (_, i) => i);
}

/**
 * Idle time (idle and iowait) so far of the CPUs in `cpus`, summed, in
 * microseconds; null when /proc/stat cannot tell. Two readings apart give how
 * much of those CPUs nobody used in between: the benchmark, the server, and
 * every other process of a shared machine alike.
 */
export function cpuIdleUs(cpus: readonly number[]): number | null {
  try {
    const wanted = new Set(cpus);
    let ticks = 0;
    let seen = 0;
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const m = /^cpu(\d+) +\d+ +\d+ +\d+ +(\d+) +(\d+)/.exec(line);
      if (m === null || !wanted.has(Number(m[1]))) continue;
      ticks += Number(m[2]) + Number(m[3]);
      seen++;
    }
    return seen === wanted.size ? (ticks * 1e6) / clockTicks() : null;
  } catch {
    return null;
  }
}
