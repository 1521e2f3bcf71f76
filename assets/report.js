// Draws the charts of a respuesta HTML report (src/html/page.ts inlines this
// file after uPlot). The data is computed when the page is written
// (src/html/charts.ts); this script only maps it onto uPlot's options, and
// keeps each chart as wide as its column: on a narrow window, and at print.
(() => {
  'use strict';

  // Okabe and Ito's colour-blind-safe palette, then red for SLO points and errors, grey for the rate.
  const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#000000', '#999933'];
  const RED = '#d62728';
  const GREY = '#8c8c8c';
  const colourOf = (i) => (i === -1 ? RED : i === -2 ? GREY : PALETTE[i % PALETTE.length]);

  /** 1/(1-p) as the percentile it stands for: 10 -> 90%, 1000 -> 99.9%. */
  const percentile = (x) => {
    if (x == null) return '-';
    const p = 100 * (1 - 1 / x);
    return `${Number.parseFloat(p.toFixed(p < 99.99 ? 4 : 6))}%`;
  };

  /** Microseconds as the text reports print them. */
  const us = (v) => (v == null ? '-' : v < 100 ? v.toFixed(2) : v < 10000 ? v.toFixed(1) : v.toFixed(0));
  const int = (v) => (v == null ? '-' : Math.round(v).toLocaleString('en-US'));
  /** An axis tick: whole microseconds from 1 up, two significant digits below. */
  const tick = (v) => (v == null ? '' : v >= 1 ? int(v) : String(Number.parseFloat(v.toPrecision(2))));

  /** The decades of 1/(1-p) in view: the HdrHistogram plot's ticks (0%, 90%, 99%, 99.9%, ...). */
  const decades = (_u, _axis, min, max) => {
    const out = [];
    for (let v = 1; v <= max * 1.0001; v *= 10) if (v >= min / 1.0001) out.push(v);
    return out;
  };

  function line(s, extra) {
    const base = { label: s.label, stroke: colourOf(s.colour), width: 1.75, points: { show: false }, spanGaps: false };
    if (s.dashed) base.dash = [6, 4];
    return Object.assign(base, extra);
  }

  /** A series drawn as marks only (SLO points, intervals with errors). */
  function marks(s, extra) {
    const c = colourOf(s.colour);
    return Object.assign({ label: s.label, stroke: c, width: 0, paths: () => null, points: { show: true, size: 10, stroke: c, fill: c } }, extra);
  }

  function spectrumOptions(c) {
    const series = [{ label: 'percentile', value: (_u, v) => percentile(v) }];
    const data = [c.x];
    for (const s of c.series) {
      series.push(s.colour === -1 ? marks(s, { value: (_u, v) => us(v) }) : line(s, { value: (_u, v) => us(v) }));
      data.push(s.values);
    }
    if (c.targetUs != null) {
      series.push({ label: `target ${c.targetUs} us`, stroke: GREY, width: 1, dash: [2, 3], points: { show: false }, value: (_u, v) => us(v) });
      data.push(c.x.map(() => c.targetUs));
    }
    return {
      data,
      opts: {
        series,
        scales: { x: { time: false, distr: 3, log: 10 }, y: { distr: 3, log: 10 } },
        axes: [
          { scale: 'x', label: 'percentile', splits: decades, values: (_u, ticks) => ticks.map(percentile), size: 40 },
          { scale: 'y', label: 'latency (us)', values: (_u, ticks) => ticks.map(tick), size: 64 },
        ],
        cursor: { drag: { x: true, y: false } },
        // Room on the right for the last tick's label (99.999...%).
        padding: [12, 44, 0, 0],
      },
    };
  }

  function timelineOptions(c) {
    const series = [{ label: 'elapsed (s)', value: (_u, v) => (v == null ? '-' : v.toFixed(1)) }];
    const data = [c.x];
    for (const s of c.series) {
      if (s.scale === 'errors') series.push(marks(s, { scale: 'errors', value: (_u, v) => int(v) }));
      else if (s.scale === 'rate') series.push(line(s, { scale: 'rate', width: 1.25, value: (_u, v) => int(v) }));
      else series.push(line(s, { scale: 'us', value: (_u, v) => us(v) }));
      data.push(s.values);
    }
    return {
      data,
      opts: {
        series,
        scales: { x: { time: false }, us: { distr: 3, log: 10 }, rate: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] }, errors: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.2] } },
        axes: [
          { scale: 'x', label: 'seconds', size: 40 },
          { scale: 'us', label: 'latency (us)', values: (_u, ticks) => ticks.map(tick), size: 64 },
          { scale: 'rate', side: 1, label: 'msg/s', grid: { show: false }, values: (_u, ticks) => ticks.map(int), size: 70 },
        ],
      },
    };
  }

  const data = JSON.parse(document.getElementById('report-data').textContent);
  const plots = [];

  function sizeOf(el, kind) {
    const width = Math.max(260, Math.floor(el.clientWidth));
    const tall = kind === 'spectrum' ? 340 : 260;
    return { width, height: width < 520 ? Math.round(tall * 0.75) : tall };
  }

  for (const figure of document.querySelectorAll('figure.chart')) {
    const chart = data.charts[Number(figure.dataset.chart)];
    const el = figure.querySelector('.plot');
    const { opts, data: aligned } = chart.kind === 'spectrum' ? spectrumOptions(chart) : timelineOptions(chart);
    const plot = new uPlot(Object.assign(opts, sizeOf(el, chart.kind)), aligned, el);
    plots.push({ plot, el, kind: chart.kind });
  }

  function resize() {
    for (const p of plots) p.plot.setSize(sizeOf(p.el, p.kind));
  }
  let pending = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(resize);
  });
  // A printed page is narrower than most windows: fit the charts to it, then back.
  window.addEventListener('beforeprint', resize);
  window.addEventListener('afterprint', resize);
  document.documentElement.dataset.charts = String(plots.length);
})();
