/**
 * The comparison as text: Markdown tables of the rows, the targets and the
 * context, and the JSON file. Both are built from a Comparison alone, so a
 * kept JSON file can be printed again.
 */
import { intervalText } from '../lib.js';
import { type Comparison, type Context, type Garbage, type Latency, type Ratio, type RoundsInterval, type Row, SECTIONS } from './rows.js';

const f = (v: number | undefined, d = 2) => (v === undefined ? '' : v.toFixed(d));

/** A figure's range over the rounds of a latency row, `min-max`; empty for other rows. */
const range = (r: Row, k: keyof Latency, d = 2) => (r.rounds === undefined ? '' : `${f(Math.min(...r.rounds.map((l) => l[k])), d)}-${f(Math.max(...r.rounds.map((l) => l[k])), d)}`);

/** A GC row's figure, `median (min-max)` over the rounds. */
const spread = (r: Row, k: keyof Garbage, d: number) => {
  const all = r.garbageRounds!.map((g) => g[k]);
  return `${f(r.garbage![k], d)} (${f(Math.min(...all), d)}-${f(Math.max(...all), d)})`;
};

/** What was run, where, and how to read the tables. `cpuModel` is not in the JSON, so it is passed apart. */
export function header(c: Comparison, cpuModel: string): string {
  const lines = [
    `compare: ${c.started}, ${c.cpus} CPUs (${cpuModel}), node ${c.node}${c.quick ? ', --quick' : ''}${c.sections === undefined ? '' : `, --only ${c.sections.join(',')}`}`,
    'placement: same = everything on CPU 0; split = servers on CPU 0, clients on CPU 1. Latency: full round trip, microseconds, 64 B messages (the sizes table: each size, header included).',
  ];
  if ((c.sections ?? SECTIONS).includes('latency')) {
    lines.push(`Latency rows: the median over ${c.rounds} interleaved round${c.rounds === 1 ? '' : 's'} of each percentile, and the range of p50, p99.99 and max over the rounds.`);
  }
  if (c.ratios.some((r) => r.interval !== undefined) || c.context.some((x) => x.interval !== undefined)) {
    lines.push(
      "Ratios of latency rows: the ratio of the medians, then its 95% interval over the rounds (Hodges-Lehmann with Moses' exact interval of each round's figure, src/stats/noise.ts; 4 rounds are the fewest for one). A target is met by the ratio; the last column says whether the whole interval is within the limit, beyond it, or straddles it.",
    );
  }
  return lines.join('\n');
}

/** One line per latency or throughput measurement; the GC and plain-value rows have their own tables. */
export function rowsTable(rows: readonly Row[]): string {
  const lines = [
    '| measurement | placement | p50 us | p50 range | p99 us | p99.9 us | p99.99 us | p99.99 range | max us | max range | msg/s | value |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    if (r.garbage !== undefined || r.size !== undefined) continue;
    const l = r.latency;
    lines.push(
      `| ${r.what} | ${r.placement ?? ''} | ${f(l?.p50)} | ${range(r, 'p50')} | ${f(l?.p99)} | ${f(l?.p99_9, 1)} | ${f(l?.p99_99, 1)} | ${range(r, 'p99_99', 0)} | ${f(l?.max, 0)} | ${range(r, 'max', 0)} | ${r.throughputPerSec === undefined ? '' : Math.round(r.throughputPerSec).toLocaleString('en-US')} | ${r.value === undefined ? '' : `${r.value} ${r.unit}`} |`,
    );
  }
  return lines.join('\n');
}

