/**
 * What can help a load generator that measured itself, on the machine it
 * ran on. Only advice that can help there is given: more `--threads` only
 * when the benchmark's CPUs had idle time in the window (on a 2-core machine
 * whose other core a spawned server keeps busy, another thread would only
 * take turns with it), a CPU of its own only when the machine has one to
 * give, fewer connections only when there are more than threads.
 */

/** Where the benchmark and the server may run. */
export interface CpuPlacement {
  /** CPUs the benchmark may run on. */
  client: readonly number[];
  /** CPUs the spawned server may run on; null when the benchmark did not start it (its placement is not known). */
  server: readonly number[] | null;
  /** The machine's online CPUs. */
  online: readonly number[];
}

/** What one scenario's window used. */
export interface WindowUse {
  threads: number;
  connections: number;
  /** CPUs' worth of idle time among the benchmark's CPUs over the window (/proc/stat), or null when unknown. */
  idleCpus: number | null;
}

/** Most of a CPU idle: room for another load thread. */
const IDLE_CPU = 0.75;

/** The changes that can help, most useful first, as one clause: `--threads 2 (1.4 CPUs of its 2 were idle), or fewer connections (--connections)`. */
export function generatorAdvice(p: CpuPlacement, u: WindowUse): string {
  const out: string[] = [];
  if (u.idleCpus !== null && u.idleCpus >= IDLE_CPU && u.threads < p.client.length) {
    out.push(`--threads ${u.threads + 1} (${u.idleCpus.toFixed(1)} CPUs of its ${p.client.length} were idle)`);
  }
  const own = ownCpu(p, u.threads);
  if (own !== null) out.push(own);
  if (u.connections > u.threads) out.push('fewer connections (--connections)');
  return out.length === 0 ? 'nothing more on this machine: read them as the limit of the load generator' : out.join(', or ');
}

/** How the benchmark can get a CPU nobody else uses, or null when this machine has none to give. */
function ownCpu(p: CpuPlacement, threads: number): string | null {
  if (p.server === null) {
    // The server's placement is not known here: only a benchmark free to run anywhere can be moved.
    if (p.online.length < 2 || p.client.length < p.online.length) return null;
    return 'a CPU the server does not use (--client-cpu; where the server runs is not known here)';
  }
  const server = p.server;
  if (p.client.some((c) => server.includes(c))) {
    // They share CPUs: split them, keeping the server where it was allowed.
    const s = server[0];
    const c = p.online.find((x) => !server.includes(x)) ?? p.online.find((x) => x !== s);
    return c === undefined ? null : `a CPU of its own: --server-cpu ${s} --client-cpu ${c}`;
  }
  // Apart already: a CPU that neither uses can be added, with a thread to use it.
  const free = p.online.find((x) => !p.client.includes(x) && !server.includes(x));
  return free === undefined ? null : `CPU ${free}, which nobody uses: --client-cpu ${[...p.client, free].join(',')} --threads ${threads + 1}`;
}
