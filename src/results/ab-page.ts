/**
 * `benchmark ab --report`: the page of an A/B comparison over rounds. On
 * top, the sides, the method, the comparison table and the verdicts and
 * notes, in noise-text.ts's words (the page says what the terminal says);
 * then per scenario both sides' latency spectra, each side's rounds merged
 * (histograms add exactly) with every round's own spectrum paler behind,
 * and for each compared figure its value round by round, a line per side,
 * so that drift and an outlying round are seen, not only read about; last,
 * each side's context (its placement among it).
 *
 * It lives with the comparison it draws (src/results), not in src/html:
 * a lower layer never imports a program folder, and the comparison's
 * types and words are this folder's. The page's frame and charts are
 * src/html's, shared with every other report page.
 */
import { type RoundsInput, type SpectrumInput, roundsChart, spectrumChart } from '../html/charts.js';
import { type ChartSink, chartSink, escapeHtml, htmlDocument, rowsTable } from '../html/document.js';
import { benchmarkRun } from '../html/runs.js';
import type { BenchmarkReport } from '../report/benchmark.js';
import { sumEncoded } from '../stats/histogram.js';
import { hasSizes } from './compare.js';
import { figureLabel } from './compare-text.js';
import { type NoisyComparison, type NoisyFigure, type NoisyScenario, byName } from './noise-compare.js';
import { AB_NAMES, noisyNotes, noisyTableCells, verdictText } from './noise-text.js';

/** One side: its label (the endpoint) and its rounds, each a full `benchmark --json` report, in the order they ran. */
export interface AbSide {
  label: string;
  rounds: BenchmarkReport[];
  /** The processes listening at the side's endpoint and their CPUs (ab-text.ts formatPlacement), when known. */
  placement?: string;
}

export interface AbPageInput {
  a: AbSide;
  b: AbSide;
  /** Where the client ran (`CPUs 1, the same for every run`), when known. */
  client?: string;
  comparison: NoisyComparison;
  /** Who wrote the page (program and version), for its footer. */
  generator: string;
}

/** The sides' colours in every chart (the palette's first two, a blue and an orange: far apart, colour-blind safe). */
const COLOUR = { a: 0, b: 1 } as const;

/** The comparison as an HTML table: noise-text's cells, a row marked when it is a regression. */
function comparisonTable(c: NoisyComparison): string {
  const { head, rows } = noisyTableCells(c, AB_NAMES);
  const figures = c.scenarios.flatMap((s) => s.figures);
  const body = rows.map((cells, i) => {
    const f = figures[i];
    const look = f.regression ? ' class="bad"' : f.verdict === 'slower' ? ' class="worse"' : f.verdict === 'faster' ? ' class="better"' : '';
    return `<tr${look}>${cells.map((cell, j) => `<td${j >= 2 ? ' class="num"' : ''}>${escapeHtml(cell)}</td>`).join('')}</tr>`;
  });
  const caption = `latency in microseconds, throughput in msg/s; each side's median and range over its ${AB_NAMES.run}s; B/A with its interval; ~: no difference beyond noise`;
  return `<div class="scroll"><table class="summary ab"><caption>${escapeHtml(caption)}</caption><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>`;
}

/** Each round's latency histogram of one scenario (null where a round kept none), found by the name the comparison paired it by. */
function roundHistograms(rounds: readonly BenchmarkReport[], scenario: string, sized: boolean): Array<string | null> {
  return rounds.map((r) => {
    // byName keeps the run's own scenario objects: found by identity, with their histograms.
    const paired = byName(r, sized).get(scenario);
    return r.scenarios.find((x) => x === paired)?.histograms?.latency ?? null;
  });
}

/** The latency figures a round is outlying at, on one side: `p99, p99.9`. */
function outlyingAt(s: NoisyScenario, side: 'a' | 'b', round: number): string[] {
  return s.figures.filter((f) => f.figure !== 'throughput' && f[side].outliers.includes(round)).map((f) => f.figure);
}

/** One side's series on a scenario's spectrum: its rounds merged, then each round's own, paler. */
function sideSpectrum(s: NoisyScenario, side: 'a' | 'b', input: AbSide, sized: boolean): SpectrumInput[] {
  const style = { colour: COLOUR[side], group: `${AB_NAMES[side]}: ${input.label}` };
  const kept = roundHistograms(input.rounds, s.scenario, sized);
  const present = kept.filter((h): h is string => h !== null);
  if (present.length === 0) return [];
  const merged = `${present.length} ${AB_NAMES.run}${present.length === 1 ? '' : 's'} merged${present.length < kept.length ? ` (of ${kept.length})` : ''}`;
  const out: SpectrumInput[] = [{ ...style, label: merged, histogram: sumEncoded(present) }];
  kept.forEach((h, i) => {
    if (h === null) return;
    const odd = outlyingAt(s, side, i);
    out.push({ ...style, label: `${AB_NAMES.run} ${i + 1}${odd.length > 0 ? `, outlying at ${odd.join(', ')}` : ''}`, histogram: h, faint: true });
  });
  return out;
}

