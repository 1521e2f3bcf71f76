/**
 * The HTML report: its chart data checked against the histograms it comes
 * from (over random histograms), the page's structure, the commands that
 * write it (--report on the benchmark and the client, `benchmark report`,
 * `merge --html`), and the pages opened in real headless Chromium (Debian's
 * chromium driven by playwright-core): from a file, with no request leaving
 * it, no console error, every chart drawn, readable at a phone's width and
 * printable. Screenshots are kept in test-artifacts/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { spectrumChart, timelineChart } from '../src/html/charts.js';
import { renderPage } from '../src/html/page.js';
import type { ReportRun } from '../src/html/runs.js';
import { createHistogram, encodeHistogram, initHistograms } from '../src/stats/histogram.js';
import { ROOT, type RunningServer, runBin, startServer, tempDir } from './helpers.js';
import { CHROMIUM_ARGS, chromiumPath } from './report-browser.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');

/** An encoded histogram of these nanosecond values. */
function encoded(values: readonly number[]): string {
  const h = createHistogram();
  for (const v of values) h.recordValue(v);
  const out = encodeHistogram(h);
  h.destroy();
  return out;
}

/**
 * Run in the page: each chart's canvas, its width on screen, and how many of
 * its pixels are in a series colour of the page's palette (not the grid, the
 * text or the background): a chart whose series were not drawn has none.
 */
const CANVAS_PROBE = `(() => {
  const palette = [[0, 114, 178], [230, 159, 0], [0, 158, 115], [204, 121, 167], [86, 180, 233], [213, 94, 0], [214, 39, 40]];
  return [...document.querySelectorAll('figure.chart canvas')].map((canvas) => {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let coloured = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] < 200) continue;
      if (palette.some(([r, g, b]) => Math.abs(pixels[i] - r) < 12 && Math.abs(pixels[i + 1] - g) < 12 && Math.abs(pixels[i + 2] - b) < 12)) coloured++;
    }
    return { width: canvas.getBoundingClientRect().width, coloured };
  });
})()`;

describe('report charts', () => {
  before(() => initHistograms());

  it('a spectrum never goes down, ends at the maximum, and puts SLO points at their percentile', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50_000_000 }), { minLength: 1, maxLength: 3000 }), (values) => {
        const chart = spectrumChart('t', [{ label: 'a', histogram: encoded(values), colour: 0 }], [{ name: 'p99', p: 99, us: 500 }], 1000);
        const ys = chart.series[0].values;
        for (let i = 1; i < chart.x.length; i++) assert.ok(chart.x[i] > chart.x[i - 1], 'x increases');
        const drawn = ys.filter((y): y is number => y !== null);
        for (let i = 1; i < drawn.length; i++) assert.ok(drawn[i] >= drawn[i - 1], `y never decreases (${drawn[i - 1]} then ${drawn[i]})`);
        // The series ends at 1/(1-p) = N, at the histogram's maximum (within its bucket: 3 significant digits).
        const last = ys.reduce<number>((at, y, i) => (y === null ? at : i), -1);
        assert.equal(chart.x[last], values.length);
        const max = Math.max(...values) / 1000;
        assert.ok(Math.abs(drawn.at(-1)! - max) <= max * 0.001 + 0.001, `last ${drawn.at(-1)} vs max ${max}`);
        // The SLO series has one point, at x = 1/(1 - 0.99) = 100, when the histogram reaches that far.
        const slo = chart.series[1];
        const points = slo.values.flatMap((v, i) => (v === null ? [] : [chart.x[i]]));
        assert.deepEqual(points.length, 1);
        assert.ok(Math.abs(points[0] - 100) < 1e-9 || values.length < 100);
        assert.equal(chart.targetUs, 1000);
      }),
      { numRuns: 60 },
    );
  });

  it('series of different counts share the grid; each stops at its own count', () => {
    const small = Array.from({ length: 100 }, (_, i) => 1000 + i);
    const large = Array.from({ length: 10_000 }, (_, i) => 2000 + i);
    const chart = spectrumChart(
      't',
      [
        { label: 'small', histogram: encoded(small), colour: 0 },
        { label: 'large', histogram: encoded(large), colour: 1, dash: 2, faint: true, group: 'B' },
      ],
      [],
      null,
    );
    const lastOf = (v: Array<number | null>) => chart.x[v.reduce<number>((last, y, i) => (y === null ? last : i), -1)];
    assert.equal(lastOf(chart.series[0].values), 100);
    assert.equal(lastOf(chart.series[1].values), 10_000);
    // The look is passed through as given: the page draws it.
    assert.deepEqual([chart.series[1].dash, chart.series[1].faint, chart.series[1].group], [2, true, 'B']);
  });

  it('a timeline marks only the intervals with errors', () => {
    const points = [
      { endS: 1, p50: 10, p99: 20, max: 30, msgPerS: 1000, errors: 0 },
      { endS: 2, p50: 11, p99: 21, max: 31, msgPerS: 900, errors: 3 },
    ];
    const chart = timelineChart('t', points);
    assert.deepEqual(chart.x, [1, 2]);
    assert.deepEqual(
      chart.series.map((s) => s.label),
      ['p50', 'p99', 'max', 'msg/s', 'errors'],
    );
    assert.deepEqual(chart.series[4].values, [null, 3]);
    assert.equal(timelineChart('t', [points[0]]).series.length, 4, 'no error series without errors');
  });
});

