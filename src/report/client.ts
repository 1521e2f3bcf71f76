/**
 * The client's report: built from a probe's result as data (what `--json`
 * prints), then rendered as text. Functions that return values; the client
 * (src/client/main.ts) prints them, the HTML page and the saved-results
 * commands read them back.
 */
import type { Paint } from '../cli/colour.js';
import { replyHint } from '../cli/hints.js';
import type { RunMeta } from '../cli/meta.js';
import type { Framing, ClientMode } from '../protocol/index.js';
import type { GcStats } from '../stats/gc.js';
import { type EncodedHistograms, type Histogram, type LatencyUs, summarize } from '../stats/histogram.js';
import { fmtInt, fmtPct, fmtUs, formatLatency, overTarget, pct } from '../stats/report.js';

/** With a rate, a throughput under this share of it means the rate was not kept. */
const RATE_KEPT = 0.97;
/** With a rate, writes leaving later than this (p99, microseconds) make part of the corrected latency the client's own. */
const LAG_US = 100;

/** The options as the run used them (null: not used), as `--json` records them. */
export interface ClientOptions {
  host: string | null;
  port: number | null;
  unix: string | null;
  /** --udp (absent from runs kept before it). */
  udp?: boolean;
  framing: Framing;
  mode: ClientMode;
  response: string;
  size: number;
  targetUs: number;
  timeoutMs: number;
  maxFrame: number;
  /** Measured round trips; null when the run was timed (`duration`). */
  count: number | null;
  /** Measured seconds; null when the run was counted. */
  duration: number | null;
  /** Messages per second; null for closed loop. */
  rate: number | null;
  warmup: number;
  cpu: string | null;
  busyPoll: boolean;
  /** --rt-priority: SCHED_FIFO at this priority; null: the normal policy. */
  rtPriority: number | null;
  io: string;
  hgrm: string | null;
  /** Seconds per interval, as given (null: the default, 1 s). */
  interval: number | null;
  hlog: string | null;
  report: string | null;
  json: boolean;
}

/** What `--json` prints when the run could not start (no connection): the reason, and what was asked. */
export interface ClientFailure {
  meta: RunMeta;
  options: ClientOptions;
  error: string;
  /** What to check (nothing listens there: how to start a server); null when there is nothing to add. */
  hint: string | null;
}

/** The client's result as `--json` prints it. */
export interface ClientReport {
  /** With --json: the histograms behind the figures (src/stats/histogram.ts). */
  histograms?: EncodedHistograms;
  meta: RunMeta;
  options: ClientOptions;
  transport: string;
  address: string;
  framing: Framing;
  mode: ClientMode;
  size: number;
  warmup: number;
  /** Measured round trips asked for; null for a timed run. */
  count: number | null;
  /** Messages per second asked for; null for closed loop. */
  rate: number | null;
  /** The run was cut short by a signal: the figures cover `durationS`. */
  partial: boolean;
  interrupted: 'SIGINT' | 'SIGTERM' | null;
  /** Requests written and replies received, warm-up included. */
  sent: number;
  received: number;
  /** Wrong replies plus requests never answered. */
  errors: number;
  wrong: number;
  lost: number;
  /** UDP: replies after their request was counted lost, second copies, and replies after a later request's (each counted, not recorded; out-of-order ones are). Absent from runs kept before UDP. */
  late?: number;
  duplicates?: number;
  outOfOrder?: number;
  /** Right replies / requests sent: never negative, null when nothing was sent. */
  successPct: number | null;
  targetUs: number;
  underTargetPct: number | null;
  /** p99 (of `latencyUs`) above `targetUs`: the target was missed, though the run may be ok (exit 0). */
  p99OverTarget: boolean;
  throughputPerSec: number;
  durationS: number;
  /** From when each message was due with a rate (corrected for coordinated omission), else from its write. */
  latencyUs: LatencyUs | null;
  /** With a rate: the same replies from each actual write. */
  uncorrectedUs: LatencyUs | null;
  /** With a rate: how late the writes left their schedule. */
  sendLagUs: LatencyUs | null;
  /** With a rate: messages due before the end that were never sent. */
  behind: number | null;
  /** CPUs this process could run on, whether it busy-polled, and its SCHED_FIFO priority (null: none). */
  cpus: string | null;
  busyPoll: boolean;
  rtPriority: number | null;
  /** How requests were written: 'direct' (to the socket's handle), 'stream' (socket.write) or 'datagram' (UDP, node:dgram). */
  writes: 'direct' | 'stream' | 'datagram';
  /** Garbage collections in the client during the measured phase. */
  gc: GcStats;
  warnings: string[];
  /** What to check when no right reply came back (framing, mode, response); null otherwise. */
  hint: string | null;
  /** Why the run failed (exit 1), in one line; null when it did not. */
  error: string | null;
}

