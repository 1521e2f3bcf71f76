/**
 * CPU over a scenario's measured window: what this process used, what the
 * spawned server used, and how much of this process's CPUs nobody used (the
 * room another load thread would have). Sampled as the window opens and
 * closes (WindowProbe, run.ts), never per message.
 */
import type { WindowCpu } from '../report/benchmark.js';
import type { WindowProbe } from './run.js';
import { cpuIdleUs, processCpuUs } from '../machine/proc.js';

/** A probe for one window; `result()` after it has closed (all null when it never opened). */
export function cpuWindow(serverPid: number | null, clientCpus: readonly number[]): WindowProbe & { result(): WindowCpu } {
  let t0 = 0;
  let elapsedMs = 0;
  let self0: NodeJS.CpuUsage | null = null;
  let selfUs = 0;
  let server0: number | null = null;
  let serverUs: number | null = null;
  let idle0: number | null = null;
  let idleUs: number | null = null;
  return {
    begin() {
      t0 = performance.now();
      self0 = process.cpuUsage();
      server0 = serverPid === null ? null : processCpuUs(serverPid);
      idle0 = cpuIdleUs(clientCpus);
    },
    end() {
      elapsedMs = performance.now() - t0;
      const c = process.cpuUsage(self0 ?? undefined);
      selfUs = c.user + c.system;
      const s1 = serverPid === null ? null : processCpuUs(serverPid);
      serverUs = server0 === null || s1 === null ? null : s1 - server0;
      const idle1 = cpuIdleUs(clientCpus);
      idleUs = idle0 === null || idle1 === null ? null : idle1 - idle0;
    },
    result() {
      if (elapsedMs === 0) return { clientCpuPct: null, serverCpuPct: null, idleCpus: null };
      return {
        clientCpuPct: selfUs / 10 / elapsedMs,
        serverCpuPct: serverUs === null ? null : serverUs / 10 / elapsedMs,
        // /proc/stat counts in ticks of 10 ms: over a short window this is coarse, never negative.
        idleCpus: idleUs === null ? null : Math.max(0, idleUs / 1000 / elapsedMs),
      };
    },
  };
}
