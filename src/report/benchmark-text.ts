/**
 * The benchmark's text report, from the report's data (report.ts), by
 * functions that return strings. It comes in pieces so that it can be
 * printed as the run goes: the head (with the first row), one row per
 * scenario as it finishes, the table's bottom, then the notes: the
 * open-loop table, warnings, errors and the verdict, in colour where it
 * helps (`paint`).
 */
import type { Paint } from '../cli/colour.js';
import { fmtInt, fmtPct, fmtUs } from '../stats/report.js';
import { type Scenario, sizesOf } from './scenario.js';
import { type BenchmarkReport, type Placement, type ScenarioReport, scenariosOverTarget } from './benchmark.js';
import { type Borders, Columns, renderTable } from './table.js';

const fmtCpu = (v: number | null) => (v === null ? '-' : `${v.toFixed(0)}%`);
const plural = (n: number, one: string, many = `${one}s`) => `${fmtInt(n)} ${n === 1 ? one : many}`;

function placementLine(p: Placement): string {
  const client = `client on CPUs ${p.clientCpus ?? '?'}`;
  if (!p.serverSpawned) return `placement   ${client}; server not started by the benchmark, its placement is not known here`;
  return `placement   ${client}, server on CPUs ${p.serverCpus ?? '?'}`;
}

/** Cells that fit their columns without widening the row: latencies under a second (`9999.9`, `999999`), up to 999,999 msg/s. */
const LATENCY_WIDTH = fmtUs(9999.9).length;
const RATE_WIDTH = fmtInt(999_999).length;

/** The size column's header, in a run of several sizes. */
const SIZE_HEAD = 'bytes';

/**
 * The main table's columns, their widths fixed before the first row from
 * what these scenarios can print, so that rows printed one at a time line up.
 */
