/**
 * The live dashboard at `GET /`: one self-contained page, uPlot (the chart
 * library of the benchmark's HTML report) and its stylesheet inlined, no
 * request to anywhere but this admin port. It plots what `/history.json`
 * gives (history.ts: the admin thread's last five minutes, rates already
 * made), all of it when it opens, then every second what is new; the
 * status line comes from `/stats.json`. The server sends figures, never a
 * rendered chart.
 *
 * Drawn to be read at any width: each plot takes its card's width and
 * follows it (a ResizeObserver), each y axis's gutter is as wide as its
 * widest tick label measured in the axis's font (uPlot's `size` callback),
 * bytes read in binary units, and a legend shows the latest figures until
 * the cursor points at others (uPlot's "--" stands for "no point under the
 * cursor", which a still page always is).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

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
#charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(460px,100%),1fr));gap:12px}
.chart{background:#fff;border:1px solid #ddd;padding:8px;min-width:0}.chart h2{font-size:14px;margin:0 0 4px}.plot{overflow:hidden}
</style></head>
<body data-updates="0"><h1>${escapeHtml(title)}</h1><p id="status">connecting...</p><div id="charts"></div>
<script>${script}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page's own script: plain ES2017, run in the browser. */
const PAGE_SCRIPT = `
'use strict';
const HEIGHT = 180;
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
/** Tick steps for bytes: 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500 of each binary unit, so that ticks fall on round KiB and MiB. */
const BINARY_INCRS = [];
for (let k = 0; k < BINARY.length; k++) for (const m of [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500]) BINARY_INCRS.push(m * Math.pow(1024, k));
const TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600];
/** Each chart: its series as [label, colour, history.json column]; bytes: its figures are bytes, read in binary units with that suffix. */
const charts = [
  { id: 'messages', title: 'messages/s', series: [['answered', '#1f77b4', 'messages']] },
  { id: 'connections', title: 'open connections', series: [['open', '#2ca02c', 'connections']] },
  { id: 'bytes', title: 'bytes/s', bytes: '/s', series: [['in', '#9467bd', 'bytesIn'], ['out', '#8c564b', 'bytesOut']] },
  { id: 'delay', title: 'event-loop delay, us (last second)', series: [['p50', '#17becf', 'delayP50Us'], ['p99', '#ff7f0e', 'delayP99Us'], ['max', '#d62728', 'delayMaxUs']] },
  { id: 'gc', title: 'GC pause, ms per second', series: [['minor', '#7f7f7f', 'gcMinorMs'], ['major', '#d62728', 'gcMajorMs']] },
  { id: 'rss', title: 'memory', bytes: '', series: [['resident', '#bcbd22', 'rss'], ['heap used', '#1f77b4', 'heapUsed']] },
  { id: 'errors', title: 'errors/s', series: [['protocol', '#d62728', 'protocolErrors'], ['socket', '#ff7f0e', 'socketErrors'], ['rejected', '#9467bd', 'rejected']] },
];

/** The binary unit for a magnitude: the largest whose one is at most it. */
function binaryPower(v) {
  let k = 0;
  while (k < BINARY.length - 1 && Math.abs(v) >= Math.pow(1024, k + 1)) k++;
  return k;
}
/** The fewest decimals (up to 3) that write every number of xs exactly. */
function decimalsFor(xs) {
  for (let d = 0; d < 3; d++) if (xs.every((x) => Math.abs(x - Number(x.toFixed(d))) < 1e-9 * Math.max(1, Math.abs(x)))) return d;
  return 3;
}
/** A figure as a legend shows it: whole from 100 up, one decimal from 10, two below. */
function digits(x) {
  const a = Math.abs(x);
  return a >= 100 ? Math.round(x).toLocaleString('en-US') : a >= 10 ? x.toFixed(1) : a === 0 ? '0' : x.toFixed(2);
}
function formatter(c) {
  if (c.bytes === undefined) return digits;
  return (v) => {
    const k = binaryPower(v);
    return digits(v / Math.pow(1024, k)) + ' ' + BINARY[k] + c.bytes;
  };
}
/** A y axis's tick labels in bytes: one binary unit for the whole axis, chosen by its largest tick. */
function binaryTicks(suffix) {
  return (u, splits) => {
    const k = binaryPower(Math.max.apply(null, splits.map((v) => Math.abs(v || 0))));
    const scaled = splits.map((v) => (v == null ? null : v / Math.pow(1024, k)));
    const d = decimalsFor(scaled.filter((v) => v !== null));
    return scaled.map((v) => (v == null ? '' : v === 0 ? '0' : v.toFixed(d) + ' ' + BINARY[k] + suffix));
  };
}
const measure = document.createElement('canvas').getContext('2d');
/** A y axis's gutter: its widest tick label in the axis's own font, then the tick and the gap uPlot draws before the label. */
function gutter(u, values, axisIdx, cycleNum) {
  const axis = u.axes[axisIdx];
  let widest = 0;
  measure.font = axis.font[0];
  for (const v of values || []) if (v) widest = Math.max(widest, measure.measureText(String(v)).width / devicePixelRatio);
  const need = Math.max(Math.ceil(widest) + axis.ticks.size + axis.gap + 2, timeOverhang(u));
  // uPlot asks again while the gutter changes the plot's width, and so its ticks: from the second answer on, only grow, so that it settles without clipping.
  return cycleNum > 1 ? Math.max(axis._size, need) : need;
}
/**
 * Half a time label's width, and a pixel: what the time axis's first and
 * last labels, centred on their ticks, need beyond the plot's edges (the
 * y gutter on the left, the padding on the right).
 */
function timeOverhang(u) {
  measure.font = u.axes[0].font[0];
  return Math.ceil(measure.measureText('00:00:00').width / devicePixelRatio / 2) + 1;
}
function last(a) {
  return a.length === 0 ? null : a[a.length - 1];
}
function pad2(n) {
  return String(n).padStart(2, '0');
}
function clock(t) {
  const d = new Date(t * 1000);
  return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
}
/** A legend's figure: the point under the cursor, or with no cursor on the plot, the latest. */
function legendValue(format) {
  return (u, v, si, idx) => {
    const x = idx == null ? last(u.data[si]) : v;
    return x == null ? '' : format(x);
  };
}

const root = document.getElementById('charts');
const status = document.getElementById('status');
const resized = new ResizeObserver((entries) => {
  for (const e of entries) {
    const plot = e.target.chart.plot;
    const width = Math.floor(e.contentRect.width);
    // A legend that wraps anew changes the area's height only: nothing to redraw then.
    if (width !== plot.width) plot.setSize({ width, height: HEIGHT });
  }
});
for (const c of charts) {
  const box = document.createElement('div');
  box.className = 'chart';
  box.id = 'chart-' + c.id;
  const h = document.createElement('h2');
  h.textContent = c.title;
  box.appendChild(h);
  const area = document.createElement('div');
  area.className = 'plot';
  box.appendChild(area);
  root.appendChild(box);
  const format = formatter(c);
  const y = { size: gutter };
  if (c.bytes !== undefined) Object.assign(y, { values: binaryTicks(c.bytes), incrs: BINARY_INCRS });
  c.data = [[]].concat(c.series.map(() => []));
  c.plot = new uPlot({
    width: Math.floor(area.clientWidth), height: HEIGHT,
    series: [{ value: legendValue(clock) }].concat(c.series.map(([label, stroke]) => ({ label, stroke, width: 1.5, spanGaps: false, value: legendValue(format) }))),
    // Clock times only (five minutes need no date), whole seconds, spaced wider than a label.
    axes: [{ space: 64, incrs: TIME_INCRS, values: (u, splits) => splits.map((t) => (t == null ? '' : clock(t))) }, y],
    padding: [null, timeOverhang, null, null],
    scales: { x: { time: true } },
  }, c.data, area);
  area.chart = c;
  resized.observe(area);
}

/** The samples of a history.json answer appended, the oldest beyond the span the server keeps dropped. */
let lastTime = null;
function add(h) {
  const n = h.time.length;
  if (n === 0) return;
  const keep = Math.round(h.spanS / h.periodS);
  for (const c of charts) {
    c.data[0].push.apply(c.data[0], h.time);
    c.series.forEach(([, , key], i) => c.data[i + 1].push.apply(c.data[i + 1], h[key]));
    const extra = c.data[0].length - keep;
    if (extra > 0) c.data.forEach((a) => a.splice(0, extra));
    c.plot.setData(c.data);
  }
  lastTime = h.time[n - 1];
}
async function tick() {
  let h, s;
  try {
    const [hr, sr] = await Promise.all([
      fetch(lastTime === null ? 'history.json' : 'history.json?after=' + lastTime, { cache: 'no-store' }),
      fetch('stats.json', { cache: 'no-store' }),
    ]);
    if (!hr.ok) throw new Error('history.json: HTTP ' + hr.status);
    h = await hr.json();
    s = await sr.json();
  } catch (err) {
    status.textContent = 'no answer from the admin port: ' + err.message;
    status.className = 'bad';
    return;
  }
  status.textContent = 'respuesta ' + s.build.version + ', pid ' + s.pid + ', ' + s.health + ', up ' + Math.round(s.uptimeS) + ' s, io ' + s.build.io + ', framing ' + s.build.framing + ', mode ' + s.build.mode;
  status.className = s.health === 'serving' ? '' : 'bad';
  add(h);
  document.body.dataset.updates = String(Number(document.body.dataset.updates) + 1);
}
/** Every second after the last answer, never two requests at once. */
async function poll() {
  await tick();
  setTimeout(poll, 1000);
}
poll();
`;
