/**
 * Waiting for a due time to the microsecond, without garbage: the open loop
 * of one connection with one request in flight (LoadSpec.spin, the client's
 * --rate).
 *
 * A timer fires up to a millisecond late, so the load spins on the clock
 * through the last stretch before a message is due, as sockperf does for
 * --mps. The obvious spin, `while (nowNs() < due)`, reads
 * `process.hrtime()`, which returns a new array each call; V8 removes that
 * array only when the whole call is inlined into code it can see through,
 * and inside the load it is not: a run at --rate 1000 made about 300 MB of
 * garbage a second and 240 scavenges (measured with the sampling heap
 * profiler, objects collected included, as bench/alloc-profile.ts does;
 * `performance.now()` and `Number(process.hrtime.bigint())` fared the same).
 * Comparing `process.hrtime.bigint()` with a BigInt made once per wait
 * allocates nothing that survives the loop: the same run made no scavenge.
 */
import { nowNs } from '../stats/clock.js';
import { LoadConnection } from './connection.js';

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

/** Spin on the clock through the last this-many ns before a due time. */
const SPIN_NS = 2_000_000;

/** A connection class of the load (LoadConnection, or UDP's UdpConnection). */
// biome-ignore lint/suspicious/noExplicitAny: TypeScript accepts a mixin's base only with a constructor of `...any[]`.
type ConnectionClass = abstract new (...args: any[]) => LoadConnection;

/**
 * A connection that sends each message at its due time itself, spinning
 * through the last SPIN_NS and sleeping before that on one reused 1 ms
 * timer, instead of leaving the wait to the schedule's tick on the event
 * loop. Only for one request in flight: the spin blocks the thread, which
 * is harmless only when no reply can be waiting to be read. The schedule
 * (schedule.ts) places it and calls sendDue once; from then on every reply
 * and every wake-up calls it. A mixin, so that a stream connection and a
 * UDP one (udp-connection.ts) wait alike.
 */
export function spinning<C extends ConnectionClass>(Base: C) {
  abstract class Spinning extends Base {
    private wake: NodeJS.Timeout | null = null;

    /** Send the next message if it is due within SPIN_NS (spinning until then), else sleep until it nearly is. */
    override sendDue(): void {
      const load = this.load;
      if (load.held || this.dead || this.inFlight > 0) return;
      const now = load.now;
      const due = this.nextDue;
      if (due - now > SPIN_NS) {
        // One timer for the run, re-armed: no new Timeout per wait.
        if (this.wake === null) this.wake = setTimeout(this.onWake, 1);
        else this.wake.refresh();
        return;
      }
      if (due > now) load.now = spinUntil(due);
      this.send(1);
    }

    private readonly onWake = (): void => {
      if (this.dead) return;
      this.load.now = nowNs();
      this.sendDue();
    };

    override close(): void {
      super.close();
      if (this.wake !== null) clearTimeout(this.wake);
    }
  }
  return Spinning;
}

/** A stream connection that waits for its due times itself. */
export class SpinConnection extends spinning(LoadConnection) {}
