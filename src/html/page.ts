/**
 * The page of one or more runs: a summary table, the spectra, each
 * scenario's timelines, each run's context. The document around it (the
 * inlined uPlot, script and style) is document.ts's.
 */
import { type SeriesStyle, type SpectrumInput, spectrumChart, timelineChart } from './charts.js';
import { chartSink, escapeHtml, htmlDocument, rowsTable } from './document.js';
import type { ReportRun, RunScenario } from './runs.js';
import { fmtInt, fmtUs } from '../stats/report.js';

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
  const groups = groupScenarios(runs);
  const sink = chartSink();
  const many = runs.length > 1;
  const seriesLabel = (run: ReportRun, s: RunScenario, scenarioToo: boolean) => [many ? run.label : '', scenarioToo ? s.name : ''].filter((x) => x !== '').join(' ') || s.name;
  const styleOf = lookOf(runs, groups);
  const targetUs = runs.find((r) => r.targetUs !== null)?.targetUs ?? null;

  const chartDiv = sink.figure;

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
  return htmlDocument({
    title: options.title,
    generator: options.generator,
    footnote: "Latency in microseconds; spectra on HdrHistogram's percentile axis, 1/(1-p) on a log scale.",
    body,
    charts: sink.charts,
  });
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

function contextSection(run: ReportRun, many: boolean): string {
  const parts = [`<section class="context"><h2>${many ? `Run ${escapeHtml(run.label)}` : 'The run'}</h2>`, rowsTable(run.context)];
  if (run.server !== null) parts.push("<h3>The spawned server's summary</h3>", rowsTable(run.server));
  if (run.warnings.length > 0) parts.push('<h3>Warnings</h3>', `<ul class="warnings">${run.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`);
  parts.push('</section>');
  return parts.join('');
}