/** A size in bytes as the tables write it: 64 B, 1 KiB, 64 KiB; a size that is no whole KiB in bytes. */
const bytes = (n: number) => (n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`);

/** The size rows: one line per measurement, `p50 / p99.99` microseconds at each size. */
export function sizesTable(rows: readonly Row[]): string {
  const sized = rows.filter((r) => r.size !== undefined && r.latency !== undefined);
  const columns = [...new Set(sized.map((r) => r.size!))].sort((a, b) => a - b);
  const lines = [`| p50 / p99.99 us, split | ${columns.map(bytes).join(' | ')} |`, `|---|${columns.map(() => '---|').join('')}`];
  for (const what of new Set(sized.map((r) => r.what))) {
    const cell = (n: number) => {
      const l = sized.find((r) => r.what === what && r.size === n)?.latency;
      return l === undefined ? '' : `${f(l.p50, 1)} / ${f(l.p99_99, 0)}`;
    };
    lines.push(`| ${what} | ${columns.map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The GC rows: events, pause and collections at quiet moments per 1 000 000 round trips, median (range) over the rounds. */
export function garbageTable(rows: readonly Row[]): string {
  const lines = ['| GC per 1 000 000 round trips | placement | events | pause ms | at quiet moments | their pause ms |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    if (r.garbage === undefined) continue;
    lines.push(`| ${r.what} | ${r.placement ?? ''} | ${spread(r, 'events', 1)} | ${spread(r, 'pauseMs', 2)} | ${spread(r, 'quiet', 1)} | ${spread(r, 'quietPauseMs', 2)} |`);
  }
  return lines.join('\n');
}

/** A ratio and its interval over the rounds, `1.248 [1.19, 1.31]`, or why it has none, `1.248 (no interval: 3 rounds, 4 needed)`; the ratio alone when it is not of two rows in rounds. */
export function ratioCell(value: number, i: RoundsInterval | undefined): string {
  if (i === undefined) return String(value);
  return `${value} ${intervalText({ ratio: i.estimate, low: i.low, high: i.high, confidence: i.confidence, p: i.p }, Math.min(i.rounds.a, i.rounds.b))}`;
}

const AGAINST = { within: 'entirely within', beyond: 'entirely beyond', straddles: 'straddles it' } as const;

/** Each ratio with its interval, its limit, whether the ratio meets it, and where the whole interval lies against it. */
export function targetsTable(ratios: readonly Ratio[]): string {
  const lines = ['| target | placement | value [95% interval] | limit | met | the interval against the limit |', '|---|---|---|---|---|---|'];
  for (const r of ratios) {
    const where = r.against === undefined ? '-' : AGAINST[r.against];
    lines.push(`| ${r.target} | ${r.placement ?? ''} | ${ratioCell(r.value, r.interval)} | ${r.kind === 'max' ? '<=' : '>='} ${r.limit} | ${r.met ? 'yes' : 'no'} | ${where} |`);
  }
  return lines.join('\n');
}

/** The p50 ratios printed as context, with no target, each with its interval. */
export function contextTable(context: readonly Context[]): string {
  const lines = ['| context (p50 ratios, no target) | placement | value [95% interval] |', '|---|---|---|'];
  for (const c of context) lines.push(`| ${c.what} | ${c.placement ?? ''} | ${ratioCell(c.value, c.interval)} |`);
  return lines.join('\n');
}

/** The whole report, ending in a newline; a table with nothing in it (its section not run) is left out. */
export function report(c: Comparison, cpuModel: string): string {
  const blocks = [header(c, cpuModel)];
  if (c.rows.some((r) => r.garbage === undefined && r.size === undefined)) blocks.push(rowsTable(c.rows));
  if (c.rows.some((r) => r.size !== undefined)) blocks.push(sizesTable(c.rows));
  if (c.rows.some((r) => r.garbage !== undefined)) blocks.push(garbageTable(c.rows));
  if (c.ratios.length > 0) blocks.push(targetsTable(c.ratios));
  if (c.context.length > 0) blocks.push(contextTable(c.context));
  return blocks.join('\n\n') + '\n';
}

/** The JSON file's text: the Comparison as it is, two-space indented. */
export function comparisonJson(c: Comparison): string {
  return JSON.stringify(c, null, 2) + '\n';
}
