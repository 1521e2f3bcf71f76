/**
 * The admin dashboard's drawing in Debian's Chromium, at a desktop width
 * (1280 px) and a phone's (380 px): every tick label of every axis fits
 * inside its axis's gutter (measured as uPlot draws it: the axis's font,
 * canvas measureText), every plot is as wide as its card, and follows the
 * window when it is resized; bytes per second read in binary units; a
 * legend never shows uPlot's "--" placeholder, hovered or not. Skipped,
 * with the reason, where chromium is missing (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, type Page, chromium } from 'playwright-core';
import { type RunningServer, WAIT_MS, startServer } from './helpers.js';
import { which } from './admin-helpers.js';

const CHROMIUM = which('chromium');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const WIDTHS = [1280, 380];

/**
 * Page-side: what does not fit, one line each, for every axis of every plot
 * (the page's global `charts`, each with its uPlot as `plot`). uPlot keeps
 * each axis's gutter as `_pos` (the plot's edge) and `_size` (its depth),
 * and the labels it drew as `_values`: a left axis's labels end `ticks.size
 * + gap` short of the plot, right-aligned; a bottom axis's are centred on
 * their ticks, which must leave them inside the canvas.
 */
const LABELS_OUTSIDE = `(() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const out = [];
  for (const c of charts) {
    const u = c.plot;
    const ratio = devicePixelRatio;
    u.axes.forEach((a, i) => {
      if (!a.show || !a._show) return;
      ctx.font = a.font[0];
      const tick = a.ticks.show ? a.ticks.size : 0;
      (a._values || []).forEach((label, j) => {
        if (label == null || label === '') return;
        // uPlot writes a label's lines one under the other (a time axis: the time, then the date under the first tick).
        const w = Math.max(...String(label).split('\\n').map((line) => ctx.measureText(line).width / ratio));
        if (a.side === 3) {
          const left = a._pos - tick - a.gap - w;
          if (left < a._pos - a._size || left < 0) out.push(c.id + ' axis ' + i + ': ' + JSON.stringify(label) + ' is ' + w.toFixed(1) + ' px wide, its gutter ' + a._size + ' px');
        } else if (a.side === 2) {
          const x = u.valToPos(a._splits[j], a.scale) + u.bbox.left / ratio;
          if (x - w / 2 < 0 || x + w / 2 > u.width) out.push(c.id + ' axis ' + i + ': ' + JSON.stringify(label) + ' spans ' + (x - w / 2).toFixed(1) + ' to ' + (x + w / 2).toFixed(1) + ' px, the canvas 0 to ' + u.width);
        }
      });
    });
  }
  return out;
})()`;

/** Page-side: a plot that is not as wide as its card's content box, one line each; and whether the page scrolls sideways. */
const WIDTH_MISMATCHES = `(() => {
  const out = [];
  for (const c of charts) {
    const card = document.getElementById('chart-' + c.id);
    const cs = getComputedStyle(card);
    const content = card.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const drawn = c.plot.root.querySelector('.u-wrap').getBoundingClientRect().width;
    if (Math.abs(drawn - content) > 1) out.push(c.id + ': plot ' + drawn + ' px in a card of ' + content + ' px');
  }
  if (document.documentElement.scrollWidth > innerWidth) out.push('the page is ' + document.documentElement.scrollWidth + ' px wide in a window of ' + innerWidth);
  return out;
})()`;

/**
 * Page-side: every plot given a minute of figures rising to 1,234,567,890
 * (bytes/s to 3.7 MiB/s), drawn before it resolves (uPlot draws in a
 * microtask queued by setData, ahead of this function's await).
 */
const LARGE_FIGURES = `(async () => {
  const n = 60, t0 = Math.floor(Date.now() / 1000) - n;
  const xs = Array.from({ length: n }, (_, i) => t0 + i);
  for (const c of charts) {
    const top = c.id === 'bytes' ? 3.7 * 1048576 : 1234567890;
    c.plot.setData([xs].concat(c.plot.series.slice(1).map((_, k) => xs.map((_, i) => (top * i) / (n - 1) / (k + 1)))));
  }
  await null;
})()`;

/** Page-side: each legend's text, by chart. */
const LEGENDS = `Object.fromEntries(charts.map((c) => [c.id, Array.from(c.plot.root.querySelectorAll('.u-legend .u-series')).map((r) => r.textContent)]))`;