/** One figure round by round, a line per side. */
function figureRounds(s: NoisyScenario, f: NoisyFigure, c: NoisyComparison): ReturnType<typeof roundsChart> {
  const side = (k: 'a' | 'b'): RoundsInput => ({ label: AB_NAMES[k], colour: COLOUR[k], values: f[k].values, median: f[k].median, outliers: f[k].outliers });
  const title = `${s.scenario}, ${figureLabel(f.figure)} by ${AB_NAMES.run}: ${verdictText(f, AB_NAMES, c.noiseThresholdPct)}`;
  return roundsChart(title, f.figure === 'throughput' ? 'rate' : 'us', [side('a'), side('b')]);
}

function scenarioSection(s: NoisyScenario, input: AbPageInput, sized: boolean, sink: ChartSink): string {
  const parts = [`<section class="scenario"><h2>${escapeHtml(s.scenario)}</h2>`];
  const inputs = [...sideSpectrum(s, 'a', input.a, sized), ...sideSpectrum(s, 'b', input.b, sized)];
  const targetUs = input.a.rounds[0]?.targetUs ?? null;
  if (inputs.length > 0) {
    const title = `${s.scenario}: latency (us) by percentile, each side's ${AB_NAMES.run}s merged, and each ${AB_NAMES.run} paler`;
    parts.push(sink.figure(spectrumChart(title, inputs, [], targetUs)));
  } else parts.push('<p class="note">No histograms were kept for this scenario\'s rounds: no spectrum.</p>');
  parts.push(`<div class="rounds-grid">${s.figures.map((f) => sink.figure(figureRounds(s, f, input.comparison))).join('')}</div>`, '</section>');
  return parts.join('');
}

function sideContext(side: 'a' | 'b', input: AbSide): string {
  const first = input.rounds[0];
  const rows: Array<[string, string]> = [['rounds', String(input.rounds.length)]];
  if (first !== undefined) rows.push(...benchmarkRun(first, input.label).context);
  return `<h3>${AB_NAMES[side]}: ${escapeHtml(input.label)}</h3>${rowsTable(rows)}`;
}

/** The page of an A/B comparison: one self-contained HTML document. */
export function abPage(input: AbPageInput): string {
  const c = input.comparison;
  const sink = chartSink();
  const sized = [...input.a.rounds, ...input.b.rounds].some(hasSizes);
  const notes = noisyNotes(c, AB_NAMES);
  const method = notes.filter((n) => n.kind === 'dim').map((n) => `<p class="note method">${escapeHtml(n.text)}</p>`);
  const rest = notes.filter((n) => n.kind !== 'dim').map((n) => `<li class="${n.kind}">${escapeHtml(n.text)}</li>`);
  const title = `A/B: ${input.a.label} against ${input.b.label}`;
  const body = [
    `<header><h1>${escapeHtml(title)}</h1><p class="sub">${(['a', 'b'] as const).map((k) => `<span>${AB_NAMES[k]}</span>: ${escapeHtml(input[k].label)}, ${input[k].rounds.length} ${AB_NAMES.run}s${input[k].placement === undefined ? '' : `; listening: ${escapeHtml(input[k].placement!)}`}`).join('<br>')}${input.client === undefined ? '' : `<br>client: ${escapeHtml(input.client)}`}</p>${method.join('')}</header>`,
    `<section><h2>Comparison</h2>${comparisonTable(c)}<ul class="verdicts">${rest.join('')}</ul></section>`,
    ...c.scenarios.map((s) => scenarioSection(s, input, sized, sink)),
    `<section class="context"><h2>The sides</h2>${sideContext('a', input.a)}${sideContext('b', input.b)}</section>`,
  ];
  return htmlDocument({
    title,
    generator: input.generator,
    footnote:
      "Latency in microseconds, throughput in messages per second; spectra on HdrHistogram's percentile axis, 1/(1-p) on a log scale; by round: a point per round, outlying rounds ringed in red, kept in the figures.",
    body,
    charts: sink.charts,
  });
}
