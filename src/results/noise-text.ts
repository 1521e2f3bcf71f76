/**
 * A comparison of several runs a side (noise-compare.ts) as text: a table
 * with each side's median and range and the ratio with its interval, then
 * the notes (too few runs, drift, outlying runs, interrupted runs, what
 * the sides did differently), the verdicts in words, and the gate's line.
 * Functions that return strings; colour only on the verdicts (`paint`).
 */
import type { Paint } from '../cli/colour.js';
import type { Figure } from './compare.js';
import { figureLabel, fmtFigure } from './compare-text.js';
import type { NoisyComparison, NoisyFigure, NoisyScenario, SideFigure } from './noise-compare.js';
import { type Borders, renderTable } from '../report/table.js';

/** What the sides and their runs are called: `A`, `B` and `round` for ab; `BASELINE`, `NEW` and `run` for compare. */
export interface SideNames {
  a: string;
  b: string;
  run: string;
}

export const AB_NAMES: SideNames = { a: 'A', b: 'B', run: 'round' };

/** A ratio as the verdicts write it. */
const fmtRatio = (r: number | null) => (r === null ? '-' : r >= 10 ? r.toFixed(1) : r.toFixed(3));
/** A percentage, whole above 10, one decimal below. */
const fmtPct = (p: number) => (Math.abs(p) >= 10 ? p.toFixed(0) : p.toFixed(1));

const range = (f: Figure, s: SideFigure) => (s.min === null ? '-' : `${fmtFigure(f, s.min)}..${fmtFigure(f, s.max)}`);

function intervalCell(f: NoisyFigure): string {
  const e = f.estimate;
  if (e === null) return '-';
  return e.low === null ? 'too few runs' : `[${fmtRatio(e.low)}, ${fmtRatio(e.high)}]`;
}

/** The table's short verdict: benchstat's `~` for no difference. */
function verdictCell(f: NoisyFigure): string {
  const w = f.worsePct;
  switch (f.verdict) {
    case 'slower':
      return f.regression ? `WORSE +${fmtPct(w!.estimate)}%` : `worse +${fmtPct(w!.estimate)}%`;
    case 'faster':
      return `better ${fmtPct(w!.estimate)}%`;
    case 'within-threshold':
      return w!.estimate >= 0 ? `worse? +${fmtPct(w!.estimate)}%` : `better? ${fmtPct(w!.estimate)}%`;
    case 'no-difference':
      return '~';
    case 'too-few':
      return '?';
    case 'unmeasured':
      return f.regression ? 'WORSE (none)' : '-';
  }
}

/** The table's header and cells, a row per scenario and figure (in the order of `c.scenarios` and their figures): the text table's and the A/B page's. */
export function noisyTableCells(c: NoisyComparison, names: SideNames = AB_NAMES): { head: string[]; rows: string[][] } {
  const rows = c.scenarios.flatMap((s) =>
    s.figures.map((f, i) => [
      i === 0 ? s.scenario : '',
      figureLabel(f.figure),
      fmtFigure(f.figure, f.a.median),
      range(f.figure, f.a),
      fmtFigure(f.figure, f.b.median),
      range(f.figure, f.b),
      fmtRatio(f.estimate?.ratio ?? null),
      intervalCell(f),
      verdictCell(f),
    ]),
  );
  const level = `${Math.round(c.level * 100)}% interval`;
  const { a, b } = names;
  return { head: ['scenario', 'figure', `${a} median`, `${a} range`, `${b} median`, `${b} range`, `${b}/${a}`, level, 'verdict'], rows };
}

/** The table: a row per scenario and figure. */
export function formatNoisyTable(c: NoisyComparison, borders: Borders, names: SideNames = AB_NAMES): string {
  const { head, rows } = noisyTableCells(c, names);
  return renderTable(head, rows, borders);
}

/** One figure's verdict in words: `B slower at p99 by 12% [8%, 16%]`, `no difference beyond noise (1.01 [0.97, 1.05])`. */
export function verdictText(f: NoisyFigure, names: SideNames = AB_NAMES, thresholdPct = 1): string {
  return verdictWords(f, f.figure === 'throughput' ? 'in throughput' : `at ${f.figure}`, names, thresholdPct);
}

