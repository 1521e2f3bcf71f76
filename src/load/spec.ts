/**
 * What a load is asked to do (LoadSpec), what it counts (LoadCounts) and
 * hands back (LoadResult), and the hooks its owner watches it through. Plain
 * data: a spec and the counts cross to and from worker threads
 * (src/benchmark/worker.ts).
 */
import type { RequestSpec } from '../protocol/exchange.js';
import type { Target } from '../io/connect.js';
import type { IoPath } from '../io/binding.js';
import type { Histogram } from '../stats/histogram.js';
import type { IntervalSink } from '../stats/intervals.js';

export interface LoadSpec extends RequestSpec {
  target: Target;
  /** Connections this thread opens. */
  connections: number;
  /** Index of this thread's first connection among all of the scenario's (staggers the open-loop schedule). */
  firstConnection: number;
  /** Connections of the whole scenario, all threads. */
  totalConnections: number;
  /** Most requests in flight per connection. */
  pipeline: number;
  /** Messages per second for the whole scenario, all threads; null for closed loop. */
  rate: number | null;
  /** Seconds of warm-up (ignored with `warmupCount`). */
  warmupS: number;
  /** Seconds of the measured window (ignored with `count`). */
  durationS: number;
  /**
   * Warm-up by round trips, not seconds: the measured phase opens as this
   * many replies are in (the client's --warmup). Counts need one connection
   * with one request in flight, where every reply is a moment with nothing
   * in flight (Load checks the count there, never per send).
   */
  warmupCount?: number;
  /** Measure this many round trips instead of `durationS` seconds (the client's --count); the same condition as `warmupCount`. */
  count?: number;
  /**
   * Open loop, one connection with one request in flight (the client's
   * --rate): wait for each due time on the clock itself through its last
   * 2 ms (spin.ts), as sockperf does, rather than on the event loop: with
   * nothing in flight, no reply can be kept waiting meanwhile.
   */
  spin?: boolean;
  /** After an interrupt, the longest wait for replies still in flight, ms (default 1000; never more than timeoutMs). */
  stopDrainMs?: number;
  timeoutMs: number;
  maxFrame: number;
  targetUs: number;
  /** Seconds per interval histogram. */
  intervalS: number;
  /** The I/O path the program chose (`--io`); a worker thread makes the same choice (src/benchmark/worker.ts). */
  io: IoPath;
}

/** Plain counts, as they cross from a worker thread. */
export interface LoadCounts {
  /** Requests written during the measured window. */
  sent: number;
  /** Replies received during the measured window (throughput). */
  completed: number;
  /** Replies recorded in the histogram: right replies to requests of the measured window. */
  messages: number;
  underTarget: number;
  /** Replies that did not match the request. */
  wrong: number;
  /** Requests never answered: timed out (UDP: each datagram unanswered within the timeout), or their connection was closed. */
  lost: number;
  /** Of `lost`: those in flight on a connection the server closed or reset (as a server does when it is stopped). */
  dropped: number;
  /** After an interrupt: requests still in flight when the load stopped waiting for them. */
  unanswered: number;
  /** Open loop: messages due in the measured window that were never sent. */
  behind: number;
  /** UDP: replies that came after their request was counted lost (not recorded, not taken as another's answer). */
  late: number;
  /** UDP: second copies of replies already received. */
  duplicates: number;
  /** UDP: replies that came after the reply to a later request (recorded: each is matched by its sequence number). */
  outOfOrder: number;
  durationNs: number;
  /** The window was cut short by an interrupt (stop), or never opened. */
  interrupted: boolean;
  /** The first thing that went wrong, other than the server closing a connection. */
  failure: string | null;
  /** The first connection the server closed or reset, if it did. */
  droppedBy: string | null;
  /** A guess at the cause of a protocol error in the replies, from its bytes (framingHint): another framing, HTTP. */
  framingHint: string | null;
}

/** Counts of nothing yet: a thread's at its start, and the sum's before the threads are added. */
export function noCounts(): LoadCounts {
  return {
    sent: 0,
    completed: 0,
    messages: 0,
    underTarget: 0,
    wrong: 0,
    lost: 0,
    dropped: 0,
    unanswered: 0,
    behind: 0,
    late: 0,
    duplicates: 0,
    outOfOrder: 0,
    durationNs: 0,
    interrupted: false,
    failure: null,
    droppedBy: null,
    framingHint: null,
  };
}

export interface LoadResult extends LoadCounts {
  /** Latency in ns; for open loop, from when each message was due. The caller destroys it. */
  latency: Histogram;
  /** Open loop: latency from the actual send. */
  uncorrected: Histogram | null;
  /** Open loop: how late each send left, ns. */
  sendLag: Histogram | null;
}

/** Called as the measured window opens (the client's GC snapshot, the benchmark's CPU sample) and closes, and as each interval closes. */
export interface WindowHooks {
  onMeasure?(): void;
  onMeasured?(): void;
  /** Each interval of the window, and after it the drain's replies, the last one partial (its histograms valid only during the call). */
  onInterval?: IntervalSink;
}

/**
 * Why a connection was given up: its socket failed (`lost`) or the server
 * closed it (`closed`), both counted `dropped`; no reply within the timeout;
 * a reply stream that does not decode; a reply with no request outstanding.
 * Each program words them its own way (LoadState.describeFailure).
 */
export type Failure = 'lost' | 'closed' | 'timeout' | 'stream' | 'stray';

/** What a failure's words may say about its connection. */
export interface FailedConnection {
  /** Among all of the scenario's connections, from 0. */
  readonly index: number;
  /** Requests sent and replies received on it, warm-up included. */
  readonly sent: number;
  readonly received: number;
}
