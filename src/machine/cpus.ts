/**
 * The machine's CPUs: CPU lists as the kernel and taskset write them
 * (`0-3,6`), read in one place, and which CPUs a process may run on. On a
 * small VM placement changes loopback latency several-fold (an idle CPU
 * halts, and waking it costs tens of microseconds), so every program can pin
 * itself (`--cpu`, sched.ts) and every report says where it ran.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** `0`, `0,1`, `0-3,6`: what the kernel prints and taskset takes (surrounding space, as in a file's last newline, aside). */
const CPU_LIST = /^\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*$/;

/**
 * The ranges of a CPU list (`0-2,5`: [0, 2], [5, 5]), as written (a range
 * that runs backwards is kept so, for the caller to refuse), or null when
 * the text is not a CPU list. The one parser of CPU lists: every other
 * reading of one goes through it.
 */
export function cpuRanges(list: string): Array<[from: number, to: number]> | null {
  const text = list.trim();
  if (!CPU_LIST.test(text)) return null;
  return text.split(',').map((part) => {
    const [from, to = from] = part.split('-').map(Number);
    return [from, to];
  });
}

/**
 * The CPUs of a CPU list (`0-2,5`: 0, 1, 2, 5), in order; null stays null
 * (a CPU list that is not known). Throws on a text that is not a CPU list:
 * the lists read here come from the kernel or were checked on the command
 * line (parseCpuList in src/cli/args.ts), so one that is not is a fault.
 */
export function parseCpuSet(list: string): number[];
export function parseCpuSet(list: string | null): number[] | null;
export function parseCpuSet(list: string | null): number[] | null {
  if (list === null) return null;
  const ranges = cpuRanges(list);
  if (ranges === null) throw new Error(`not a CPU list: '${list.trim()}'`);
  const cpus: number[] = [];
  for (const [from, to] of ranges) for (let c = from; c <= to; c++) cpus.push(c);
  return cpus;
}

/**
 * The CPUs of `allowed` (a CPU list) that are not in `taken`, as a CPU list
 * (`2,3`), or null when none is left or either is unknown.
 */
export function otherCpus(allowed: string | null, taken: string | undefined): string | null {
  if (allowed === null || taken === undefined) return null;
  const skip = new Set(parseCpuSet(taken));
  const rest = parseCpuSet(allowed).filter((c) => !skip.has(c));
  return rest.length === 0 ? null : rest.join(',');
}

/** The CPUs a process may run on, as the kernel lists them (`0-1`), or null when unknown. */
export function allowedCpus(pid: number | 'self'): string | null {
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : m[1];
  } catch {
    return null;
  }
}

/** The machine's online CPUs. */
export function onlineCpus(): number[] {
  try {
    const cpus = parseCpuSet(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
    if (cpus.length > 0) return cpus;
  } catch {
    // not Linux, or no sysfs: count them
  }
  return Array.from({ length: availableParallelism() }, (_, i) => i);
}
