/**
 * Waiting for a due time to the microsecond, without garbage.
 *
 * A timer fires up to a millisecond late, so the probe spins on the clock
 * through the last stretch before a message is due, as sockperf does for
 * --mps. The obvious spin, `while (nowNs() < due)`, reads
 * `process.hrtime()`, which returns a new array each call; V8 removes that
 * array only when the whole call is inlined into code it can see through,
 * and inside the probe it is not: a run at --rate 1000 made about 300 MB of
 * garbage a second and 240 scavenges (measured with the sampling heap
 * profiler, objects collected included, as bench/alloc-profile.ts does;
 * `performance.now()` and `Number(process.hrtime.bigint())` fared the same).
 * Comparing `process.hrtime.bigint()` with a BigInt made once per wait
 * allocates nothing that survives the loop: the same run made no scavenge.
 */
import { nowNs } from '../stats/clock.js';

const hrtimeBigint = process.hrtime.bigint;

/**
 * `process.hrtime.bigint()` minus `nowNs()`: the same monotonic clock, two
 * origins. Each sample reads nowNs first, so the offset can only be too
 * large, which makes a wait end late (by the smallest gap seen between two
 * reads), never early.
 */
const OFFSET = (() => {
  let best: bigint | null = null;
  for (let i = 0; i < 5; i++) {
    const n = nowNs();
    const h = hrtimeBigint();
    const offset = h - BigInt(n);
    if (best === null || offset < best) best = offset;
  }
  return best!;
})();

/** Spin until the clock reaches `due` (nowNs time); returns nowNs() then, which is at or after `due`. */
export function spinUntil(due: number): number {
  const until = OFFSET + BigInt(Math.ceil(due));
  while (hrtimeBigint() < until) {
    // Spin: nothing else may run before this message leaves.
  }
  return nowNs();
}
