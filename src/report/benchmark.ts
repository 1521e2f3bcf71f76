/**
 * The benchmark's report as plain data, built from results: what `--json`
 * prints, and what the text report (benchmark-text.ts), the HTML page and the
 * saved-results commands are drawn from.
 */
import { type ReplyOptions, replyHint } from '../cli/hints.js';
import type { RunMeta } from '../cli/meta.js';
import type { IoPath } from '../io/binding.js';
import type { LoadResult } from '../load/spec.js';
import type { Framing, ClientMode } from '../protocol/index.js';
import { type EncodedHistograms, type LatencyUs, summarize } from '../stats/histogram.js';
import { fmtInt, fmtUs, overTarget, pct } from '../stats/report.js';
import { type CpuPlacement, generatorAdvice } from './advice.js';
import { type Preset, type Scenario, type SloLimit, scenarioTag } from './scenario.js';

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
  /** Payload bytes of its messages (absent from reports kept before runs could have several sizes: the report's `size`). */
  size: number;
  loop: 'closed' | 'open';
  threads: number;
  warmupS: number;
  /** Measured window, as it was (shorter than asked when partial; 0 when stopped in its warm-up). */
  durationS: number;
  /** Cut short by an interrupt: its figures cover `durationS` only. */
  partial: boolean;
  /** Right replies recorded in the histogram. */
  messages: number;
  sent: number;
  errors: number;
  wrong: number;
  lost: number;
  /** Partial: requests in flight when the benchmark stopped waiting (not errors: see load.ts). */
  unanswered: number;
  /** UDP: replies after their request was counted lost, second copies, and replies after a later request's (counted; late ones and copies not recorded). Absent from runs kept before UDP. */
  late?: number;
  duplicates?: number;
  outOfOrder?: number;
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
  /** p99 (of `latencyUs`) above the run's `targetUs`: the target was missed, though the scenario may be ok. */
  p99OverTarget: boolean;
  /** CPU used by the benchmark process over the window, percent of one CPU. */
  clientCpuPct: number | null;
  /** CPU used by the server over the window, when the benchmark started it. */
  serverCpuPct: number | null;
  /** Idle time of the benchmark's CPUs over the window, in CPUs (1 = one CPU idle throughout); null when unknown. */
  idleCpus: number | null;
  warnings: string[];
  sloBreaches: string[];
  failure: string | null;
  /** What the bytes of a bad reply stream suggest (another framing, HTTP), as the client's hint; null when none came. */
  framingHint: string | null;
  /** With --json: the histograms behind the figures, so that a saved report can be rebuilt, merged or compared later. */
  histograms?: ScenarioHistograms;
}

export type ScenarioHistograms = EncodedHistograms;

export interface Placement {
  clientCpus: string | null;
  serverCpus: string | null;
  serverSpawned: boolean;
}

/**
 * The options as the run used them: a preset expanded into its scenarios,
 * none that only shapes the text output. Where it connected is the report's
 * `transport` and `address` (a spawned server's port is only known there).
 */
export interface BenchmarkOptions {
  framing: Framing;
  mode: ClientMode;
  /** The reply expected in fixed mode; null when it is not used (echo mode, sockperf framing). */
  response: string | null;
  /** The one size of the run; null when it has several (`sizes`, each scenario's `size`). */
  size: number | null;
  /** Every size, in the order given (absent from reports kept before runs could have several). */
  sizes: number[];
  targetUs: number;
  timeoutMs: number;
  maxFrame: number;
  /** The preset the scenarios came from, if any. */
  preset: Preset | null;
  scenarios: Scenario[];
  threads: number;
  slo: Record<string, number> | null;
  spawnServer: boolean;
  serverCpu: string | null;
  clientCpu: string | null;
  /** The I/O path actually taken (`--io handles` falls back to sockets on a Node without the internals). */
  io: IoPath;
  hgrm: string | null;
  /** Seconds per interval, as given (null: the default, 1 s). */
  interval: number | null;
  hlog: string | null;
  report: string | null;
}