export function scenarioColumns(scenarios: readonly Scenario[], targetUs: number, threads: number, borders: Borders): Columns {
  const most = (f: (s: Scenario) => number) => Math.max(0, ...scenarios.map(f));
  const maxRate = most((s) => s.rate ?? 0);
  // A run of several sizes has a column for it, after the rate: the size is the innermost loop.
  const sized = sizesOf(scenarios).length > 1;
  const head = ['#', 'conns', 'pipeline', 'rate', ...(sized ? [SIZE_HEAD] : []), 'msg/s', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', `<=${targetUs}us`, 'errors', 'cpu'];
  const widths = [
    String(scenarios.length).length,
    fmtInt(most((s) => s.connections)).length,
    String(most((s) => s.pipeline)).length,
    Math.max('closed'.length, fmtInt(maxRate).length),
    ...(sized ? [fmtInt(most((s) => s.size)).length] : []),
    Math.max(RATE_WIDTH, fmtInt(maxRate * 1.1).length),
    ...new Array<number>(6).fill(LATENCY_WIDTH),
    fmtPct(100).length,
    0, // errors: its header is wide enough for 99,999
    fmtCpu(100 * threads).length,
  ];
  return new Columns(head, widths, borders);
}

/** What comes before the first row: what was measured where, and the table's header. */
export function formatHead(b: BenchmarkReport, cols: Columns): string {
  const reply = b.framing === 'sockperf' ? 'sockperf reply' : b.framing === 'resp' ? 'Redis reply' : b.mode;
  return [
    `benchmark   ${b.address}  framing ${b.framing}  reply ${reply}  ${b.size !== null ? `size ${b.size} B` : `sizes ${b.options.sizes.map(fmtInt).join(', ')} B, a scenario each`}`,
    placementLine(b.placement),
    'latency     microseconds; closed loop: from each write to its reply; open loop: from when each message was due (corrected for coordinated omission)',
    cols.top(),
  ].join('\n');
}

/** Scenario `i`'s row (from 0); a partial one says so after the table's edge. */
export function formatRow(s: ScenarioReport, i: number, cols: Columns): string {
  const l = s.latencyUs;
  const row = cols.row([
    String(i + 1),
    fmtInt(s.connections),
    String(s.pipeline),
    s.rate === null ? 'closed' : fmtInt(s.rate),
    ...(cols.head.includes(SIZE_HEAD) ? [fmtInt(s.size)] : []),
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
  if (!s.partial) return row;
  return `${row}  partial: ${s.durationS === 0 ? 'stopped in its warm-up' : `${s.durationS.toFixed(2)} s measured`}`;
}

/** Everything after the main table: the open-loop table, notes, warnings, errors and the verdict. */
export function formatNotes(b: BenchmarkReport, paint: Paint, borders: Borders): string {
  const out: string[] = [];
  const open = b.scenarios.map((s, i) => [s, i] as const).filter(([s]) => s.loop === 'open');
  if (open.length > 0) {
    out.push('open loop, the same messages timed from their actual write (uncorrected), and how late the writes left');
    const head = ['#', 'rate', 'uncorr p50', 'p99', 'p99.9', 'max', 'lag p50', 'lag p99', 'lag max', 'never sent'];
    const rows = open.map(([s, i]) => {
      const u = s.uncorrectedUs;
      const g = s.sendLagUs;
      return [String(i + 1), fmtInt(s.rate!), fmtUs(u?.p50), fmtUs(u?.p99), fmtUs(u?.p99_9), fmtUs(u?.max), fmtUs(g?.p50), fmtUs(g?.p99), fmtUs(g?.max), fmtInt(s.behind)];
    });
    out.push(renderTable(head, rows, borders));
  }
  const spawned = b.scenarios.some((s) => s.serverCpuPct !== null);
  out.push(
    'cpu: the benchmark process over each measured window (100% = one CPU)' +
      (spawned ? `; server: ${b.scenarios.map((s) => fmtCpu(s.serverCpuPct)).join(' ')}` : '') +
      (open.length > 0 ? '; open loop spins between sends to keep its schedule, so its CPU use is not a saturation signal' : ''),
  );
  b.scenarios.forEach((s, i) => {
    for (const w of s.warnings) out.push(paint.warn(`warning: scenario ${i + 1}: ${w}`));
    if (s.failure !== null) out.push(paint.error(`error: scenario ${i + 1}: ${s.failure}`));
    if (s.errors > 0) out.push(paint.error(`error: scenario ${i + 1}: ${fmtInt(s.wrong)} wrong replies, ${fmtInt(s.lost)} lost`));
    const late = s.late ?? 0;
    const duplicates = s.duplicates ?? 0;
    const outOfOrder = s.outOfOrder ?? 0;
    // UDP's replies that came late, twice or out of order: said, not errors (a late one's loss already is).
    if (late + duplicates + outOfOrder > 0)
      out.push(paint.warn(`datagrams: scenario ${i + 1}: ${fmtInt(late)} late replies, ${fmtInt(duplicates)} duplicates, ${fmtInt(outOfOrder)} out of order`));
    for (const br of s.sloBreaches) out.push(paint.error(`slo: scenario ${i + 1}: ${br}`));
  });
  if (b.interrupted !== null) out.push(paint.warn(interruptedLine(b)));
  if (b.server !== null) {
    const gc = b.server.gc as { count?: number; pauseMs?: number } | undefined;
    out.push(`server      answered ${fmtInt(Number(b.server.messages ?? 0))} messages; GC events ${gc?.count ?? '?'} (${gc?.pauseMs ?? '?'} ms of pause)`);
  }
  if (b.failure !== null) out.push(paint.error(`error: ${b.failure}`));
  // Absent from reports saved before it was added.
  if (b.hint != null) out.push(paint.warn(`hint        ${b.hint}`));
  if (b.slo !== null) {
    const met = b.scenarios.every((s) => s.sloBreaches.length === 0);
    const limits = Object.entries(b.slo)
      .map(([k, v]) => `${k} <= ${v} us`)
      .join(', ');
    out.push(`slo         ${limits}: ${met ? paint.ok('met') : paint.error('BREACHED')}`);
  }
  out.push(`result      ${verdict(b, paint)}`);
  return out.join('\n');
}

/**
 * ok, FAILED or interrupted, and beside it the scenarios whose p99 missed
 * `--target-us`: "ok" alone would read as "under the target". A missed
 * target does not fail the run; `--slo` is the switch that does.
 */
function verdict(b: BenchmarkReport, paint: Paint): string {
  const over = scenariosOverTarget(b.scenarios, b.targetUs).map((n) => `${n} (${fmtUs(b.scenarios[n - 1].latencyUs!.p99)} us)`);
  const missed = over.length === 0 ? null : paint.warn(`p99 over the ${b.targetUs} us target in ${over.length === 1 ? 'scenario' : 'scenarios'} ${over.join(', ')}`);
  const and = missed === null ? '' : `; ${missed}`;
  if (b.interrupted !== null) return paint.warn(`interrupted (${b.interrupted})`) + and;
  if (!b.ok) return paint.error('FAILED') + and;
  return missed === null ? paint.ok('ok') : `${paint.ok('ok')}: every reply right${and}`;
}

/** Where an interrupt stopped the run, and what it left out. */
function interruptedLine(b: BenchmarkReport): string {
  const planned = b.options.scenarios;
  const last = b.scenarios.at(-1);
  const done = b.scenarios.filter((s) => !s.partial).length;
  let line = `interrupted ${b.interrupted}: ${done} of ${plural(planned.length, 'scenario')} ran in full`;
  if (last?.partial === true) {
    const i = b.scenarios.length - 1;
    line +=
      last.durationS === 0
        ? `; scenario ${i + 1} was stopped in its warm-up, before measuring`
        : `; scenario ${i + 1} is partial: ${last.durationS.toFixed(2)} s of its ${planned[i].durationS} s window`;
    if (last.unanswered > 0) line += `, ${plural(last.unanswered, 'request')} in flight left unanswered (not counted as errors)`;
  }
  return line;
}

/** The whole text report at once, as the run prints it piece by piece: head, rows, the table's bottom, notes. */
export function formatReport(b: BenchmarkReport, cols: Columns, paint: Paint, borders: Borders): string {
  return [formatHead(b, cols), ...b.scenarios.map((s, i) => formatRow(s, i, cols)), cols.bottom(), formatNotes(b, paint, borders)].join('\n');
}
