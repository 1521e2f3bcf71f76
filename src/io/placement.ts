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

/** The CPUs a process may run on, as the kernel reports them (`0-1`), or null when unknown. */
export function allowedCpus(pid: number | 'self'): string | null {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : m[1];
  } catch {
    return null;
  }
}