export interface BenchmarkReport {
  meta: RunMeta;
  transport: string;
  address: string;
  framing: Framing;
  mode: ClientMode;
  /** The one size of the run; null when it has several (each scenario's `size` says). */
  size: number | null;
  targetUs: number;
  options: BenchmarkOptions;
  placement: Placement;
  slo: Record<string, number> | null;
  /** Every scenario that ran, in order; after an interrupt the last may be partial. */
  scenarios: ScenarioReport[];
  /** The spawned server's own summary (messages, GC events, ...). */
  server: Record<string, unknown> | null;
  /** The signal that stopped the run early, or null. */
  interrupted: 'SIGINT' | 'SIGTERM' | null;
  /** Every scenario ran, with no error, no loss, every SLO met. */
  ok: boolean;
  /** The scenarios (numbered from 1, as the table's `#`) whose p99 is above `targetUs`; a run can be ok and list some. */
  scenariosOverTarget: number[];
  failure: string | null;
  /** What to check when the run failed: nothing listens at the address (how to start a server), or no right reply came back (framing, mode, response); null otherwise. */
  hint: string | null;
}

/** What one scenario's run measured, as the report reads it: the load engine's counts (src/load/spec.ts) and histograms, over all its threads. */
export interface ScenarioFigures
  extends Pick<
    LoadResult,
    | 'sent'
    | 'messages'
    | 'underTarget'
    | 'wrong'
    | 'lost'
    | 'unanswered'
    | 'late'
    | 'duplicates'
    | 'outOfOrder'
    | 'behind'
    | 'durationNs'
    | 'interrupted'
    | 'failure'
    | 'droppedBy'
    | 'framingHint'
    | 'latency'
    | 'uncorrected'
    | 'sendLag'
  > {
  threads: number;
  throughputPerSec: number;
}