/** Poll a page-side expression until it is true (a string: the page's Content-Security-Policy forbids eval'ed predicates). */
async function until(page: Page, expression: string): Promise<void> {
  const deadline = performance.now() + WAIT_MS;
  while (!(await page.evaluate(expression))) {
    if (performance.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every plot holds at least two samples (the page has drawn what the server kept, or two ticks of its own). */
const PLOTTED = 'charts.every((c) => c.plot.data[0].length >= 2)';

describe('admin dashboard layout in Chromium', () => {
  let browser: Browser | null = null;
  let server: RunningServer;
  before(async () => {
    if (CHROMIUM !== null) browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    server = await startServer(['--port', '0', '--admin', '127.0.0.1:0']);
  });
  after(async () => {
    await browser?.close();
    await server.stop();
  });

  async function open(width: number): Promise<Page> {
    const page = await browser!.newPage({ viewport: { width, height: 900 } });
    await page.goto(`${server.admin!.url}/`, { waitUntil: 'load' });
    await until(page, PLOTTED);
    return page;
  }

  for (const width of WIDTHS) {
    it(`at ${width} px: every tick label fits its axis's gutter (the server's figures, then up to 1,234,567,890); bytes/s in KiB/s or MiB/s; plots as wide as their cards`, async (t) => {
      if (browser === null) return t.skip('chromium is not installed (Debian package chromium; .ci/run installs it)');
      const page = await open(width);
      t.after(() => page.close());
      assert.deepEqual(await page.evaluate(WIDTH_MISMATCHES), []);
      assert.deepEqual(await page.evaluate(LABELS_OUTSIDE), [], 'the server figures');
      await page.evaluate(LARGE_FIGURES);
      assert.deepEqual(await page.evaluate(LABELS_OUTSIDE), [], 'figures up to 1,234,567,890');
      const bytes = (await page.evaluate("charts.find((c) => c.id === 'bytes').plot.axes[1]._values.filter((v) => v)")) as string[];
      assert.ok(bytes.length >= 2, `bytes/s tick labels: ${bytes}`);
      for (const label of bytes) assert.match(label, /^(0|\d+(\.\d+)? (B|KiB|MiB)\/s)$/, `bytes/s tick labels: ${bytes.join(', ')}`);
      assert.ok(
        bytes.some((l) => l.endsWith(' MiB/s')),
        `bytes/s up to 3.7 MiB/s: ${bytes.join(', ')}`,
      );
    });
  }

  it('plots follow the window from 1280 to 380 px wide and back', async (t) => {
    if (browser === null) return t.skip('chromium is not installed (Debian package chromium; .ci/run installs it)');
    const page = await open(WIDTHS[0]);
    t.after(() => page.close());
    for (const width of [380, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      // Resizes are followed when the browser reports them: wait for the widths to agree, then check every one.
      await until(page, `${WIDTH_MISMATCHES}.length === 0`);
      assert.deepEqual(await page.evaluate(WIDTH_MISMATCHES), [], `at ${width} px`);
      assert.deepEqual(await page.evaluate(LABELS_OUTSIDE), [], `at ${width} px`);
    }
  });

  it('legends show the latest figures in a still page and the hovered ones under the cursor, never "--"', async (t) => {
    if (browser === null) return t.skip('chromium is not installed (Debian package chromium; .ci/run installs it)');
    const page = await open(WIDTHS[0]);
    t.after(() => page.close());
    const still = (await page.evaluate(LEGENDS)) as Record<string, string[]>;
    assert.equal(Object.keys(still).length, 7);
    for (const [id, rows] of Object.entries(still)) {
      assert.ok(rows.length >= 2, `${id}: ${rows}`);
      for (const row of rows) assert.doesNotMatch(row, /--/, `${id} legend in a still page: ${rows.join(' | ')}`);
      for (const row of rows) assert.match(row, /\d/, `${id} legend in a still page: ${rows.join(' | ')}`);
    }
    // Hovered: the cursor over the middle of the messages plot.
    const over = page.locator('#chart-messages .u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await until(page, 'charts[0].plot.cursor.idx != null');
    const hovered = ((await page.evaluate(LEGENDS)) as Record<string, string[]>).messages;
    for (const row of hovered) assert.doesNotMatch(row, /--/, `messages legend hovered: ${hovered.join(' | ')}`);
    // And left: back to the latest figures.
    await page.mouse.move(1, 1);
    await until(page, 'charts[0].plot.cursor.idx == null');
    const left = ((await page.evaluate(LEGENDS)) as Record<string, string[]>).messages;
    for (const row of left) assert.doesNotMatch(row, /--/, `messages legend after the cursor left: ${left.join(' | ')}`);
  });
});
