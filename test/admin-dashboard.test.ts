/**
 * The admin dashboard in a real browser: Debian's Chromium, driven by
 * playwright-core (which never downloads a browser of its own). The page
 * loads with no request beyond the admin port and no console error, and
 * its charts change while a client loads the server; a page opened after a
 * load plots that load at once, from the samples the admin thread kept.
 * Skipped, with the reason, where chromium is missing (.ci/run installs
 * it). The drawing itself (labels, widths, legends):
 * admin-dashboard-layout.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { WAIT_MS, runBin, startServer } from './helpers.js';
import { http, which } from './admin-helpers.js';

const CHROMIUM = which('chromium');
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe('admin dashboard in Chromium', () => {
  let browser: Browser | null = null;
  // One browser for the file.
  before(async () => {
    if (CHROMIUM !== null) browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  after(async () => {
    await browser?.close();
  });

  it('loads with no external request and no console error; its charts change over three seconds of load', async (t) => {
    if (browser === null) return t.skip('chromium is not installed (Debian package chromium; .ci/run installs it)');
    const server = await startServer(['--port', '0', '--admin', '127.0.0.1:0']);
    const admin = server.admin!.url;
    const page = await browser.newPage();
    t.after(() => page.close());
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));

    await page.goto(`${admin}/`, { waitUntil: 'load' });
    // Seven charts, each drawn by uPlot on a canvas.
    assert.equal(await page.locator('.chart canvas').count(), 7);
    // Page-side code as strings or untyped functions: it runs in the browser, whose types this project does not compile against.
    // (waitForFunction takes a function: a string predicate is eval'ed, which the page's Content-Security-Policy forbids.)
    const atLeast = (n: number) => Number((globalThis as unknown as { document: { body: { dataset: { updates: string } } } }).document.body.dataset.updates) >= n;
    const updates = async () => (await page.evaluate('Number(document.body.dataset.updates)')) as number;
    const messagesChart = async () => (await page.evaluate("document.querySelector('#chart-messages canvas').toDataURL()")) as string;

    await page.waitForFunction(atLeast, 2);
    const before = { updates: await updates(), chart: await messagesChart() };
    const client = await runBin('client', ['--port', String(server.port), '--duration', '3', '--warmup', '0']);
    assert.equal(client.code, 0, client.stderr);
    await page.waitForFunction(atLeast, before.updates + 3);
    const after = { updates: await updates(), chart: await messagesChart() };
    assert.ok(after.updates >= before.updates + 3, `updates ${before.updates} -> ${after.updates}`);
    assert.notEqual(after.chart, before.chart, 'the messages/s chart changed');
    assert.match(String(await page.locator('#status').textContent()), /serving/);
    // A message rate above zero was plotted during the run (the page's own data, in its global scope).
    const peak = (await page.evaluate('Math.max(...charts[0].data[1])')) as number;
    assert.ok(peak > 0, `messages/s plotted: at most ${peak}`);

    const origin = new URL(admin).origin;
    const foreign = requests.filter((u) => !u.startsWith(`${origin}/`));
    assert.deepEqual(foreign, [], 'no request beyond the admin port');
    assert.ok(requests.filter((u) => u.endsWith('/stats.json')).length >= 5);
    assert.deepEqual(problems, []);
    await server.stop();
  });

  it('a page opened after a load plots it at once: the samples the admin thread kept (/history.json) are on its first drawing', async (t) => {
    if (browser === null) return t.skip('chromium is not installed (Debian package chromium; .ci/run installs it)');
    const server = await startServer(['--port', '0', '--admin', '127.0.0.1:0']);
    t.after(() => server.stop());
    const admin = server.admin!.url;
    const client = await runBin('client', ['--port', String(server.port), '--duration', '2', '--warmup', '0']);
    assert.equal(client.code, 0, client.stderr);
    // Wait until the kept samples hold the load and one sample after it, as the admin thread takes them (one a second).
    type Kept = { periodS: number; spanS: number; time: number[]; messages: number[]; connections: number[] };
    let kept: Kept;
    const deadline = performance.now() + WAIT_MS;
    for (;;) {
      kept = JSON.parse((await http(`${admin}/history.json`)).body) as Kept;
      const loaded = kept.messages.findIndex((m) => m > 0);
      if (loaded >= 0 && kept.messages.at(-1) === 0) break;
      if (performance.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for a load and its end in /history.json: ${JSON.stringify(kept)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual([kept.periodS, kept.spanS], [1, 300]);

    const page = await browser.newPage();
    t.after(() => page.close());
    await page.goto(`${admin}/`, { waitUntil: 'load' });
    // The first update is the first drawing.
    const atLeast = (n: number) => Number((globalThis as unknown as { document: { body: { dataset: { updates: string } } } }).document.body.dataset.updates) >= n;
    await page.waitForFunction(atLeast, 1);
    const [xs, answered] = (await page.evaluate("charts.find((c) => c.id === 'messages').plot.data")) as [number[], number[]];
    const open = ((await page.evaluate("charts.find((c) => c.id === 'connections').plot.data")) as number[][])[1];
    kept.time.forEach((time, i) => {
      const at = xs.indexOf(time);
      assert.ok(at >= 0, `sample ${i} of ${kept.time.length} (${time}) is plotted: ${xs.join(', ')}`);
      assert.equal(answered[at], kept.messages[i], `messages/s at ${time}`);
      assert.equal(open[at], kept.connections[i], `open connections at ${time}`);
    });
    assert.ok(Math.max(...answered) > 0, `the load is on the first drawing: ${answered.join(', ')}`);
  });
});
