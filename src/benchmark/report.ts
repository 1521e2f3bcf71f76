/**
 * The benchmark's report: built from results as plain data (what `--json`
 * prints), formatted as tables by functions that return strings.
 */
import Table from 'cli-table3';
import type { Framing, Mode } from '../protocol/index.js';
import { type LatencyUs, summarize } from '../stats/histogram.js';
import { fmtInt, fmtPct, fmtUs, pct } from '../stats/report.js';
import type { Scenario, SloLimit } from './options.js';
import type { ScenarioResult } from './run.js';

/** A closed-loop generator above this share of its threads' CPU was measuring itself. */
const SATURATED_PCT = 90;
/** An open-loop run that delivered less than this share of the asked rate did not hold it. */
const RATE_KEPT = 0.97;
/** Sends leaving later than this (p99, microseconds) mean the generator fell behind its own schedule. */
const LAG_US = 100;

export interface ScenarioReport {
  connections: number;
  pipeline: number;
  /** Asked rate, messages per second; null for closed loop. */
  rate: number | null;
  loop: 'closed' | 'open';
  threads: number;
  warmupS: number;
  /** Measured window, as it was. */
  durationS: number;
  /** Right replies recorded in the histogram. */
  messages: number;
  sent: number;
  errors: number;
  wrong: number;
  lost: number;
  /** Open loop: messages due in the window that could not be sent (the pipeline was full). */
  behind: number;
  throughputPerSec: number;
  /** Closed loop: from each write to its reply. Open loop: from when each message was due. */
  latencyUs: LatencyUs | null;
  /** Open loop: from the actual write. */
  uncorrectedUs: LatencyUs | null;
  /** Open loop: how late writes left against the schedule. */
  sendLagUs: LatencyUs | null;
  underTargetPct: number | null;
  /** CPU used by the benchmark process over the window, percent of one CPU. */
  clientCpuPct: number | null;
  /** CPU used by the server over the window, when the benchmark started it. */
  serverCpuPct: number | null;
  warnings: string[];
  sloBreaches: string[];
  failure: string | null;
}

export interface Placement {
  clientCpus: string | null;
  serverCpus: string | null;
  serverSpawned: boolean;
}

