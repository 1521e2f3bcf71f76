/**
 * CPU placement. On a small VM it changes loopback latency several-fold (an
 * idle CPU halts, and waking it costs tens of microseconds), so every program
 * can pin itself (`--cpu`) and every report says where it ran.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Pin every thread of this process to `cpus` (threads started later inherit it). Throws with taskset's reason. */
export function pinSelf(cpus: string): void {
  execFileSync('taskset', ['-a', '-cp', cpus, String(process.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Put every thread of this process under SCHED_FIFO at `priority` (1-99;
 * chrt, util-linux). Threads started later inherit the policy, and so do
 * child processes (the workers of `--workers`). A SCHED_FIFO thread runs
 * before every normal one on its CPU and is preempted only by a higher
 * real-time priority: a message that arrives while the CPU runs something
 * else (the client, a compiler) is served at once instead of at the next
 * time slice. Needs CAP_SYS_NICE or an RLIMIT_RTPRIO allowance; throws with
 * chrt's reason when it is refused.
 */
export function realtimeSelf(priority: number): void {
  execFileSync('chrt', ['--all-tasks', '--fifo', '--pid', String(priority), String(process.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The ranges of a taskset list (`0-2,5`: [0, 2], [5, 5]), as written. */
export function cpuRanges(list: string): Array<[from: number, to: number]> {
  return list.split(',').map((part) => {
    const [from, to = from] = part.split('-').map(Number);
    return [from, to];
  });
}

/** The CPUs of a taskset list (`0-2,5`: 0, 1, 2, 5), in order. */
export function expandCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const [from, to] of cpuRanges(list)) for (let c = from; c <= to; c++) cpus.push(c);
  return cpus;
}

/**
 * The CPUs of `allowed` (a taskset list) that are not in `taken`, as a
 * taskset list (`2,3`), or null when none is left or either is unknown.
 */
export function otherCpus(allowed: string | null, taken: string | undefined): string | null {
  if (allowed === null || taken === undefined) return null;
  const skip = new Set(expandCpuList(taken));
  const rest = expandCpuList(allowed).filter((c) => !skip.has(c));
  return rest.length === 0 ? null : rest.join(',');
}

/** The CPUs a process may run on, as the kernel reports them (`0-1`), or null when unknown. */
export function allowedCpus(pid: number | 'self'): string | null {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : m[1];
  } catch {
    return null;
  }
}
