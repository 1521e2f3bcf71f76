// Draws the charts of a respuesta HTML report (src/html/page.ts inlines this
// file after uPlot). The data is computed when the page is written
// (src/html/charts.ts); this script only maps it onto uPlot's options, and
// keeps each chart as wide as its column: on a narrow window, and at print.
(() => {
  'use strict';

  // Okabe and Ito's colour-blind-safe palette, ordered so that the first runs of an overlay get the colours
  // furthest apart (the two blues and the two oranges come four apart); then red for SLO points and errors,
  // grey for the rate.
  const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#000000', '#d55e00', '#56b4e9', '#999933'];
  const RED = '#d62728';
  const GREY = '#8c8c8c';
  const colourOf = (i) => (i === -1 ? RED : i === -2 ? GREY : PALETTE[i % PALETTE.length]);
  // A scenario's dash on a page of several runs (the first solid); the timeline's max is the second.
  const DASHES = [[], [7, 4], [2, 3], [10, 3, 2, 3], [14, 4, 2, 4, 2, 4], [4, 6]];
  const dashOf = (i) => DASHES[(i ?? 0) % DASHES.length];

  // The formatters print nothing for no value: a legend never shows a placeholder, an axis no stray mark.
  /** 1/(1-p) as the percentile it stands for: 10 -> 90%, 1000 -> 99.9%. */
  const percentile = (x) => {
    if (x == null) return '';
    const p = 100 * (1 - 1 / x);
    return `${Number.parseFloat(p.toFixed(p < 99.99 ? 4 : 6))}%`;
  };

  /** Microseconds as the text reports print them. */
  const us = (v) => (v == null ? '' : v < 100 ? v.toFixed(2) : v < 10000 ? v.toFixed(1) : v.toFixed(0));
  const int = (v) => (v == null ? '' : Math.round(v).toLocaleString('en-US'));
  const seconds = (v) => (v == null ? '' : v.toFixed(1));

  /**
   * A series' legend figure. uPlot asks with no data index when no point is
   * under the cursor (a still page, and after the cursor leaves) and prints
   * "--" for it by default: then the series' still figure (charts.ts: a
   * spectrum's p99, a timeline's last interval). Under the cursor, the
   * figure there (`shown` where it differs from the drawn value: the errors
   * series' 0); where the series has none (past its last percentile), an
   * empty cell.
   */
  function legendValue(s, format) {
    return (_u, v, _si, idx) => format(idx == null ? s.still : s.shown ? s.shown[idx] : v);
  }

  /** The x row of the legend: where the cursor is, or with none, where the still figures are (`stillX`). */
  function legendX(c, format) {
    return (_u, v, _si, idx) => format(idx == null ? c.stillX : v);
  }

  /** An axis tick: whole microseconds from 1 up, two significant digits below. */
  const tick = (v) => (v == null ? '' : v >= 1 ? int(v) : String(Number.parseFloat(v.toPrecision(2))));

  /** The decades of 1/(1-p) in view: the HdrHistogram plot's ticks (0%, 90%, 99%, 99.9%, ...). */
  const decades = (_u, _axis, min, max) => {
    const out = [];
    for (let v = 1; v <= max * 1.0001; v *= 10) if (v >= min / 1.0001) out.push(v);
    return out;
  };

  /** The indexes of the values with no value on either side: a line cannot draw them, a point does. */
  function isolated(u, si) {
    const ys = u.data[si];
    const out = [];
    for (let i = 0; i < ys.length; i++) if (ys[i] != null && ys[i - 1] == null && ys[i + 1] == null) out.push(i);
    return out.length > 0 ? out : null;
  }

  function line(s, extra) {
    const base = {
      label: s.label,
      stroke: colourOf(s.colour),
      width: s.faint ? 1.25 : 1.75,
      alpha: s.faint ? 0.55 : 1,
      dash: dashOf(s.dash),
      group: s.group,
      points: { show: false, filter: isolated, size: 7, fill: colourOf(s.colour) },
      spanGaps: false,
    };
    return Object.assign(base, extra);
  }

  /** A series drawn as marks only (SLO points, intervals with errors). */
  function marks(s, extra) {
    const c = colourOf(s.colour);
    return Object.assign({ label: s.label, stroke: c, width: 0, paths: () => null, points: { show: true, size: 10, stroke: c, fill: c } }, extra);
  }

  function spectrumOptions(c) {
    const series = [{ label: 'percentile', value: legendX(c, percentile) }];
    const data = [c.x];
    for (const s of c.series) {
      const value = legendValue(s, us);
      series.push(s.colour === -1 ? marks(s, { value }) : line(s, { value }));
      data.push(s.values);
    }
    if (c.targetUs != null) {
      series.push({ label: `target ${c.targetUs} us`, stroke: GREY, width: 1, dash: [2, 3], points: { show: false }, value: () => us(c.targetUs) });
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
    // Still (and on the last point), the x row says that the figures are the last interval's.
    const series = [{ label: 'elapsed (s)', value: legendX(c, (v) => (v === c.stillX ? `${seconds(v)} (last)` : seconds(v))) }];
    const data = [c.x];
    for (const s of c.series) {
      if (s.scale === 'errors') series.push(marks(s, { scale: 'errors', value: legendValue(s, int) }));
      else if (s.scale === 'rate') series.push(line(s, { scale: 'rate', width: 1.25, value: legendValue(s, int) }));
      else series.push(line(s, { scale: 'us', value: legendValue(s, us) }));
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

  /**
   * A figure over repeated runs: the round number on x, each side a line
   * through its points (every round is drawn as a point, a lone one too),
   * outlying rounds ringed in red. Still, the legend shows each side's
   * median, and its x row says so.
   */
  function roundsOptions(c) {
    const rate = c.series.some((s) => s.scale === 'rate');
    const format = rate ? int : us;
    const series = [{ label: 'round', value: (_u, v, _si, idx) => (idx == null ? 'median' : String(v)) }];
    const data = [c.x];
    for (const s of c.series) {
      const value = legendValue(s, format);
      if (s.colour === -1) series.push(marks(s, { scale: s.scale, value, points: { show: true, size: 15, width: 2, stroke: RED, fill: 'rgba(0,0,0,0)' } }));
      else series.push(line(s, { scale: s.scale, value, points: { show: true, size: 7, fill: colourOf(s.colour) } }));
      data.push(s.values);
    }
    const rounds = (_u, _axis, min, max) => {
      const out = [];
      const step = Math.max(1, Math.ceil((max - min) / 12));
      for (let v = Math.max(1, Math.ceil(min)); v <= max; v += step) out.push(v);
      return out;
    };
    return {
      data,
      opts: {
        series,
        scales: {
          x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] },
          us: { distr: 3, log: 10 },
          rate: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] },
        },
        axes: [
          { scale: 'x', label: 'round', splits: rounds, values: (_u, ticks) => ticks.map(String), size: 40 },
          rate
            ? { scale: 'rate', label: 'msg/s', values: (_u, ticks) => ticks.map(int), size: 70 }
            : { scale: 'us', label: 'latency (us)', values: (_u, ticks) => ticks.map(tick), size: 64 },
        ],
      },
    };
  }

  const SVG = 'http://www.w3.org/2000/svg';

  /** A legend marker drawn as the series' line is: its colour, width, dash and paleness. */
  function swatch(marker, s) {
    marker.style.border = 'none';
    marker.style.background = 'none';
    marker.style.width = '2.2em';
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 22 10');
    svg.setAttribute('width', '100%');
    svg.setAttribute('height', '100%');
    const stroke = s._stroke ?? s.stroke();
    // A series of marks only (width 0) is a dot; a line is a stretch of itself.
    const l = document.createElementNS(SVG, s.width ? 'line' : 'circle');
    const attrs = s.width ? { x1: 0, y1: 5, x2: 22, y2: 5, stroke, 'stroke-width': s.width, 'stroke-opacity': s.alpha ?? 1 } : { cx: 11, cy: 5, r: 4, fill: stroke };
    if (s.width && s.dash?.length) attrs['stroke-dasharray'] = s.dash.join(' ');
    for (const [k, v] of Object.entries(attrs)) l.setAttribute(k, String(v));
    svg.append(l);
    marker.replaceChildren(svg);
  }

  /**
   * The legend of a chart of several runs, grouped: each run's name on a new
   * line, its series after it. uPlot's own rows are kept (their live values
   * and click-to-hide), with a line break and the run's name before each
   * run's first row.
   */
  function decorateLegend(plot) {
    const rows = plot.root.querySelectorAll('.u-legend tr.u-series');
    let group;
    let grouped = false;
    plot.series.forEach((s, i) => {
      const row = rows[i];
      if (row === undefined) return;
      if (i > 0) {
        const marker = row.querySelector('.u-marker');
        if (marker !== null) swatch(marker, s);
      }
      if (i === 0 || s.group === group) return;
      group = s.group;
      grouped = true;
      const brk = document.createElement('tr');
      brk.className = 'u-break';
      row.before(brk);
      // Series of no run (the target, SLO points) get a line of their own, unnamed.
      if (group === undefined) return;
      const head = document.createElement('tr');
      head.className = 'u-group';
      const th = document.createElement('th');
      th.textContent = group;
      head.append(th);
      row.before(head);
    });
    if (grouped) plot.root.querySelector('.u-legend')?.classList.add('grouped');
  }

  const data = JSON.parse(document.getElementById('report-data').textContent);
  const plots = [];

  function sizeOf(el, kind) {
    const width = Math.max(260, Math.floor(el.clientWidth));
    const tall = kind === 'spectrum' ? 340 : kind === 'rounds' ? 220 : 260;
    return { width, height: width < 520 ? Math.round(tall * 0.75) : tall };
  }

  for (const figure of document.querySelectorAll('figure.chart')) {
    const chart = data.charts[Number(figure.dataset.chart)];
    const el = figure.querySelector('.plot');
    const options = { spectrum: spectrumOptions, rounds: roundsOptions, timeline: timelineOptions }[chart.kind];
    const { opts, data: aligned } = options(chart);
    const plot = new uPlot(Object.assign(opts, sizeOf(el, chart.kind)), aligned, el);
    decorateLegend(plot);
    // The drawn plot, for a reader at the console (and the tests): plot.data is what is on the canvas.
    figure.uplot = plot;
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