/**
 * What a probe measured, as the report reads it: the client's result
 * (src/client/probe.ts) has these. Declared here, so that the report depends
 * on the figures and not on the program that took them.
 */
export interface ProbeFigures {
  transport: 'tcp' | 'unix' | 'udp';
  address: string;
  /** Requests written, warm-up included. */
  sent: number;
  /** Replies received, warm-up included. */
  received: number;
  /** Replies that were the expected one. */
  correct: number;
  /** Replies that were not, or came with no request outstanding. */
  wrong: number;
  /** Requests never answered: the run failed, or was interrupted, with one in flight; over UDP, each datagram unanswered within the timeout. */
  lost: number;
  /** UDP: replies after their request was counted lost. */
  late: number;
  /** UDP: second copies of replies. */
  duplicates: number;
  /** UDP: replies that came after a later request's. */
  outOfOrder: number;
  /** Measured round trips at or under the target (corrected latency with a rate). */
  underTarget: number;
  /** The measured phase, from its start to its end (the count's last reply, the duration, or the stop); 0 when it never began. */
  durationNs: number;
  /** Latency of the measured phase, nanoseconds: from when each message was due with a rate, else from its write. */
  histogram: Histogram;
  /** With a rate: the same replies timed from the actual write. */
  uncorrected: Histogram | null;
  /** With a rate: how late each measured write left, nanoseconds. */
  sendLag: Histogram | null;
  /** With a rate: messages due before the run stopped that were never sent. */
  behind: number;
  /** Why the run stopped early (not counting an interrupt). */
  failure: string | null;
  /** What was wrong with the first wrong reply. */
  mismatch: string | null;
  /** A guess at the cause of a protocol error in the replies, from its bytes (framingHint). */
  hint: string | null;
  /** The run was stopped by an interrupt. */
  interrupted: boolean;
  /** Garbage collections in the client's process during the measured phase. */
  gc: GcStats;
  /** How requests were written: 'direct' on the 'handles' I/O path, 'stream' on 'sockets' (src/io/binding.ts), 'datagram' over UDP. */
  writes: 'direct' | 'stream' | 'datagram';
}

/** Build the report; `error` overrides the probe's own (a file that could not be written). */
export function buildReport(r: ProbeFigures, options: ClientOptions, context: { meta: RunMeta; cpus: string | null; signal: 'SIGINT' | 'SIGTERM' | null; error?: string }): ClientReport {
  const measured = r.histogram.totalCount;
  const durationS = r.durationNs / 1e9;
  const throughputPerSec = durationS > 0 ? Math.round(measured / durationS) : 0;
  const sendLagUs = r.sendLag === null ? null : summarize(r.sendLag);
  const latencyUs = summarize(r.histogram);
  const warnings: string[] = [];
  if (options.rate !== null && measured > 0 && (throughputPerSec < options.rate * RATE_KEPT || r.behind > 0)) {
    warnings.push(
      `the asked rate was not kept: ${fmtInt(throughputPerSec)} of ${fmtInt(options.rate)} msg/s` +
        (r.behind > 0 ? `, ${fmtInt(r.behind)} messages due were never sent` : '') +
        ' (one message in flight: a reply slower than the interval holds the next one back)',
    );
  }
  if (sendLagUs !== null && sendLagUs.p99 > LAG_US) {
    warnings.push(`writes left late (p99 ${fmtUs(sendLagUs.p99)} us behind schedule): part of the corrected latency is the client's own delay; give it a CPU of its own (--cpu)`);
  }
  return {
    meta: context.meta,
    options,
    transport: r.transport,
    address: r.address,
    framing: options.framing,
    mode: options.mode,
    size: options.size,
    warmup: options.warmup,
    count: options.count,
    rate: options.rate,
    partial: r.interrupted,
    interrupted: r.interrupted ? context.signal : null,
    sent: r.sent,
    received: r.received,
    errors: r.wrong + r.lost,
    wrong: r.wrong,
    lost: r.lost,
    late: r.late,
    duplicates: r.duplicates,
    outOfOrder: r.outOfOrder,
    successPct: pct(r.correct, r.sent),
    targetUs: options.targetUs,
    underTargetPct: pct(r.underTarget, measured),
    p99OverTarget: overTarget(latencyUs, options.targetUs),
    throughputPerSec,
    durationS: Math.round(durationS * 1e6) / 1e6,
    latencyUs,
    uncorrectedUs: r.uncorrected === null ? null : summarize(r.uncorrected),
    sendLagUs,
    behind: options.rate === null ? null : r.behind,
    cpus: context.cpus,
    busyPoll: options.busyPoll,
    rtPriority: options.rtPriority,
    writes: r.writes,
    gc: r.gc,
    warnings,
    hint: hintFor(r, options),
    error: r.failure ?? r.mismatch ?? context.error ?? null,
  };
}

