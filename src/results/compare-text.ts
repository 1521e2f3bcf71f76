/**
 * `benchmark compare` as text, from the comparison's data (compare.ts), by
 * functions that return strings: each run's context, then one row per
 * scenario and figure, BASELINE and NEW side by side with their ratio, then
 * the notes and the verdict, in colour where it helps (`paint`). The table
 * stays plain, so that its columns line up in any terminal.
 */
import type { Paint } from '../cli/colour.js';
import { fmtInt, fmtUs } from '../stats/report.js';
import type { ComparedRun, Comparison, Figure, FigureComparison } from './compare.js';
import { type Borders, renderTable } from '../report/table.js';
import { scenarioSize } from '../report/benchmark.js';
import { sizesOf } from '../report/scenario.js';

/** One line telling what a run was: which build, where, when, and against what. */
export function formatRunContext(label: string, file: string, r: ComparedRun): string {
  const m = r.meta;
  const commit = m.commit === null ? 'commit unknown' : `commit ${m.commit.slice(0, 12)}${m.commit.endsWith('+') ? '+' : ''}`;
  return `${label.padEnd(8)}  ${file}: ${m.tool} ${m.version}, ${commit}, node ${m.node}, host ${m.hostname}, started ${m.startedAt}; ${r.framing} ${r.mode} ${r.size !== null ? r.size : sizesOf(r.scenarios.map((s) => ({ size: scenarioSize(s, r) }))).join(',')} B to ${r.address}`;
}

export const figureLabel = (f: Figure) => (f === 'throughput' ? 'msg/s' : `${f} us`);
export const fmtFigure = (f: Figure, v: number | null) => (v === null ? '-' : f === 'throughput' ? fmtInt(v) : fmtUs(v));
const fmtRatio = (r: number | null) => (r === null ? '-' : r.toFixed(3));

function gateCell(f: FigureComparison): string {
  if (f.regression) return 'WORSE';
  return f.ratio === null ? '-' : 'ok';
}

/** A regression as the verdict names it: `c1-p1-closed p99 +200.0%`. */
function fmtRegression(scenario: string, f: Pick<FigureComparison, 'figure' | 'worsePct'>): string {
  const by = f.worsePct === null ? 'nothing measured' : f.figure === 'throughput' ? `-${f.worsePct.toFixed(1)}%` : `+${f.worsePct.toFixed(1)}%`;
  return `${scenario} ${f.figure} ${by}`;
}

/** The table: a row per scenario and figure; a scenario's name only on its first row, `*` when partial in either run. */
export function formatComparisonTable(c: Comparison, borders: Borders): string {
  const rows = c.scenarios.flatMap((s) => {
    const name = s.partial.baseline || s.partial.new ? `${s.scenario} *` : s.scenario;
    return s.figures.map((f, i) => [i === 0 ? name : '', figureLabel(f.figure), fmtFigure(f.figure, f.baseline), fmtFigure(f.figure, f.new), fmtRatio(f.ratio), gateCell(f)]);
  });
  return renderTable(['scenario', 'figure', 'baseline', 'new', 'new/base', 'gate'], rows, borders);
}

/** Partial scenarios, scenarios in one run only, workload differences, then the verdict. */
export function formatComparisonNotes(c: Comparison, paint: Paint): string {
  const lines: string[] = [];
  for (const s of c.scenarios) {
    const where = [s.partial.baseline ? 'BASELINE' : null, s.partial.new ? 'NEW' : null].filter((w) => w !== null).join(' and ');
    if (where !== '') lines.push(paint.warn(`* ${s.scenario} was interrupted in ${where} (partial): its figures there cover a shorter window`));
  }
  if (c.unmatched.baseline.length > 0) lines.push(paint.warn(`only in BASELINE, not compared: ${c.unmatched.baseline.join(', ')}`));
  if (c.unmatched.new.length > 0) lines.push(paint.warn(`only in NEW, not compared: ${c.unmatched.new.join(', ')}`));
  if (c.differences.length > 0) lines.push(paint.warn(`the runs differ: ${c.differences.join(', ')}`));
  const figures = c.at.join(', ');
  if (c.regressions.length > 0) {
    lines.push(paint.error(`regression: NEW is worse than BASELINE by more than ${c.maxRegressionPct}% at ${c.regressions.map((r) => fmtRegression(r.scenario, r)).join(', ')}`));
  } else {
    const n = c.scenarios.length;
    lines.push(paint.ok(`no regression beyond ${c.maxRegressionPct}% at ${figures} (${n} scenario${n === 1 ? '' : 's'})`));
  }
  return lines.join('\n');
}
