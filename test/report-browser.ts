/**
 * Report pages in real headless Chromium (Debian's chromium, driven by
 * playwright-core, which never downloads a browser of its own), and what
 * the page drew: each chart's uPlot instance is on its figure element
 * (`figure.uplot`, assets/report.js), so a test reads the series exactly as
 * they went onto the canvas.
 */
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';

/** Debian's chromium, or why the browser tests cannot run. */
export function chromiumPath(): { path: string } | { skip: string } {
  try {
    const path = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
    if (path !== '') return { path };
  } catch {
    // not on PATH
  }
  return { skip: "chromium is not installed (Debian package 'chromium'; .ci/run installs it)" };
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** One drawn series: its label, its run (the legend's group), its line's colour, dash and width, its values as given to uPlot, and how many are drawn as points. */
export interface DrawnSeries {
  label: string;
  group: string | null;
  stroke: string;
  dash: number[];
  alpha: number;
  values: Array<number | null>;
  /** How many of its values are drawn as a point (a mark), as uPlot decides it: all when its points show, else those its filter picks. */
  points: number;
}

/** One drawn chart: its kind (spectrum, timeline, rounds), its x values and series as uPlot holds them, and the legend's run names in order. */
export interface DrawnChart {
  kind: string;
  title: string;
  x: number[];
  series: DrawnSeries[];
  legendGroups: string[];
  /** Pixels of the canvas in a series' colour (not the grid, text or background). */
  coloured: number;
}

/**
 * Run in the page: every chart as uPlot drew it. Strokes are read through
 * uPlot's own accessor (a series' stroke is a function once the plot is
 * built), colours counted on the canvas against the strokes in use.
 */
const DRAWN = `(() => [...document.querySelectorAll('figure.chart')].map((figure) => {
  const u = figure.uplot;
  const series = u.series.slice(1).map((s, i) => ({
    label: String(s.label),
    group: s.group ?? null,
    stroke: String(s.stroke(u, i + 1)),
    dash: s.dash ?? [],
    alpha: s.alpha ?? 1,
    values: [...u.data[i + 1]],
    points: ((show) => {
      const picked = s.points.filter(u, i + 1, show, null);
      return picked != null ? picked.length : show ? u.data[i + 1].filter((v) => v != null).length : 0;
    })(s.points.show(u, i + 1, 0, u.data[0].length - 1, null)),
  }));
  const rgb = series.map((s) => /^#[0-9a-f]{6}$/i.test(s.stroke) ? [1, 3, 5].map((k) => parseInt(s.stroke.slice(k, k + 2), 16)) : null).filter((c) => c !== null);
  const canvas = figure.querySelector('canvas');
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let coloured = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] < 200) continue;
    if (rgb.some(([r, g, b]) => Math.abs(pixels[i] - r) < 12 && Math.abs(pixels[i + 1] - g) < 12 && Math.abs(pixels[i + 2] - b) < 12)) coloured++;
  }
  return {
    kind: ['spectrum', 'rounds'].find((k) => figure.classList.contains(k)) ?? 'timeline',
    title: figure.querySelector('figcaption').textContent,
    x: [...u.data[0]],
    series,
    legendGroups: [...figure.querySelectorAll('.u-legend tr.u-group')].map((tr) => tr.textContent),
    coloured,
  };
}))()`;

/**
 * Open `file` in headless Chromium `width` px wide and return every chart as
 * drawn, with any console error or page error the page raised. `shot`, when
 * given, keeps a full-page screenshot there.
 */
export function drawnCharts(browserPath: string, file: string, width = 1100, shot?: string): Promise<{ charts: DrawnChart[]; problems: string[] }> {
  return onPage(browserPath, file, width, async (page) => {
    const charts = (await page.evaluate(DRAWN)) as DrawnChart[];
    if (shot !== undefined) await page.screenshot({ path: shot, fullPage: true });
    return charts;
  });
}

/** Open `file` in headless Chromium `width` px wide, run `read` on the loaded page, and return what it read with any console error or page error the page raised. */
async function onPage<T>(browserPath: string, file: string, width: number, read: (page: Page) => Promise<T>): Promise<{ charts: T; problems: string[] }> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: browserPath, args: CHROMIUM_ARGS });
  try {
    const page: Page = await browser.newPage({ viewport: { width, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { charts: await read(page), problems };
  } finally {
    await browser.close();
  }
}

/** One legend row as shown: the series' label and its value cell's text. */
export type LegendRow = [label: string, value: string];

/** A chart's legend at one moment: the data index under the cursor (null: none), every row (the x row first), and the data as uPlot holds it (x first). */
export interface LegendReading {
  idx: number | null;
  rows: LegendRow[];
  data: Array<Array<number | null>>;
}

/** A chart's legend still (as loaded), under the cursor at a few places, and after the cursor left. */
export interface ChartLegends {
  title: string;
  kind: string;
  still: LegendReading;
  hovered: LegendReading[];
  left: LegendReading;
  /** The legend's run names, read after the cursor left (the grouping must survive uPlot's updates). */
  groups: string[];
}

/** Run in the page, with the chart's index: its legend as the DOM shows it, once a frame has passed (uPlot may draw its cursor on the next). */
const LEGEND = `((i) => new Promise((done) => requestAnimationFrame(() => {
  const figure = document.querySelectorAll('figure.chart')[i];
  const u = figure.uplot;
  done({
    idx: u.cursor.idx ?? null,
    rows: [...figure.querySelectorAll('.u-legend tr.u-series')].map((tr) => [tr.querySelector('.u-label')?.textContent ?? '', tr.querySelector('.u-value')?.textContent ?? '']),
    data: u.data.map((a) => [...a]),
  });
})))`;

/** Where the cursor is put over each chart, as shares of its plot area's width: the start, the middle, the far end. */
export const HOVER_AT = [0.02, 0.5, 0.98];

/**
 * Open `file` in headless Chromium and read every chart's legend: still,
 * with the mouse over its plot at each of HOVER_AT, and after the mouse
 * moved off the plot to the page's corner.
 */
export function legendReadings(browserPath: string, file: string, width = 1100): Promise<{ charts: ChartLegends[]; problems: string[] }> {
  return onPage(browserPath, file, width, async (page) => {
    const figures = page.locator('figure.chart');
    const charts: ChartLegends[] = [];
    for (let i = 0; i < (await figures.count()); i++) {
      const figure = figures.nth(i);
      const read = async () => (await page.evaluate(`${LEGEND}(${i})`)) as LegendReading;
      const still = await read();
      const over = figure.locator('.u-over');
      await over.scrollIntoViewIfNeeded();
      const box = (await over.boundingBox())!;
      const hovered: LegendReading[] = [];
      for (const share of HOVER_AT) {
        await page.mouse.move(box.x + box.width * share, box.y + box.height / 2);
        await page.waitForFunction(`document.querySelectorAll('figure.chart')[${i}].uplot.cursor.idx != null`);
        hovered.push(await read());
      }
      // Off the plot: the page's top left corner is margin, never a plot.
      await page.mouse.move(1, 1);
      await page.waitForFunction(`document.querySelectorAll('figure.chart')[${i}].uplot.cursor.idx == null`);
      const left = await read();
      const groups = (await figure.locator('.u-legend tr.u-group').allTextContents()) as string[];
      const figureClass = await figure.getAttribute('class');
      charts.push({
        title: (await figure.locator('figcaption').textContent()) ?? '',
        kind: ['spectrum', 'rounds'].find((k) => (figureClass ?? '').split(' ').includes(k)) ?? 'timeline',
        still,
        hovered,
        left,
        groups,
      });
    }
    return charts;
  });
}
