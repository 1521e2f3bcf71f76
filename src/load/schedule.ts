/**
 * The open-loop schedule.
 *
 * Open loop (wrk2's model): the scenario's rate is split over all
 * connections of all threads on a fixed arithmetic schedule. Connection g
 * of C sends message k at
 *
 *     t0 + (g + k * C) / rate
 *
 * so sends are spread evenly in time. A connection never has more than
 * `pipeline` requests in flight; a message due while it is full waits, and
 * its latency still runs from when it was due. That is the correction for
 * coordinated omission: a server that stalls is charged for every message it
 * kept from being sent, not only for the one it held. The time from the
 * actual send is kept too (uncorrected), and so is how late each send left
 * (send lag), which says whether the generator itself kept the schedule.
 *
 * Each connection keeps its own place in the schedule (`nextDue`, `interval`)
 * and sends what is due after every read (LoadConnection.sendDue in
 * connection.ts); this module sets the schedule going, wakes up for sends
 * that no reply triggers, and counts what was never sent.
 */
import { nowNs } from '../stats/clock.js';
import type { LoadConnection } from './connection.js';
import type { LoadState } from './state.js';

/** One thread's part of the open-loop schedule: its connections' sends, from start to end. */
export class Schedule {
  /** Whose clock (`now`) the sends are stamped with. */
  private readonly load: LoadState;
  private readonly conns: readonly LoadConnection[];
  /** Messages per second for the whole scenario, all threads. */
  private readonly rate: number;
  /** Connections of the whole scenario, all threads (C in the formula). */
  private readonly totalConnections: number;
  private tickTimer: NodeJS.Timeout | null = null;
  private tickImmediate: NodeJS.Immediate | null = null;
  private stopped = false;
  /** The connections wait for their due times themselves (SpinConnection, spin.ts): no tick after the start. */
  private readonly spin: boolean;

  /** `conns` is read at each tick, so connections added to it before `start` are scheduled. */
  constructor(load: LoadState, conns: readonly LoadConnection[], rate: number, totalConnections: number, spin: boolean) {
    this.load = load;
    this.conns = conns;
    this.rate = rate;
    this.totalConnections = totalConnections;
    this.spin = spin;
  }

  /** Place every connection on the schedule from `t0` (ns, the load's clock), and send what is due. */
  start(t0: number): void {
    const gap = 1e9 / this.rate;
    for (const c of this.conns) {
      c.nextDue = t0 + c.index * gap;
      c.interval = this.totalConnections * gap;
    }
    if (!this.spin) this.tick();
    else for (const c of this.conns) c.sendDue();
  }

  /**
   * The measured window has closed: what is due by now may still go (what
   * cannot is behind); then stop. A spinning connection sent what was due
   * at its due time, so it has nothing more to send.
   */
  end(): void {
    if (!this.spin) this.tick();
    this.stop();
  }

  /** The earliest due time among the live connections, ns (Infinity when none is left). */
  nextDue(): number {
    let next = Infinity;
    for (const c of this.conns) if (!c.dead && c.nextDue < next) next = c.nextDue;
    return next;
  }

  /** Stop waking up; sends triggered by replies stop with the phase (LoadConnection.sendDue). */
  stop(): void {
    this.stopped = true;
    if (this.tickTimer !== null) clearTimeout(this.tickTimer);
    if (this.tickImmediate !== null) clearImmediate(this.tickImmediate);
  }

  /** Messages due in [from, to] (ns) that were never sent, over the connections still alive. */
  behind(from: number, to: number): number {
    let n = 0;
    for (const c of this.conns) if (!c.dead) n += behind(c, from, to);
    return n;
  }

  /** Send what is due, then sleep until the next send (spin through the last 2 ms: timers are coarse). */
  private tick = (): void => {
    this.tickTimer = null;
    this.tickImmediate = null;
    if (this.stopped) return;
    const now = nowNs();
    this.load.now = now;
    let next = Infinity;
    for (const c of this.conns) {
      if (c.dead) continue;
      c.sendDue();
      if (c.nextDue < next) next = c.nextDue;
    }
    if (next === Infinity) return;
    const waitMs = (next - nowNs()) / 1e6;
    if (waitMs > 2) this.tickTimer = setTimeout(this.tick, Math.floor(waitMs) - 1);
    else this.tickImmediate = setImmediate(this.tick);
  };
}

/** Messages of one connection due in [from, to] that were never sent. */
function behind(c: LoadConnection, from: number, to: number): number {
  if (c.interval === 0) return 0;
  let due = c.nextDue;
  if (due < from) due += Math.ceil((from - due) / c.interval) * c.interval;
  return due > to ? 0 : Math.floor((to - due) / c.interval) + 1;
}
