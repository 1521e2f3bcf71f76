/**
 * One self-contained HTML page from one or more runs: it opens from
 * `file://` with no network. Everything it needs is inlined: uPlot (the
 * chart library, from its npm package), the page's own script and style
 * (assets/), and the charts' data as JSON. Tables and context are plain
 * HTML, so they read and print without the script; the script only draws
 * the charts.
 *
 * Why uPlot: about 50 KB minified, canvas-drawn (thousands of points cost
 * nothing), log scales on both axes (the HdrHistogram percentile plot needs
 * a log x), no dependencies, MIT; Chart.js is four times its size and
 * slower on large series, Plotly ten times and more.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type ChartData, type SeriesStyle, type SpectrumInput, spectrumChart, timelineChart } from './charts.js';
import type { ReportRun, RunScenario } from './runs.js';
import { fmtInt, fmtUs } from '../stats/report.js';

const require = createRequire(import.meta.url);
/** assets/ at the package root: two levels above src/html/ and dist/html/. */
const ASSETS = new URL('../../assets/', import.meta.url);

let inlined: { uplotJs: string; uplotCss: string; js: string; css: string; uplotVersion: string } | null = null;

/** The files the page inlines, read once. */
function assets(): NonNullable<typeof inlined> {
  if (inlined !== null) return inlined;
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const uplotVersion = (JSON.parse(readFileSync(require.resolve('uplot/package.json'), 'utf8')) as { version: string }).version;
  inlined = { uplotJs, uplotCss, uplotVersion, js: readFileSync(new URL('report.js', ASSETS), 'utf8'), css: readFileSync(new URL('report.css', ASSETS), 'utf8') };
  return inlined;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON that cannot end the script element it sits in, nor open a comment. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

/** Inlined script text: nothing in it may close its element early. */
const scriptText = (s: string): string => s.replace(/<\/script/gi, '<\\/script');

export interface PageOptions {
  /** The page's title, e.g. "respuesta-benchmark report". */
  title: string;
  /** Who wrote the page (program and version), for its footer. */
  generator: string;
}

/** A scenario as it is named across runs, and the runs that have it. */
interface ScenarioGroup {
  name: string;
  entries: Array<{ run: ReportRun; runIndex: number; scenario: RunScenario }>;
}

function groupScenarios(runs: readonly ReportRun[]): ScenarioGroup[] {
  const groups: ScenarioGroup[] = [];
  for (const [runIndex, run] of runs.entries()) {
    for (const scenario of run.scenarios) {
      let g = groups.find((x) => x.name === scenario.name);
      if (g === undefined) {
        g = { name: scenario.name, entries: [] };
        groups.push(g);
      }
      g.entries.push({ run, runIndex, scenario });
    }
  }
  return groups;
}

/**
 * How each (run, scenario) is drawn, the same in every chart it appears in.
 * Several runs: a colour per run (the palette has eight that stay apart) and
 * a dash per scenario, so that runs read apart at a glance and a run's
 * scenarios read as one family; the legend groups the series by run. One
 * run: its scenarios take the colours, all solid, as there is no run to
 * tell apart.
 */
function lookOf(runs: readonly ReportRun[], groups: readonly ScenarioGroup[]): (s: RunScenario) => SeriesStyle {
  const looks = new Map<RunScenario, SeriesStyle>();
  groups.forEach((g, scenarioIndex) => {
    for (const e of g.entries) {
      looks.set(e.scenario, runs.length > 1 ? { colour: e.runIndex, dash: scenarioIndex, group: e.run.label } : { colour: scenarioIndex, dash: 0 });
    }
  });
  return (s) => looks.get(s)!;
}

/** The page: a summary table, the spectrum of every scenario, then per scenario its spectrum (runs overlaid) and timelines, then each run's context. */
export function renderPage(runs: readonly ReportRun[], options: PageOptions): string {
  const a = assets();
  const groups = groupScenarios(runs);
  const charts: ChartData[] = [];
  const many = runs.length > 1;
  const seriesLabel = (run: ReportRun, s: RunScenario, scenarioToo: boolean) => [many ? run.label : '', scenarioToo ? s.name : ''].filter((x) => x !== '').join(' ') || s.name;
  const styleOf = lookOf(runs, groups);
  const targetUs = runs.find((r) => r.targetUs !== null)?.targetUs ?? null;

  const chartDiv = (c: ChartData): string => {
    charts.push(c);
    return `<figure class="chart ${c.kind}" data-chart="${charts.length - 1}"><figcaption>${escapeHtml(c.title)}</figcaption><div class="plot"></div></figure>`;
  };

  const body: string[] = [];
  body.push(`<header><h1>${escapeHtml(options.title)}</h1><p class="sub">${runs.map((r) => `<span>${escapeHtml(r.label)}</span>: ${escapeHtml(r.source)}`).join('<br>')}</p></header>`);
  body.push(summaryTable(runs, many));

  const withHistograms = groups.flatMap((g) => g.entries.filter((e) => e.scenario.latency !== null));
  if (groups.length > 1 && withHistograms.length > 0) {
    // Grouped by run, the legend's order: each run's scenarios together.
    const inputs = withHistograms
      .sort((a, b) => a.runIndex - b.runIndex)
      .map((e) => ({ label: many ? e.scenario.name : seriesLabel(e.run, e.scenario, true), histogram: e.scenario.latency!, ...styleOf(e.scenario) }));
    body.push(`<section><h2>Latency by percentile, every scenario</h2>${chartDiv(spectrumChart('corrected latency (us) by percentile', inputs, [], targetUs))}</section>`);
  }

  for (const g of groups) {
    const parts: string[] = [`<section class="scenario"><h2>${escapeHtml(g.name)}</h2>`];
    const inputs = g.entries.flatMap((e) => {
      if (e.scenario.latency === null) return [];
      const style = styleOf(e.scenario);
      // On a page of several runs the legend names the run above its series: the series name the scenario.
      const label = many ? g.name : seriesLabel(e.run, e.scenario, false);
      const open = e.scenario.uncorrected !== null;
      const out: SpectrumInput[] = [{ label: open ? `${label} corrected` : label, histogram: e.scenario.latency, ...style }];
      if (open) out.push({ label: `${label} uncorrected`, histogram: e.scenario.uncorrected!, ...style, faint: true });
      return out;
    });
    const slo = g.entries[0].run.slo;
    if (inputs.length > 0) parts.push(chartDiv(spectrumChart(`${g.name}: latency (us) by percentile`, inputs, slo, g.entries[0].run.targetUs)));
    else parts.push('<p class="note">No histograms were kept for this scenario (a report saved without them): no charts.</p>');
    for (const e of g.entries) {
      if (e.scenario.timeline.length === 0) continue;
      parts.push(chartDiv(timelineChart(`${many ? `${e.run.label}: ` : ''}${g.name} over time: p50, p99, max (us, left), msg/s (right), errors (red marks)`, e.scenario.timeline)));
    }
    const notes = g.entries.flatMap((e) => [...e.scenario.sloBreaches.map((b) => `SLO broken: ${b}`), ...e.scenario.warnings].map((w) => (many ? `${e.run.label}: ${w}` : w)));
    if (notes.length > 0) parts.push(`<ul class="warnings">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
    parts.push('</section>');
    body.push(parts.join(''));
  }

  for (const run of runs) body.push(contextSection(run, many));
  body.push(
    `<footer>Written by ${escapeHtml(options.generator)} with uPlot ${escapeHtml(a.uplotVersion)}. Latency in microseconds; spectra on HdrHistogram's percentile axis, 1/(1-p) on a log scale.</footer>`,
  );

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>${a.uplotCss}</style>
<style>${a.css}</style>
</head>
<body>
${body.join('\n')}
<script type="application/json" id="report-data">${scriptJson({ charts })}</script>
<script>${scriptText(a.uplotJs)}</script>
<script>${scriptText(a.js)}</script>
</body>
</html>
`;
}

function summaryTable(runs: readonly ReportRun[], many: boolean): string {
  const head = `<tr>${many ? '<th>run</th>' : ''}<th>scenario</th><th>messages</th><th>msg/s</th><th>p50</th><th>p99</th><th>p99.9</th><th>max</th><th>errors</th></tr>`;
  const rows = runs.flatMap((run) =>
    run.scenarios.map((s) => {
      const l = s.latencyUs;
      const cells = [
        ...(many ? [escapeHtml(run.label)] : []),
        `${escapeHtml(s.name)}${s.partial ? ' <span class="tag">partial</span>' : ''}`,
        fmtInt(s.messages),
        fmtInt(s.msgPerS),
        fmtUs(l?.p50),
        fmtUs(l?.p99),
        fmtUs(l?.p99_9),
        fmtUs(l?.max),
        s.errors === null ? '-' : fmtInt(s.errors),
      ];
      const bad = (s.errors ?? 0) > 0 || s.sloBreaches.length > 0;
      return `<tr${bad ? ' class="bad"' : ''}>${cells.map((c, i) => `<td${i >= (many ? 2 : 1) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`;
    }),
  );
  return `<section><h2>Summary</h2><div class="scroll"><table class="summary"><caption>latency in microseconds</caption><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div></section>`;
}

function rowsTable(rows: Array<[string, string]>): string {
  return `<div class="scroll"><table class="context">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table></div>`;
}

function contextSection(run: ReportRun, many: boolean): string {
  const parts = [`<section class="context"><h2>${many ? `Run ${escapeHtml(run.label)}` : 'The run'}</h2>`, rowsTable(run.context)];
  if (run.server !== null) parts.push("<h3>The spawned server's summary</h3>", rowsTable(run.server));
  if (run.warnings.length > 0) parts.push('<h3>Warnings</h3>', `<ul class="warnings">${run.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`);
  parts.push('</section>');
  return parts.join('');
}
