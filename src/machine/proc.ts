/**
 * What /proc says of processes and CPUs: the resident memory and CPU time of
 * a process, and the idle time of CPUs. The benchmark reads CPU use over each
 * measured window from these (src/benchmark/window.ts); bench/ scripts and
 * tests read memory.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
