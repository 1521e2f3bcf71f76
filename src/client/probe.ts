/**
 * The probe: one connection, one message in flight, every round trip timed
 * into an HDR histogram, in closed loop or at a fixed rate. It is the load
 * engine (src/load) with one connection, pipeline 1, round trips counted
 * (--warmup, --count) or the window timed (--duration), and with a rate the
 * wait for each due time spun on the clock (src/load/spin.ts); this file
 * words its failures as the client does and hands back what was measured.
 */
import type { RequestSpec } from '../protocol/exchange.js';
import { type GcStats, GcMonitor, gcSince } from '../stats/gc.js';
import { BusyPoll } from '../io/busy-poll.js';
import { ioPath } from '../io/binding.js';
import { type Target, targetUrl } from '../io/connect.js';
import type { ProbeFigures } from '../report/client.js';
import { DEFAULT_INTERVAL_S, type IntervalSink } from '../stats/intervals.js';
import { Load } from '../load/load.js';
import type { Failure, FailedConnection, LoadSpec } from '../load/spec.js';
import { failureText } from '../load/state.js';

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

/** What one probe measured: the figures the client's report is built from (src/report/client.ts). The caller destroys the histograms. */
export type ProbeResult = ProbeFigures;

/** After an interrupt, how long the reply to the message in flight may take before it is counted lost. */
const INTERRUPT_GRACE_MS = 500;

/** The engine, with the client's words for a failure: the replies before it, or the message that went unanswered. */
class Probe extends Load {
  /** The connection's failure, as the client reports it (the engine's counts keep the benchmark's split into failure and dropped). */
  failure: string | null = null;

  override describeFailure(c: FailedConnection, why: Failure, detail: string): string {
    let text: string;
    if (why === 'lost') text = `connection lost after ${c.received} replies: ${detail}`;
    else if (why === 'closed') text = `server closed the connection after ${c.received} replies`;
    else if (why === 'timeout') text = `no reply within ${this.spec.timeoutMs} ms (message ${c.sent})`;
    else text = failureText(why, detail, this.spec.timeoutMs);
    this.failure ??= text;
    return text;
  }
}

/** The engine's spec for these options. */
function probeSpec(o: ProbeOptions): LoadSpec {
  return {
    framing: o.framing,
    mode: o.mode,
    size: o.size,
    response: o.response,
    target: o.target,
    connections: 1,
    firstConnection: 0,
    totalConnections: 1,
    pipeline: 1,
    rate: o.rate ?? null,
    warmupS: 0,
    warmupCount: o.warmup,
    durationS: o.durationS ?? 0,
    count: o.durationS === undefined ? o.count : undefined,
    spin: true,
    stopDrainMs: INTERRUPT_GRACE_MS,
    timeoutMs: o.timeoutMs,
    maxFrame: o.maxFrame,
    targetUs: o.targetUs,
    intervalS: o.intervalS ?? DEFAULT_INTERVAL_S,
    io: ioPath(),
  };
}

/** `p`, or a rejection once `signal` aborts. */
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
  const gc = new GcMonitor();
  let gcAtStart: GcStats | null = null;
  const probe = new Probe(probeSpec(o), {
    onMeasure: () => {
      gcAtStart = gc.snapshot();
    },
    onInterval: o.onInterval,
  });
  const connecting = probe.connect();
  try {
    await unlessAborted(connecting, o.signal);
  } catch (err) {
    // Interrupted while connecting: closed now, and a connection made afterwards as it opens (Load.connect), so that nothing keeps the process (or a test calling main) alive.
    connecting.catch(() => {});
    probe.close();
    probe.destroy();
    throw err;
  }
  const conn = probe.conns[0];
  const busy = o.busyPoll === true ? new BusyPoll() : null;
  busy?.acquire();
  gc.start();
  const onAbort = () => probe.stop();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted === true) probe.stop();
  await probe.run();
  o.signal?.removeEventListener('abort', onAbort);
  busy?.release();
  probe.intervals.destroy();
  await new Promise((r) => setImmediate(r)); // let the last GC entries arrive
  const gcEnd = gc.stop();
  const c = probe.counts;
  return {
    transport: o.target.transport,
    address: targetUrl(o.target),
    sent: conn.sent,
    received: conn.received,
    correct: conn.received - probe.wrongReplies,
    wrong: c.wrong,
    // After an interrupt, the reply that outlasted the grace: lost, to the client, which waited for it.
    lost: c.lost + c.unanswered,
    late: c.late,
    duplicates: c.duplicates,
    outOfOrder: c.outOfOrder,
    underTarget: c.underTarget,
    durationNs: c.durationNs,
    histogram: probe.latency,
    uncorrected: probe.uncorrected,
    sendLag: probe.sendLag,
    behind: c.behind,
    failure: probe.failure,
    mismatch: probe.mismatch,
    hint: c.framingHint,
    interrupted: c.interrupted,
    writes: o.target.transport === 'udp' ? 'datagram' : conn.out.path,
    gc: gcSince(gcAtStart ?? gcEnd, gcEnd),
  };
}
