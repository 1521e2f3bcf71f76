/**
 * The admin dashboard in a real browser: Debian's Chromium, driven by
 * playwright-core (which never downloads a browser of its own). The page
 * loads with no request beyond the admin port and no console error, and
 * its charts change while a client loads the server. Skipped, with the
 * reason, where chromium is missing (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { runBin, startServer } from './helpers.js';
import { which } from './admin-helpers.js';

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
});