export interface BenchmarkReport {
  transport: string;
  address: string;
  framing: Framing;
  mode: Mode;
  size: number;
  targetUs: number;
  options: Record<string, unknown>;
  placement: Placement;
  slo: Record<string, number> | null;
  scenarios: ScenarioReport[];
  /** The spawned server's own summary (messages, GC events, ...). */
  server: Record<string, unknown> | null;
  /** No error, no loss, every SLO met. */
  ok: boolean;
  failure: string | null;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

export function buildScenarioReport(
  s: Scenario,
  r: ScenarioResult,
  cpu: { clientCpuPct: number | null; serverCpuPct: number | null },
  breaches: (l: LatencyUs | null) => string[],
): ScenarioReport {
  const latencyUs = summarize(r.latency);
  const sendLagUs = r.sendLag === null ? null : summarize(r.sendLag);
  const durationS = r.durationNs / 1e9;
  const warnings: string[] = [];
  if (s.rate === null && cpu.clientCpuPct !== null && cpu.clientCpuPct >= SATURATED_PCT * r.threads) {
    warnings.push(
      `the load generator was saturated (${cpu.clientCpuPct.toFixed(0)}% CPU for ${r.threads} thread${r.threads > 1 ? 's' : ''}): ` +
        'these figures describe the client as much as the server; try --threads or a CPU of its own',
    );
  }
  if (s.rate !== null && (r.throughputPerSec < s.rate * RATE_KEPT || r.behind > 0)) {
    warnings.push(
      `the asked rate was not kept: ${fmtInt(r.throughputPerSec)} of ${fmtInt(s.rate)} msg/s` +
        (r.behind > 0 ? `, ${fmtInt(r.behind)} messages due were never sent (all ${s.pipeline} in flight per connection were waiting)` : ''),
    );
  }
  if (sendLagUs !== null && sendLagUs.p99 > LAG_US) {
    warnings.push(
      `sends left late (p99 ${fmtUs(sendLagUs.p99)} us behind schedule): part of the corrected latency is the generator's own delay; ` +
        'give it a CPU of its own (--client-cpu) or fewer connections per thread',
    );
  }
  const errors = r.wrong + r.lost;
  return {
    connections: s.connections,
    pipeline: s.pipeline,
    rate: s.rate,
    loop: s.rate === null ? 'closed' : 'open',
    threads: r.threads,
    warmupS: s.warmupS,
    durationS: round(durationS, 6),
    messages: r.messages,
    sent: r.sent,
    errors,
    wrong: r.wrong,
    lost: r.lost,
    behind: r.behind,
    throughputPerSec: Math.round(r.throughputPerSec),
    latencyUs,
    uncorrectedUs: r.uncorrected === null ? null : summarize(r.uncorrected),
    sendLagUs,
    underTargetPct: pct(r.underTarget, r.messages),
    clientCpuPct: cpu.clientCpuPct === null ? null : round(cpu.clientCpuPct, 1),
    serverCpuPct: cpu.serverCpuPct === null ? null : round(cpu.serverCpuPct, 1),
    warnings,
    sloBreaches: breaches(latencyUs),
    failure: r.failure,
  };
}

/** Whether a run was clean: every reply right, nothing lost, every SLO met. */
export function scenarioOk(s: ScenarioReport): boolean {
  return s.errors === 0 && s.failure === null && s.sloBreaches.length === 0 && s.messages > 0;
}

export function formatSlo(slo: SloLimit[]): Record<string, number> | null {
  return slo.length === 0 ? null : Object.fromEntries(slo.map((s) => [s.name, s.limitUs]));
}

function table(head: string[]): Table.Table {
  // No colours: the report is read in terminals, logs and files alike.
  return new Table({ head, style: { head: [], border: [], compact: true }, colAligns: head.map(() => 'right' as const) });
}

const fmtCpu = (v: number | null) => (v === null ? '-' : `${v.toFixed(0)}%`);

function placementLine(p: Placement): string {
  const client = `client on CPUs ${p.clientCpus ?? '?'}`;
  if (!p.serverSpawned) return `placement   ${client}; server not started by the benchmark, its placement is not known here`;
  return `placement   ${client}, server on CPUs ${p.serverCpus ?? '?'}`;
}

/** The whole report as text: a header, one table row per scenario, then warnings and breaches. */
export function formatReport(b: BenchmarkReport): string {
  const reply = b.framing === 'sockperf' ? 'sockperf reply' : b.mode;
  const out = [
    `benchmark   ${b.address}  framing ${b.framing}  reply ${reply}  size ${b.size} B`,
    placementLine(b.placement),
    'latency     microseconds; closed loop: from each write to its reply; open loop: from when each message was due (corrected for coordinated omission)',
  ];
  const main = table(['#', 'conns', 'pipeline', 'rate', 'msg/s', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', `<=${b.targetUs}us`, 'errors', 'cpu']);
  b.scenarios.forEach((s, i) => {
    const l = s.latencyUs;
    main.push([
      i + 1,
      fmtInt(s.connections),
      s.pipeline,
      s.rate === null ? 'closed' : fmtInt(s.rate),
      fmtInt(s.throughputPerSec),
      fmtUs(l?.p50),
      fmtUs(l?.p90),
      fmtUs(l?.p99),
      fmtUs(l?.p99_9),
      fmtUs(l?.p99_99),
      fmtUs(l?.max),
      fmtPct(s.underTargetPct),
      fmtInt(s.errors),
      fmtCpu(s.clientCpuPct),
    ]);
  });
  out.push(main.toString());
  const open = b.scenarios.map((s, i) => [s, i] as const).filter(([s]) => s.loop === 'open');
  if (open.length > 0) {
    out.push('open loop, the same messages timed from their actual write (uncorrected), and how late the writes left');
    const t = table(['#', 'rate', 'uncorr p50', 'p99', 'p99.9', 'max', 'lag p50', 'lag p99', 'lag max', 'never sent']);
    for (const [s, i] of open) {
      const u = s.uncorrectedUs;
      const g = s.sendLagUs;
      t.push([i + 1, fmtInt(s.rate!), fmtUs(u?.p50), fmtUs(u?.p99), fmtUs(u?.p99_9), fmtUs(u?.max), fmtUs(g?.p50), fmtUs(g?.p99), fmtUs(g?.max), fmtInt(s.behind)]);
    }
    out.push(t.toString());
  }
  const spawned = b.scenarios.some((s) => s.serverCpuPct !== null);
  out.push(
    'cpu: the benchmark process over each measured window (100% = one CPU)' +
      (spawned ? `; server: ${b.scenarios.map((s) => fmtCpu(s.serverCpuPct)).join(' ')}` : '') +
      (open.length > 0 ? '; open loop spins between sends to keep its schedule, so its CPU use is not a saturation signal' : ''),
  );
  b.scenarios.forEach((s, i) => {
    for (const w of s.warnings) out.push(`warning: scenario ${i + 1}: ${w}`);
    if (s.failure !== null) out.push(`error: scenario ${i + 1}: ${s.failure}`);
    if (s.errors > 0) out.push(`error: scenario ${i + 1}: ${fmtInt(s.wrong)} wrong replies, ${fmtInt(s.lost)} lost`);
    for (const br of s.sloBreaches) out.push(`slo: scenario ${i + 1}: ${br}`);
  });
  if (b.server !== null) {
    const gc = b.server.gc as { count?: number; pauseMs?: number } | undefined;
    out.push(`server      answered ${fmtInt(Number(b.server.messages ?? 0))} messages; GC events ${gc?.count ?? '?'} (${gc?.pauseMs ?? '?'} ms of pause)`);
  }
  if (b.failure !== null) out.push(`error: ${b.failure}`);
  if (b.slo !== null)
    out.push(
      `slo         ${Object.entries(b.slo)
        .map(([k, v]) => `${k} <= ${v} us`)
        .join(', ')}: ${b.scenarios.every((s) => s.sloBreaches.length === 0) ? 'met' : 'BREACHED'}`,
    );
  out.push(`result      ${b.ok ? 'ok' : 'FAILED'}`);
  return out.join('\n');
}