describe('report page', () => {
  before(() => initHistograms());

  const run = (label: string): ReportRun => ({
    label,
    source: 'test',
    context: [['command', `benchmark --label '${label}'`]],
    server: null,
    warnings: [],
    scenarios: [
      {
        name: 'c1-p1-closed',
        messages: 3,
        msgPerS: 3,
        latencyUs: { min: 1, mean: 2, stdev: 1, p50: 2, p90: 3, p99: 3, p99_9: 3, p99_99: 3, max: 3 },
        errors: 0,
        partial: false,
        latency: encoded([1000, 2000, 3000]),
        uncorrected: null,
        timeline: [],
        warnings: [],
        sloBreaches: [],
      },
    ],
    slo: [],
    targetUs: 1000,
  });

  it('is self-contained: no external script, style, font or image; text and data cannot break out of their elements', () => {
    const html = renderPage([run('</script><script>alert(1)</script>'), run('b')], { title: 'a <b>title</b>', generator: 'test' });
    assert.doesNotMatch(html, /<script[^>]+src=/i);
    assert.doesNotMatch(html, /<link\b/i);
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i);
    assert.doesNotMatch(html, /@import|@font-face|url\(\s*["']?https?:/i);
    assert.equal(html.match(/<script/gi)?.length, 3, 'the data, uPlot and the page script: three script elements');
    assert.equal(html.match(/<\/script>/gi)?.length, 3, 'no label closes a script element early');
    assert.match(html, /<title>a &#60;b&#62;title&#60;\/b&#62;<\/title>/);
    // Two runs, one scenario in common: one spectrum overlaying both, no all-scenarios chart (one scenario).
    assert.equal(html.match(/class="chart spectrum"/g)?.length, 1);
  });
});

describe('report commands', () => {
  let server: RunningServer;
  let dir: string;

  before(async () => {
    dir = tempDir();
    server = await startServer(['--port', '0']);
  });
  after(() => server?.stop());

  it('benchmark --report writes the page beside --json; the JSON intervals carry their errors', async () => {
    const page = join(dir, 'bench.html');
    const r = await runBin('benchmark', ['-p', String(server.port), '-c', '2', '-R', '2000', '-d', '1', '-w', '0.2', '--interval', '0.25', '--report', page, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.options.report, page);
    assert.ok(report.scenarios[0].histograms.intervals.every((iv: { errors: number }) => iv.errors === 0));
    assert.deepEqual(report.meta.argv.slice(1, 3), ['-p', String(server.port)]);
    const html = readFileSync(page, 'utf8');
    assert.match(html, /c2-p1-r2000/);
    assert.match(html, /uncorrected/);
    assert.match(r.stderr, /report written to /);
  });

  it('an unwritable --report fails before the run, in one line', async () => {
    const r = await runBin('benchmark', ['-p', String(server.port), '-d', '0.2', '-w', '0', '--report', join(dir, 'missing', 'x.html')]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^\S+: cannot write --report: .*ENOENT.*\n$/);
  });

  it('client --report, then benchmark report overlays the client, a benchmark run and an interval log', async () => {
    const clientJson = join(dir, 'client.json');
    const clientPage = join(dir, 'client.html');
    const hlog = join(dir, 'client.hlog');
    const c = await runBin('client', ['-p', String(server.port), '-n', '2000', '-w', '100', '--json', '--hlog', hlog, '--report', clientPage]);
    assert.equal(c.code, 0, c.stderr);
    writeFileSync(clientJson, c.stdout);
    assert.match(readFileSync(clientPage, 'utf8'), /rtt: latency \(us\) by percentile/);

    const b = await runBin('benchmark', ['-p', String(server.port), '-c', '1', '-d', '0.5', '-w', '0.1', '--json']);
    assert.equal(b.code, 0, b.stderr);
    const benchJson = join(dir, 'bench-saved.json');
    writeFileSync(benchJson, b.stdout);

    const page = join(dir, 'all.html');
    const r = await runBin('benchmark', ['report', clientJson, hlog, benchJson, '--label', 'probe', '--html', page]);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(page, 'utf8');
    // The client's JSON and its log are the same scenario (rtt): one spectrum holds both.
    assert.match(html, /<span>probe<\/span>/);
    assert.match(html, /<span>client\.hlog<\/span>/, 'two default labels alike (client.json, client.hlog) keep their extensions');
    assert.match(html, /<h2>rtt<\/h2>/);
    assert.match(html, /<h2>c1-p1-closed<\/h2>/);
    assert.match(html, /Latency by percentile, every scenario/);
    // The client's measured count (not counting the warm-up) is in the summary, from JSON and log alike.
    assert.equal(html.match(/<td class="num">2,000<\/td>/g)?.length, 2);
  });

  it('benchmark report refuses what is not a kept run, in one line, exit 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"hello": 1}');
    const r = await runBin('benchmark', ['report', bad, '--html', join(dir, 'x.html')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.json: not a benchmark report/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    const labels = await runBin('benchmark', ['report', bad, '--label', 'a', '--label', 'b', '--html', join(dir, 'x.html')]);
    assert.equal(labels.code, 2);
    assert.match(labels.stderr, /2 labels for 1 run/);
    assert.equal(existsSync(join(dir, 'x.html')), false);
  });
});

describe('report pages in Chromium', () => {
  const browserPath = chromiumPath();
  let server: RunningServer;
  let dir: string;
  let benchPage: string;
  let clientPage: string;

  before(async () => {
    if ('skip' in browserPath) return;
    dir = tempDir();
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServer(['--port', '0']);
    benchPage = join(dir, 'bench.html');
    clientPage = join(dir, 'client.html');
    // Closed and open loop, with SLO points: every kind of series the page draws.
    const b = await runBin('benchmark', ['-p', String(server.port), '-c', '1,4', '-R', '2000', '-d', '1', '-w', '0.2', '--interval', '0.25', '--slo', 'p99=5000', '--report', benchPage]);
    assert.ok(existsSync(benchPage), b.stderr);
    const c = await runBin('client', ['-p', String(server.port), '-n', '3000', '-w', '100', '--interval', '0.05', '--report', clientPage]);
    assert.equal(c.code, 0, c.stderr);
  });
  after(() => server?.stop());

  /** Open `file` in headless Chromium at `width`, collect what went wrong, measure each chart, and keep a screenshot. */
  async function open(file: string, width: number, shot: string) {
    const { chromium } = await import('playwright-core');
    if ('skip' in browserPath) throw new Error(browserPath.skip);
    const browser = await chromium.launch({
      executablePath: browserPath.path,
      args: CHROMIUM_ARGS,
    });
    try {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(file).href;
      await page.goto(url, { waitUntil: 'load' });
      // Each chart's canvas: its size, and how many pixels are in a series colour (not grid, text or background).
      const charts = (await page.evaluate(CANVAS_PROBE)) as Array<{ width: number; coloured: number }>;
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
      const figures = await page.locator('figure.chart').count();
      const path = join(ARTIFACTS, shot);
      await page.screenshot({ path, fullPage: true });
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({ format: 'A4' });
      return { problems, requests, url, charts, figures, overflow, pdf, path };
    } finally {
      await browser.close();
    }
  }

  it('the benchmark page loads from its file alone, with no error, and draws every chart', async (t) => {
    if ('skip' in browserPath) return t.skip(browserPath.skip);
    const r = await open(benchPage, 1100, 'report-benchmark.png');
    t.diagnostic(`screenshot: ${r.path}`);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.requests, [r.url], 'no request but the page itself');
    // Two scenarios: the all-scenarios spectrum, then per scenario a spectrum and a timeline.
    assert.equal(r.figures, 5);
    assert.equal(r.charts.length, 5, 'one canvas per chart');
    for (const [i, c] of r.charts.entries()) assert.ok(c.coloured > 100, `chart ${i + 1} has its series drawn (${c.coloured} coloured pixels)`);
    assert.equal(r.overflow <= 0, true, 'nothing wider than the window');
    assert.ok(r.pdf.length > 20_000, `printed to ${r.pdf.length} bytes of PDF`);
  });

  it('the client page reads at a phone width: charts fit, nothing overflows', async (t) => {
    if ('skip' in browserPath) return t.skip(browserPath.skip);
    const r = await open(clientPage, 380, 'report-client-narrow.png');
    t.diagnostic(`screenshot: ${r.path}`);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.requests, [r.url]);
    assert.equal(r.charts.length, 2, 'the spectrum and the timeline');
    for (const c of r.charts) {
      assert.ok(c.coloured > 100, `drawn (${c.coloured} coloured pixels)`);
      assert.ok(c.width <= 380, `a chart ${c.width} px wide fits a 380 px window`);
    }
    assert.ok(r.overflow <= 0, `the page is ${r.overflow} px wider than the window`);
    assert.ok(statSync(r.path).size > 10_000);
  });
});
