/**
 * A screenshot of a page (an HTML report) in Debian's headless Chromium,
 * driven by playwright-core: how docs/report.png is made.
 *
 *   node --import tsx bench/screenshot.ts PAGE.html OUT.png [WIDTH] [HEIGHT|full]
 *
 * WIDTH defaults to 1000 px; HEIGHT to the whole page (`full`).
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [page, out, width = '1000', height = 'full'] = process.argv.slice(2);
if (page === undefined || out === undefined) {
  process.stderr.write('usage: bench/screenshot.ts PAGE.html OUT.png [WIDTH] [HEIGHT|full]\n');
  process.exit(2);
}
let executablePath: string;
try {
  executablePath = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
} catch {
  process.stderr.write("screenshot: chromium is not installed (Debian package 'chromium')\n");
  process.exit(1);
}
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const tab = await browser.newPage({ viewport: { width: Number(width), height: height === 'full' ? 900 : Number(height) } });
  tab.on('pageerror', (e) => process.stderr.write(`screenshot: page error: ${e.message}\n`));
  await tab.goto(pathToFileURL(resolve(page)).href, { waitUntil: 'load' });
  await tab.screenshot({ path: out, fullPage: height === 'full' });
} finally {
  await browser.close();
}