/** CPU over one scenario's window: this process, the spawned server, and what nobody used of this process's CPUs. */
export interface WindowCpu {
  clientCpuPct: number | null;
  serverCpuPct: number | null;
  idleCpus: number | null;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * One scenario's report from its result. `placement` says where the
 * benchmark and the server could run, so that a warning advises what can
 * help on this machine (advice.ts); `targetUs` is the run's `--target-us`.
 */
export function buildScenarioReport(s: Scenario, r: ScenarioFigures, cpu: WindowCpu, placement: CpuPlacement, breaches: (l: LatencyUs | null) => string[], targetUs: number): ScenarioReport {
  const latencyUs = summarize(r.latency);
  const sendLagUs = r.sendLag === null ? null : summarize(r.sendLag);
  const durationS = r.durationNs / 1e9;
  // A scenario stopped in its warm-up measured nothing to warn about.
  const measured = r.durationNs > 0;
  const warnings: string[] = [];
  const advice = () => generatorAdvice(placement, { threads: r.threads, connections: s.connections, idleCpus: cpu.idleCpus });
  if (measured && s.rate === null && cpu.clientCpuPct !== null && cpu.clientCpuPct >= SATURATED_PCT * r.threads) {
    warnings.push(
      `the load generator was saturated (${cpu.clientCpuPct.toFixed(0)}% CPU for ${r.threads} thread${r.threads > 1 ? 's' : ''}): ` +
        `these figures describe the client as much as the server; try ${advice()}`,
    );
  }
  if (measured && s.rate !== null && (r.throughputPerSec < s.rate * RATE_KEPT || r.behind > 0)) {
    warnings.push(
      `the asked rate was not kept: ${fmtInt(r.throughputPerSec)} of ${fmtInt(s.rate)} msg/s` +
        (r.behind > 0 ? `, ${fmtInt(r.behind)} messages due were never sent (all ${s.pipeline} in flight per connection were waiting)` : ''),
    );
  }
  if (sendLagUs !== null && sendLagUs.p99 > LAG_US) {
    warnings.push(`sends left late (p99 ${fmtUs(sendLagUs.p99)} us behind schedule): part of the corrected latency is the generator's own delay; try ${advice()}`);
  }
  const errors = r.wrong + r.lost;
  return {
    connections: s.connections,
    pipeline: s.pipeline,
    rate: s.rate,
    size: s.size,
    loop: s.rate === null ? 'closed' : 'open',
    threads: r.threads,
    warmupS: s.warmupS,
    durationS: round(durationS, 6),
    partial: r.interrupted,
    messages: r.messages,
    sent: r.sent,
    errors,
    wrong: r.wrong,
    lost: r.lost,
    unanswered: r.unanswered,
    late: r.late,
    duplicates: r.duplicates,
    outOfOrder: r.outOfOrder,
    behind: r.behind,
    throughputPerSec: Math.round(r.throughputPerSec),
    latencyUs,
    uncorrectedUs: r.uncorrected === null ? null : summarize(r.uncorrected),
    sendLagUs,
    underTargetPct: pct(r.underTarget, r.messages),
    p99OverTarget: overTarget(latencyUs, targetUs),
    clientCpuPct: cpu.clientCpuPct === null ? null : round(cpu.clientCpuPct, 1),
    serverCpuPct: cpu.serverCpuPct === null ? null : round(cpu.serverCpuPct, 1),
    idleCpus: cpu.idleCpus === null ? null : round(cpu.idleCpus, 2),
    warnings,
    // A window stopped in its warm-up measured nothing: no limit was broken.
    sloBreaches: r.interrupted && latencyUs === null ? [] : breaches(latencyUs),
    failure: r.failure ?? r.droppedBy,
    framingHint: r.framingHint,
  };
}

/**
 * When a scenario got no right reply and failed (or counted errors), what to
 * check: the same framing, mode and response as the server (src/cli/hints.ts).
 * Null when every scenario got right replies or nothing failed.
 */
export function replyHintFor(scenarios: readonly ScenarioReport[], o: ReplyOptions): string | null {
  const none = scenarios.filter((s) => s.messages === 0 && (s.failure !== null || s.errors > 0));
  if (none.length === 0) return null;
  // The bytes of the replies say more than a list of what to check, as the client's hint does.
  const fromBytes = none.find((s) => s.framingHint != null)?.framingHint;
  if (fromBytes != null) return fromBytes;
  return replyHint(
    'benchmark',
    o,
    none.some((s) => s.wrong > 0),
  );
}

/**
 * A kept scenario's size: its own, or in a report kept before scenarios had
 * one, the run's (then the run had one size).
 */
export function scenarioSize(s: { size?: number }, run: { size: number | null }): number {
  return s.size ?? run.size ?? 0;
}

/** A kept run's scenarios by name: their tag, with their size when the run has several (scenarioTag). */
export function scenarioNames(run: { size: number | null; scenarios: ReadonlyArray<Pick<ScenarioReport, 'connections' | 'pipeline' | 'rate' | 'size'>> }): string[] {
  const sizes = run.scenarios.map((s) => scenarioSize(s, run));
  const sized = new Set(sizes).size > 1;
  return run.scenarios.map((s, i) => scenarioTag(s, sized ? sizes[i] : null));
}

/** Whether a run was clean: every reply right, nothing lost, every SLO met. */
export function scenarioOk(s: ScenarioReport): boolean {
  return s.errors === 0 && s.failure === null && s.sloBreaches.length === 0 && s.messages > 0;
}

/**
 * The numbers (from 1) of the scenarios whose p99 is above `targetUs`, from
 * their figures (a report kept before `p99OverTarget` existed reads the same).
 */
export function scenariosOverTarget(scenarios: readonly ScenarioReport[], targetUs: number): number[] {
  return scenarios.flatMap((s, i) => (overTarget(s.latencyUs, targetUs) ? [i + 1] : []));
}

export function formatSlo(slo: SloLimit[]): Record<string, number> | null {
  return slo.length === 0 ? null : Object.fromEntries(slo.map((s) => [s.name, s.limitUs]));
}
