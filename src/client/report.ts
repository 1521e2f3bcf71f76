import type { Framing, Mode } from '../protocol/index.js';
import { type LatencyUs, summarize } from '../stats/histogram.js';
import { fmtInt, fmtPct, formatLatency, pct } from '../stats/report.js';
import type { ProbeResult } from './probe.js';
import type { GcStats } from '../stats/gc.js';

/** The client's result as `--json` prints it. */
export interface ClientReport {
  transport: string;
  address: string;
  framing: Framing;
  mode: Mode;
  size: number;
  warmup: number;
  count: number;
  sent: number;
  received: number;
  errors: number;
  successPct: number | null;
  targetUs: number;
  underTargetPct: number | null;
  throughputPerSec: number;
  durationS: number;
  latencyUs: LatencyUs | null;
  /** CPUs this process could run on, and whether it busy-polled. */
  cpus: string | null;
  busyPoll: boolean;
  /** How requests were written: 'direct' (to the socket's handle) or 'stream' (socket.write). */
  writes: 'direct' | 'stream';
  /** Garbage collections in the client during the measured phase. */
  gc: GcStats;
  failure: string | null;
}

export function buildReport(
  r: ProbeResult,
  o: { framing: Framing; mode: Mode; size: number; warmup: number; count: number; targetUs: number; busyPoll: boolean },
  cpus: string | null,
): ClientReport {
  const measured = r.histogram.totalCount;
  const durationS = r.durationNs / 1e9;
  return {
    transport: r.transport,
    address: r.address,
    framing: o.framing,
    mode: o.mode,
    size: o.size,
    warmup: o.warmup,
    count: o.count,
    sent: r.sent,
    received: r.received,
    errors: r.errors,
    successPct: pct(r.received - r.errors, r.sent),
    targetUs: o.targetUs,
    underTargetPct: pct(r.underTarget, measured),
    throughputPerSec: durationS > 0 ? Math.round(measured / durationS) : 0,
    durationS: Math.round(durationS * 1e6) / 1e6,
    latencyUs: summarize(r.histogram),
    cpus,
    busyPoll: o.busyPoll,
    writes: r.writes,
    gc: r.gc,
    failure: r.failure,
  };
}

export function formatReport(c: ClientReport): string {
  const reply = c.framing === 'sockperf' ? 'sockperf reply' : c.mode;
  return [
    `${c.address}  framing ${c.framing}  reply ${reply}  size ${c.size} B  warm-up ${fmtInt(c.warmup)}  measured ${fmtInt(c.count)}`,
    `messages     sent ${fmtInt(c.sent)}  received ${fmtInt(c.received)}  errors ${fmtInt(c.errors)}  success ${fmtPct(c.successPct)}`,
    ...formatLatency(c.latencyUs, 'latency us   '),
    `target       ${fmtPct(c.underTargetPct)} of round trips under ${c.targetUs} us`,
    `throughput   ${fmtInt(c.throughputPerSec)} msg/s, one message in flight`,
    `client       CPUs ${c.cpus ?? '?'}, busy-poll ${c.busyPoll ? 'on' : 'off'}, writes ${c.writes}, GC while measuring ${c.gc.count} (${c.gc.pauseMs.toFixed(3)} ms)`,
  ].join('\n');
}
