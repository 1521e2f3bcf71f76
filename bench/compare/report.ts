/**
 * The comparison as text: Markdown tables of the rows, the targets and the
 * context, and the JSON file. Both are built from a Comparison alone, so a
 * kept JSON file can be printed again.
 */
import { type Comparison, type Context, type Ratio, type Row, SECTIONS } from './rows.js';

const f = (v: number | undefined, d = 2) => (v === undefined ? '' : v.toFixed(d));

/** The p50 range over the rounds of a latency row, `min-max`; empty for other rows. */
const range = (r: Row) => (r.rounds === undefined ? '' : `${f(Math.min(...r.rounds.map((l) => l.p50)))}-${f(Math.max(...r.rounds.map((l) => l.p50)))}`);

/** What was run, where, and how to read the tables. `cpuModel` is not in the JSON, so it is passed apart. */
export function header(c: Comparison, cpuModel: string): string {
  const lines = [
    `compare: ${c.started}, ${c.cpus} CPUs (${cpuModel}), node ${c.node}${c.quick ? ', --quick' : ''}${c.sections === undefined ? '' : `, --only ${c.sections.join(',')}`}`,
    'placement: same = everything on CPU 0; split = servers on CPU 0, clients on CPU 1. Latency: full round trip, 64 B, microseconds.',
  ];
  if ((c.sections ?? SECTIONS).includes('latency')) {
    lines.push(`Latency rows: the median over ${c.rounds} interleaved round${c.rounds === 1 ? '' : 's'} of each percentile, and the range of p50 over the rounds.`);
  }
  return lines.join('\n');
}

/** One line per measurement: latency, throughput or a plain value, whichever the row has. */
export function rowsTable(rows: readonly Row[]): string {
  const lines = ['| measurement | placement | p50 us | p50 range | p99 us | p99.9 us | msg/s | value |', '|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(
      `| ${r.what} | ${r.placement ?? ''} | ${f(r.latency?.p50)} | ${range(r)} | ${f(r.latency?.p99)} | ${f(r.latency?.p99_9, 1)} | ${r.throughputPerSec === undefined ? '' : Math.round(r.throughputPerSec).toLocaleString('en-US')} | ${r.value === undefined ? '' : `${r.value} ${r.unit}`} |`,
    );
  }
  return lines.join('\n');
}

/** Each ratio against its limit, and whether it is met. */
export function targetsTable(ratios: readonly Ratio[]): string {
  const lines = ['| target | placement | value | limit | met |', '|---|---|---|---|---|'];
  for (const r of ratios) lines.push(`| ${r.target} | ${r.placement ?? ''} | ${r.value} | ${r.kind === 'max' ? '<=' : '>='} ${r.limit} | ${r.met ? 'yes' : 'no'} |`);
  return lines.join('\n');
}

/** The p50 ratios printed as context, with no target. */
export function contextTable(context: readonly Context[]): string {
  const lines = ['| context (p50 ratios, no target) | placement | value |', '|---|---|---|'];
  for (const c of context) lines.push(`| ${c.what} | ${c.placement ?? ''} | ${c.value} |`);
  return lines.join('\n');
}

/** The whole report, ending in a newline; a table with nothing in it (its section not run) is left out. */
export function report(c: Comparison, cpuModel: string): string {
  const blocks = [header(c, cpuModel)];
  if (c.rows.length > 0) blocks.push(rowsTable(c.rows));
  if (c.ratios.length > 0) blocks.push(targetsTable(c.ratios));
  if (c.context.length > 0) blocks.push(contextTable(c.context));
  return blocks.join('\n\n') + '\n';
}

/** The JSON file's text: the Comparison as it is, two-space indented. */
export function comparisonJson(c: Comparison): string {
  return JSON.stringify(c, null, 2) + '\n';
}
