/** bench/ab.ts's text: a title, a row per run, and per side the median and range over the rounds. Functions that return strings. */
import { fmtUs } from '../../src/stats/report.js';
import { median } from '../lib.js';
import type { Plan } from './plan.js';
import type { Row } from './run.js';

const COLUMNS = ['p50 us', 'p99 us', 'p99.9 us', 'max us', 'client GCs', 'server GCs', 'min/maj/oth', 'GC ms', 'CPU us/rt', 'answers'];
const WIDTHS = [8, 8, 9, 9, 11, 11, 12, 8, 10, 8];

export function title(plan: Plan, node: string, commit: string): string {
  const sides = plan.sides.map((s) => s.label).join(', ');
  const watch = plan.sides.some((s) => s.watch !== 'none') ? `; admin watcher on CPU ${plan.watchCpu}` : '';
  const hog = plan.hog ? `; a busy loop on CPU ${plan.cpu}` : '';
  return (
    `bench/ab.ts ${plan.mode}: bin/client (CPU ${plan.clientCpu}) -> bin/server (CPU ${plan.cpu}), 64 B, TCP, --mode ${plan.messageMode}, ` +
    `${plan.count} round trips after ${plan.warmup}, ${plan.rounds} rounds of ${sides} (forward, then backward)${watch}${hog}; node ${node}, commit ${commit}`
  );
}

function labelWidth(plan: Plan): number {
  return Math.max(8, ...plan.sides.map((s) => s.label.length));
}

export function header(plan: Plan): string {
  return `${'round'.padEnd(6)}${'side'.padEnd(labelWidth(plan))} ${COLUMNS.map((c, i) => c.padStart(WIDTHS[i])).join(' ')}`;
}

export function formatRow(plan: Plan, r: Row): string {
  const gc = r.serverGc;
  const cells = [
    fmtUs(r.latency.p50),
    fmtUs(r.latency.p99),
    fmtUs(r.latency.p99_9),
    fmtUs(r.latency.max),
    String(r.clientGcs),
    String(gc.count),
    `${gc.minor}/${gc.major}/${gc.count - gc.minor - gc.major}`,
    gc.pauseMs.toFixed(1),
    r.cpuUsPerTrip.toFixed(2),
    r.answers === null ? '-' : String(r.answers),
  ];
  return `${String(r.round).padEnd(6)}${r.label.padEnd(labelWidth(plan))} ${cells.map((c, i) => c.padStart(WIDTHS[i])).join(' ')}`;
}

function cell(xs: readonly number[], f: (v: number) => string): string {
  return `${f(median(xs))} [${f(Math.min(...xs))}-${f(Math.max(...xs))}]`.padEnd(22);
}

/**
 * Per side over the rounds: the median and range of p50, p99, p99.9, of the
 * serving thread's CPU per round trip and of both processes' GCs. The spread
 * of one side is the noise the difference between sides is read against.
 */
export function summary(plan: Plan, rows: readonly Row[]): string {
  const w = labelWidth(plan);
  const names = ['p50 us', 'p99 us', 'p99.9 us', 'CPU us/rt', 'client GCs', 'server GCs'];
  const lines = [`over ${plan.rounds} rounds: median [min-max]`, `${'side'.padEnd(w)} ${names.map((n) => n.padEnd(22)).join(' ')}`.trimEnd()];
  for (const side of plan.sides) {
    const mine = rows.filter((r) => r.label === side.label);
    const col = (value: (r: Row) => number, f: (v: number) => string) => cell(mine.map(value), f);
    const cpu = (v: number) => v.toFixed(2);
    const gcs = (v: number) => String(v);
    const cells = [
      col((r) => r.latency.p50, fmtUs),
      col((r) => r.latency.p99, fmtUs),
      col((r) => r.latency.p99_9, fmtUs),
      col((r) => r.cpuUsPerTrip, cpu),
      col((r) => r.clientGcs, gcs),
      col((r) => r.serverGc.count, gcs),
    ];
    lines.push(`${side.label.padEnd(w)} ${cells.join(' ')}`.trimEnd());
  }
  return lines.join('\n');
}
