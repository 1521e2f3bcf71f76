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
