/**
 * Monotonic time in integer nanoseconds as a Number, relative to module load
 * so that it stays exact (below 2^53 for 104 days). Reads `process.hrtime()`,
 * one clock read per call.
 */
const [baseSec, baseNs] = process.hrtime();

export function nowNs(): number {
  const t = process.hrtime();
  return (t[0] - baseSec) * 1e9 + (t[1] - baseNs);
}

/** Wall-clock milliseconds since the epoch at nowNs() = 0, taken once: wallMs() maps the monotonic clock onto it without a second clock read. */
const epochAtZeroMs = Date.now() - nowNs() / 1e6;

/** A nowNs() reading as milliseconds since the epoch (for interval logs; never per message). */
export function wallMs(ns: number): number {
  return epochAtZeroMs + ns / 1e6;
}
