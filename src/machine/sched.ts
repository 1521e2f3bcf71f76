/**
 * Where and how this process is scheduled: pinned to CPUs (taskset) and
 * under a real-time policy (chrt). Both act on every thread of the process,
 * and threads and child processes started later inherit them. Each throws
 * with the tool's own reason; src/cli/args.ts turns that into a usage error.
 */
import { execFileSync } from 'node:child_process';

/** Pin every thread of this process to `cpus`, a CPU list (threads started later inherit it). Throws with taskset's reason. */
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
