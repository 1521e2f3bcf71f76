/**
 * The live dashboard at `GET /`: one self-contained page, uPlot (the chart
 * library of the benchmark's HTML report) and its stylesheet inlined, no
 * request to anywhere but this admin port. Every second it reads
 * `/stats.json` (stats.ts) and turns counters into rates on the page, so the
 * server sends figures, never a rendered chart, and keeps no history.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Seconds of history each chart shows. */
const HISTORY_S = 120;

/** The page's Content-Security-Policy: inline script and style, requests to this origin only. */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";

/** The page, built once when the worker starts. */
export function dashboardPage(title: string): string {
  const require = createRequire(import.meta.url);
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  // '</script' cannot occur inside the inlined script without ending it.
  const script = js.replaceAll('</script', '<\\/script');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title>
<style>${css}
body{font:14px system-ui,sans-serif;margin:16px;color:#222;background:#fafafa}
h1{font-size:18px;margin:0 0 4px}#status{margin:0 0 12px;color:#555}#status.bad{color:#b00}
#charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:12px}
.chart{background:#fff;border:1px solid #ddd;padding:8px}.chart h2{font-size:14px;margin:0 0 4px}.now{float:right;font-weight:normal;color:#555}
</style></head>
<body data-updates="0"><h1>${escapeHtml(title)}</h1><p id="status">connecting...</p><div id="charts"></div>
<script>${script}</script>
<script>${PAGE_SCRIPT.replace('HISTORY_S', String(HISTORY_S))}</script>
</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page's own script: plain ES2017, run in the browser. */
const PAGE_SCRIPT = `
'use strict';
const HISTORY = HISTORY_S;
const charts = [
  { id: 'messages', title: 'messages/s', series: [['answered', '#1f77b4']], rate: true },
  { id: 'connections', title: 'open connections', series: [['open', '#2ca02c']] },
  { id: 'bytes', title: 'bytes/s', series: [['in', '#9467bd'], ['out', '#8c564b']], rate: true },
  { id: 'delay', title: 'event-loop delay, us (last second)', series: [['p50', '#17becf'], ['p99', '#ff7f0e'], ['max', '#d62728']] },
  { id: 'gc', title: 'GC pause, ms per second', series: [['minor', '#7f7f7f'], ['major', '#d62728']], rate: true },
  { id: 'rss', title: 'resident memory, MiB', series: [['rss', '#bcbd22'], ['heap used', '#1f77b4']] },
  { id: 'errors', title: 'errors/s', series: [['protocol', '#d62728'], ['socket', '#ff7f0e'], ['rejected', '#9467bd']], rate: true },
];
function pick(s) {
  return {
    messages: [s.messages],
    connections: [s.connections.open],
    bytes: [s.bytes.in, s.bytes.out],
    delay: [s.eventLoopDelayUs.p50, s.eventLoopDelayUs.p99, s.eventLoopDelayUs.max],
    gc: [s.gc.minor.pauseMs, s.gc.major.pauseMs],
    rss: [s.memory.rss / 1048576, s.memory.heapUsed / 1048576],
    errors: [s.errors.protocol, s.errors.socket, s.connections.rejected],
  };
}
const root = document.getElementById('charts');
const status = document.getElementById('status');
for (const c of charts) {
  const box = document.createElement('div');
  box.className = 'chart';
  box.id = 'chart-' + c.id;
  const h = document.createElement('h2');
  h.textContent = c.title;
  c.now = document.createElement('span');
  c.now.className = 'now';
  h.appendChild(c.now);
  box.appendChild(h);
  root.appendChild(box);
  c.data = [[]].concat(c.series.map(() => []));
  c.plot = new uPlot({
    width: 440, height: 180,
    series: [{}].concat(c.series.map(([label, stroke]) => ({ label, stroke, width: 1.5, spanGaps: false }))),
    axes: [{}, { size: 60 }],
    scales: { x: { time: true } },
  }, c.data, box);
}
let last = null;
function round(v) { return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2); }
async function tick() {
  let s;
  try {
    const res = await fetch('stats.json', { cache: 'no-store' });
    s = await res.json();
  } catch (err) {
    status.textContent = 'no answer from the admin port: ' + err.message;
    status.className = 'bad';
    return;
  }
  status.textContent = 'respuesta ' + s.build.version + ', pid ' + s.pid + ', ' + s.health + ', up ' + Math.round(s.uptimeS) + ' s, io ' + s.build.io + ', framing ' + s.build.framing + ', mode ' + s.build.mode;
  status.className = s.health === 'serving' ? '' : 'bad';
  const now = pick(s);
  const t = s.time / 1000;
  for (const c of charts) {
    let ys = now[c.id];
    if (c.rate) {
      if (last === null || t <= last.t) continue;
      const before = last.values[c.id];
      ys = ys.map((v, i) => Math.max(0, (v - before[i]) / (t - last.t)));
    }
    c.data[0].push(t);
    ys.forEach((v, i) => c.data[i + 1].push(v));
    if (c.data[0].length > HISTORY) c.data.forEach((a) => a.shift());
    c.plot.setData(c.data);
    c.now.textContent = ys.map(round).join(' / ');
  }
  last = { t, values: now };
  document.body.dataset.updates = String(Number(document.body.dataset.updates) + 1);
}
tick();
setInterval(tick, 1000);
`;
