/**
 * The probe: one connection, one message in flight, every round trip timed
 * into an HDR histogram, in closed loop or at a fixed rate (round-trips.ts
 * does the per-message work); connect, run until done, stopped or failed,
 * and hand back what was measured.
 */
import type { Socket } from 'node:net';
import type { RequestSpec } from '../protocol/exchange.js';
import { nowNs } from '../stats/clock.js';
import type { Histogram } from '../stats/histogram.js';
import { type GcStats, gcSince } from '../stats/gc.js';
import { BusyPoll } from '../io/busy-poll.js';
import { type WritePath, createWriter } from '../io/writes.js';
import { type Target, connectTo, targetUrl } from '../io/connect.js';
import type { IntervalSink } from '../stats/intervals.js';
import { RoundTrips } from './round-trips.js';

export interface ProbeOptions extends RequestSpec {
  target: Target;
  /** Measured round trips; ignored when `durationS` is given. */
  count: number;
  /** Measure for this many seconds instead of `count` round trips (sockperf's -t). */
  durationS?: number;
  /** Messages per second on a fixed schedule (sockperf's --mps); without it, closed loop. */
  rate?: number;
  /** Round trips before measuring starts. */
  warmup: number;
  targetUs: number;
  /** A reply that takes longer than this fails the run. */
  timeoutMs: number;
  maxFrame: number;
  /** Keep the event loop polling for the whole run (BusyPoll). */
  busyPoll?: boolean;
  /** Seconds per interval histogram (default 1). */
  intervalS?: number;
  /** Called as each interval closes, and with the last partial one (its histograms valid only during the call). */
  onInterval?: IntervalSink;
  /** Aborting it stops the run and keeps what was measured (SIGINT, SIGTERM). */
  signal?: AbortSignal;
}

export interface ProbeResult {
  transport: Target['transport'];
  address: string;
  /** Requests written, warm-up included. */
  sent: number;
  /** Replies received, warm-up included. */
  received: number;
  /** Replies that were the expected one. */
  correct: number;
  /** Replies that were not, or came with no request outstanding. */
  wrong: number;
  /** Requests never answered: the run failed, or was interrupted, with one in flight. */
  lost: number;
  /** Measured round trips at or under the target (corrected latency with a rate). */
  underTarget: number;
  /** Measured phase, from its start to the last reply (or the stop); 0 when it never began. */
  durationNs: number;
  /** Latency of the measured phase, nanoseconds: from when each message was due with a rate, else from its write. The caller destroys it. */
  histogram: Histogram;
  /** With a rate: the same replies timed from the actual write. The caller destroys it. */
  uncorrected: Histogram | null;
  /** With a rate: how late each measured write left, nanoseconds. The caller destroys it. */
  sendLag: Histogram | null;
  /** With a rate: messages due before the run stopped that were never sent. */
  behind: number;
  /** Why the run stopped early (not counting an interrupt). */
  failure: string | null;
  /** What was wrong with the first wrong reply. */
  mismatch: string | null;
  /** A guess at the cause of a protocol error in the replies, from its bytes (framingHint). */
  hint: string | null;
  /** The run was stopped by `signal`. */
  interrupted: boolean;
  /** Garbage collections in this process during the measured phase. */
  gc: GcStats;
  /** How requests were written: 'direct' on the 'handles' I/O path, 'stream' on 'sockets' (src/io/binding.ts). */
  writes: WritePath;
}

const READ_BUFFER = 64 * 1024;

/** `p`, or a rejection once `signal` aborts (the connection attempt is then left to the exit). */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return p;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error(`interrupted (${String(signal.reason)}) before the connection was made`));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Run one probe to completion, or until `o.signal` aborts. Rejects only when it cannot connect (or is interrupted first). */
export async function runProbe(o: ProbeOptions): Promise<ProbeResult> {
  const probe = new RoundTrips(o);
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER);
  let socket: Socket;
  try {
    socket = await unlessAborted(connectTo(o.target, { buffer: readBuffer, callback: (n) => probe.onRead(readBuffer, n) }), o.signal);
  } catch (err) {
    probe.histogram.destroy();
    probe.uncorrected?.destroy();
    probe.sendLag?.destroy();
    probe.intervals.destroy();
    throw err;
  }
  probe.socket = socket;
  probe.writer = createWriter(socket);
  const busy = o.busyPoll === true ? new BusyPoll() : null;
  busy?.acquire();
  probe.gc.start();
  socket.setTimeout(o.timeoutMs);
  socket.on('timeout', () => probe.onTimeout());
  socket.on('error', (err) => probe.fail(`connection lost after ${probe.received} replies: ${err.message}`));
  socket.on('close', () => probe.fail(`server closed the connection after ${probe.received} replies`));
  socket.on('end', () => probe.fail(`server closed the connection after ${probe.received} replies`));
  const onAbort = () => probe.interrupt();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted === true) probe.interrupt();
  else probe.begin(nowNs());
  await probe.finished;
  o.signal?.removeEventListener('abort', onAbort);
  busy?.release();
  probe.intervals.destroy();
  await new Promise((r) => setImmediate(r)); // let the last GC entries arrive
  const gcEnd = probe.gc.stop();
  return {
    transport: o.target.transport,
    address: targetUrl(o.target),
    sent: probe.sent,
    received: probe.received,
    correct: probe.correct,
    wrong: probe.wrong,
    lost: probe.lost,
    underTarget: probe.underTarget,
    durationNs: probe.measuring ? probe.measureEnd - probe.measureStart : 0,
    histogram: probe.histogram,
    uncorrected: probe.uncorrected,
    sendLag: probe.sendLag,
    behind: probe.behind(),
    failure: probe.failure,
    mismatch: probe.mismatch,
    hint: probe.hint,
    interrupted: probe.interrupted,
    writes: probe.writer.path,
    gc: gcSince(probe.gcAtStart ?? gcEnd, gcEnd),
  };
}