/** What to check when no right reply came back (src/cli/hints.ts); null when one did, or nothing failed. */
function hintFor(r: ProbeFigures, o: ClientOptions): string | null {
  if (r.correct > 0 || (r.failure === null && r.mismatch === null)) return null;
  return r.hint ?? replyHint('client', o, r.wrong > 0);
}

/** The report as text, one fact per line, the verdict last (coloured by `paint`). */
export function formatReport(c: ClientReport, paint: Paint): string {
  const reply = c.framing === 'sockperf' ? 'sockperf reply' : c.framing === 'resp' ? 'Redis reply' : c.mode;
  const amount = c.count === null ? `for ${c.options.duration} s` : `measured ${fmtInt(c.count)}`;
  const open = c.rate !== null;
  const lines = [
    `${c.address}  framing ${c.framing}  reply ${reply}  size ${c.size} B  warm-up ${fmtInt(c.warmup)}  ${amount}` +
      (open ? `  rate ${fmtInt(c.rate!)}/s (latency from when each message was due)` : ''),
    `messages     sent ${fmtInt(c.sent)}  received ${fmtInt(c.received)}  errors ${fmtInt(c.errors)}  success ${fmtPct(c.successPct)}` + datagramCounts(c),
    ...formatLatency(c.latencyUs, open ? 'corrected us ' : 'latency us   '),
  ];
  if (open) {
    lines.push(...formatLatency(c.uncorrectedUs, 'uncorrected  '));
    const g = c.sendLagUs;
    lines.push(`send lag us  ${g === null ? '-' : `p50 ${fmtUs(g.p50)}  p99 ${fmtUs(g.p99)}  max ${fmtUs(g.max)}`}  never sent ${fmtInt(c.behind ?? 0)}`);
  }
  lines.push(
    `target       ${fmtPct(c.underTargetPct)} of round trips under ${c.targetUs} us`,
    `throughput   ${fmtInt(c.throughputPerSec)} msg/s over ${c.durationS.toFixed(3)} s, one message in flight`,
    `client       CPUs ${c.cpus ?? '?'}, busy-poll ${c.busyPoll ? 'on' : 'off'}${c.rtPriority === null ? '' : `, sched fifo:${c.rtPriority}`}, writes ${c.writes}, GC while measuring ${c.gc.count} (${c.gc.pauseMs.toFixed(3)} ms${(c.gc.quiet ?? 0) > 0 ? `, ${c.gc.quiet} of them at quiet moments` : ''})`,
  );
  for (const w of c.warnings) lines.push(paint.warn(`warning      ${w}`));
  lines.push(`result       ${verdict(c, paint)}`);
  return lines.join('\n');
}

/** UDP's counts, after the messages line: what was lost, and the replies that came late, twice or out of order (nothing for a stream). */
function datagramCounts(c: ClientReport): string {
  if (c.transport !== 'udp') return '';
  return `  lost ${fmtInt(c.lost)}  late ${fmtInt(c.late ?? 0)}  duplicates ${fmtInt(c.duplicates ?? 0)}  out of order ${fmtInt(c.outOfOrder ?? 0)}`;
}

/**
 * ok, FAILED or partial, and beside it a missed target: "ok" alone would
 * read as "under the target" to anyone who does not check p99 against it.
 * Drawn from the figures, not from `p99OverTarget`, so that a run kept
 * before that field existed reads the same (./run.sh shows kept runs).
 */
function verdict(c: ClientReport, paint: Paint): string {
  const missed = overTarget(c.latencyUs, c.targetUs) ? paint.warn(`p99 ${fmtUs(c.latencyUs!.p99)} us over the ${c.targetUs} us target`) : null;
  const and = missed === null ? '' : `; ${missed}`;
  if (c.partial) return paint.warn(`partial: interrupted by ${c.interrupted ?? 'a signal'} after ${c.durationS.toFixed(3)} s measured`) + and;
  if (c.error !== null || c.errors > 0) return paint.error('FAILED') + and;
  return missed === null ? paint.ok('ok') : `${paint.ok('ok')}: every reply right${and}`;
}