/**
 * verdictText's words for a figure named by the caller (`at` is the phrase
 * after the verb: `at p99`, `in CPU per round trip`) and, for a figure that
 * is not a time, its own verbs (`higher` and `lower` for a count): for
 * figures that are not a report's (bench/ab.ts compares CPU per round trip
 * and GC counts too).
 */
export function verdictWords(f: NoisyFigure, at: string, names: SideNames = AB_NAMES, thresholdPct = 1, verbs = { worse: 'slower', better: 'faster' }): string {
  const e = f.estimate;
  const w = f.worsePct;
  const interval = e === null || e.low === null ? '' : ` [${fmtRatio(e.low)}, ${fmtRatio(e.high)}]`;
  switch (f.verdict) {
    case 'slower':
      return `${names.b} ${verbs.worse} ${at} by ${fmtPct(w!.estimate)}% [${fmtPct(w!.low!)}%, ${fmtPct(w!.high!)}%]`;
    case 'faster':
      return `${names.b} ${verbs.better} ${at} by ${fmtPct(-w!.estimate)}% [${fmtPct(-w!.high!)}%, ${fmtPct(-w!.low!)}%]`;
    case 'within-threshold':
      // Clear of 1, so its direction is known; reaching into the threshold, so its size is not: criterion's "within noise threshold".
      return `${names.b} probably ${w!.estimate >= 0 ? verbs.worse : verbs.better} ${at} (${fmtRatio(e!.ratio)}${interval}), but the interval reaches within the ${thresholdPct}% noise threshold`;
    case 'no-difference':
      return `no difference ${at} beyond noise (${fmtRatio(e!.ratio)}${interval})`;
    case 'too-few':
      return `${names.b}/${names.a} ${at} ${fmtRatio(e!.ratio)}, with no interval (too few runs)`;
    case 'unmeasured': {
      const u = f.unmeasured;
      const side = (name: string, k: number, of: number) => `${name} measured nothing in ${k} of ${of} ${names.run}s`;
      const which = [u.a > 0 ? side(names.a, u.a, f.a.values.length) : null, u.b > 0 ? side(names.b, u.b, f.b.values.length) : null].filter((x) => x !== null);
      return `nothing to compare ${at}: ${which.length > 0 ? which.join(', ') : 'a side measured nothing'}${f.regression ? ' (a regression)' : ''}`;
    }
  }
}

const withUnit = (f: Figure, v: number | null) => `${fmtFigure(f, v)} ${f === 'throughput' ? 'msg/s' : 'us'}`;

/** Outlying runs of one figure, both sides: `c1-p1-closed: B round 3 at p99.99, 1113 us against a median of 69.00 us`. */
function outlierLines(s: NoisyScenario, f: NoisyFigure, names: SideNames): string[] {
  const side = (name: string, sf: SideFigure) =>
    sf.outliers.map((i) => `${s.scenario}: ${name} ${names.run} ${i + 1} at ${f.figure}, ${withUnit(f.figure, sf.values[i])} against a median of ${withUnit(f.figure, sf.median)}`);
  return [...side(names.a, f.a), ...side(names.b, f.b)];
}

/** A Mann-Kendall p-value as the notes print it. */
const fmtP = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

/** One line for a scenario's drifting figures: `drift in c1-p1-closed, ...: p50 rose 18% (p = 0.004), p99 ...`. */
function driftLine(s: NoisyScenario, names: SideNames): string | null {
  const drifting = s.figures.filter((f) => f.drift !== null);
  if (drifting.length === 0) return null;
  const each = drifting.map((f) => {
    const pct = (f.drift!.change - 1) * 100;
    return `${f.figure} ${pct >= 0 ? `rose ${fmtPct(pct)}%` : `fell ${fmtPct(-pct)}%`} (${fmtP(f.drift!.p)})`;
  });
  return `drift in ${s.scenario}, both sides alike, from the first ${names.run} to the last (Mann-Kendall): ${each.join(', ')}; the machine changed during the runs, and the intervals are wider for it`;
}

/** How a note is shown: a Paint's colour, or none. */
export type NoteKind = keyof Paint | 'plain';

/** A note as data: its words, and how it is shown (text paints it; the A/B page styles it). */
export interface Note {
  kind: NoteKind;
  text: string;
}

