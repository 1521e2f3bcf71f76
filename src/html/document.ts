/**
 * The frame every report page shares: one self-contained HTML document that
 * opens from `file://` with no network. Everything it needs is inlined:
 * uPlot (the chart library, from its npm package), the page's own script
 * and style (assets/), and the charts' data as JSON. Tables and context are
 * plain HTML, so they read and print without the script; the script only
 * draws the charts. The run report (page.ts) and the A/B page
 * (src/results/ab-page.ts) each compose their body and hand it here.
 *
 * Why uPlot: about 50 KB minified, canvas-drawn (thousands of points cost
 * nothing), log scales on both axes (the HdrHistogram percentile plot needs
 * a log x), no dependencies, MIT; Chart.js is four times its size and
 * slower on large series, Plotly ten times and more.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartData } from './charts.js';

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

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON that cannot end the script element it sits in, nor open a comment. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

/** Inlined script text: nothing in it may close its element early. */
const scriptText = (s: string): string => s.replace(/<\/script/gi, '<\\/script');

/** Rows of name and value as a two-column table (a run's context). */
export function rowsTable(rows: ReadonlyArray<readonly [string, string]>): string {
  return `<div class="scroll"><table class="context">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table></div>`;
}

/** The charts of one page, in the order their figures appear: `figure` places one and returns its element. */
export interface ChartSink {
  charts: ChartData[];
  figure(c: ChartData): string;
}

export function chartSink(): ChartSink {
  const charts: ChartData[] = [];
  return {
    charts,
    figure(c) {
      charts.push(c);
      return `<figure class="chart ${c.kind}" data-chart="${charts.length - 1}"><figcaption>${escapeHtml(c.title)}</figcaption><div class="plot"></div></figure>`;
    },
  };
}

export interface DocumentParts {
  title: string;
  /** Who wrote the page (program and version), for its footer. */
  generator: string;
  /** What the footer says of the figures, after who wrote the page. */
  footnote: string;
  /** The body's sections, HTML. */
  body: readonly string[];
  charts: readonly ChartData[];
}

/** The whole document: head with the inlined styles, the body, the charts' data and the scripts that draw them. */
export function htmlDocument(p: DocumentParts): string {
  const a = assets();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(p.title)}</title>
<style>${a.uplotCss}</style>
<style>${a.css}</style>
</head>
<body>
${p.body.join('\n')}
<footer>Written by ${escapeHtml(p.generator)} with uPlot ${escapeHtml(a.uplotVersion)}. ${escapeHtml(p.footnote)}</footer>
<script type="application/json" id="report-data">${scriptJson({ charts: p.charts })}</script>
<script>${scriptText(a.uplotJs)}</script>
<script>${scriptText(a.js)}</script>
</body>
</html>
`;
}