/** The notes, the verdicts in words, and the gate's line, in order. */
export function noisyNotes(c: NoisyComparison, names: SideNames = AB_NAMES): Note[] {
  const lines: Note[] = [];
  const note = (kind: NoteKind) => (text: string) => ({ kind, text });
  const paint = { error: note('error'), warn: note('warn'), ok: note('ok'), dim: note('dim') };
  const exact = c.confidence === null ? '' : ` (${(c.confidence * 100).toFixed(1)}% exactly)`;
  lines.push(paint.dim(`${c.runs.a} ${names.run}s of ${names.a}, ${c.runs.b} of ${names.b}; ${Math.round(c.level * 100)}% intervals${exact}: ${c.method}`));
  if (c.tooFew !== null) lines.push(paint.warn(c.tooFew));
  for (const s of c.scenarios) {
    const d = driftLine(s, names);
    if (d !== null) lines.push(paint.warn(d));
  }
  const outliers = c.scenarios.flatMap((s) => s.figures.flatMap((f) => outlierLines(s, f, names)));
  if (outliers.length > 0) lines.push(paint.warn(`outlying ${names.run}s, kept in the figures: ${outliers.join('; ')}`));
  for (const s of c.scenarios) {
    const where = [s.partial.a > 0 ? `${s.partial.a} of ${names.a}` : null, s.partial.b > 0 ? `${s.partial.b} of ${names.b}` : null].filter((w) => w !== null);
    if (where.length > 0) lines.push(paint.warn(`${s.scenario} was interrupted in ${where.join(' and ')} ${names.run}s: those cover a shorter window`));
  }
  if (c.unmatched.length > 0) lines.push(paint.warn(`not in every ${names.run}, not compared: ${c.unmatched.join(', ')}`));
  if (c.differences.length > 0) lines.push(paint.warn(`the sides differ: ${c.differences.join(', ')}`));
  for (const s of c.scenarios) {
    const changed = s.figures.filter((f) => f.verdict === 'slower' || f.verdict === 'faster');
    const rest = s.figures.filter((f) => !changed.includes(f));
    for (const f of changed) {
      const text = `${s.scenario}: ${verdictText(f, names, c.noiseThresholdPct)}`;
      lines.push(f.verdict === 'slower' ? paint.warn(text) : paint.ok(text));
    }
    const few = rest.filter((f) => f.verdict === 'too-few');
    const words = rest.filter((f) => f.verdict !== 'too-few').map((f) => verdictText(f, names, c.noiseThresholdPct));
    if (few.length > 0) words.push(`${names.b}/${names.a} ${few.map((f) => `${f.figure === 'throughput' ? 'in throughput' : `at ${f.figure}`} ${fmtRatio(f.estimate!.ratio)}`).join(', ')}, with no interval (too few runs)`);
    if (words.length > 0) lines.push({ kind: 'plain', text: `${s.scenario}: ${words.join('; ')}` });
  }
  if (c.regressions.length > 0) {
    const list = c.regressions.map((r) =>
      r.worsePct === null
        ? `${r.scenario} ${r.figure} (${names.b} measured nothing in ${r.unmeasured} ${names.run}${r.unmeasured === 1 ? '' : 's'})`
        : `${r.scenario} ${r.figure} +${fmtPct(r.worsePct.estimate)}% [${fmtPct(r.worsePct.low!)}%, ${fmtPct(r.worsePct.high!)}%]`,
    );
    lines.push(paint.error(`regression: ${names.b} is worse than ${names.a} by more than ${c.maxRegressionPct}% over the whole interval at ${list.join(', ')}`));
  } else {
    const n = c.scenarios.length;
    const why = c.tooFew !== null ? '; without an interval nothing can fail the gate' : '';
    lines.push(paint.ok(`no interval lies beyond ${c.maxRegressionPct}% worse at ${c.at.join(', ')} (${n} scenario${n === 1 ? '' : 's'})${why}`));
  }
  return lines;
}

/** The notes as text, painted. */
export function formatNoisyNotes(c: NoisyComparison, paint: Paint, names: SideNames = AB_NAMES): string {
  return noisyNotes(c, names)
    .map((n) => (n.kind === 'plain' ? n.text : paint[n.kind](n.text)))
    .join('\n');
}

/** The table, then the notes. */
export function formatNoisyComparison(c: NoisyComparison, borders: Borders, paint: Paint, names: SideNames = AB_NAMES): string {
  return `${formatNoisyTable(c, borders, names)}\n${formatNoisyNotes(c, paint, names)}`;
}
