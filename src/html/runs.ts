/**
 * What an HTML report shows of one run, whatever it was kept as: a
 * benchmark's or a client's `--json` report, or interval logs (one, or
 * several merged). Each builder keeps the figures the run printed and the
 * encoded histograms the charts are drawn from (charts.ts), so a page is
 * rebuilt from kept data alone.
 */
import type { ClientReport } from '../report/client.js';
import type { ClientSizesReport } from '../report/client-sizes.js';
import { sizeTag } from '../report/scenario.js';
import { type BenchmarkReport, scenarioNames } from '../report/benchmark.js';
import type { RunMeta } from '../cli/meta.js';
import { formatGcKinds } from '../stats/gc.js';
import { type LatencyUs, decodeHistogram } from '../stats/histogram.js';
import { type IntervalLog, type MergeResult, intervalLengthOf, mergeIntervalLogs } from '../stats/merge.js';
import type { SloPoint } from './charts.js';
import { type TimelinePoint, foldLog, pointsOf } from './timeline.js';

/** One scenario of a run (a benchmark scenario, the client's round trips, an interval log's tag). */
export interface RunScenario {
  /** The same name across runs overlays them (a benchmark's scenario tag: c10-p1-closed, c10-p1-closed-64B). */
  name: string;
  messages: number;
  msgPerS: number;
  latencyUs: LatencyUs | null;
  errors: number | null;
  partial: boolean;
  /** Encoded histograms (nanoseconds); null when the source did not keep them. */
  latency: string | null;
  uncorrected: string | null;
  timeline: TimelinePoint[];
  warnings: string[];
  sloBreaches: string[];
}

export interface ReportRun {
  /** The file name or `--label`; the run's own name when there is one run. */
  label: string;
  /** What the run was, in a few words ("respuesta-benchmark 0.1.0 on Node v20.20.2"). */
  source: string;
  /** The run's context, as rows of name and value. */
  context: Array<[string, string]>;
  /** A spawned server's summary, as rows; null when there is none. */
  server: Array<[string, string]> | null;
  warnings: string[];
  scenarios: RunScenario[];
  slo: SloPoint[];
  targetUs: number | null;
}

/** A --json run's interval, ms: its --interval as given, or the default second. */
const intervalMsOf = (options: { interval: number | null }): number => (options.interval ?? 1) * 1000;

/** --slo names to the percentile they sit at on the spectrum (100: the maximum). The mean is no percentile: it is not drawn. */
const SLO_PERCENTILE: Readonly<Record<string, number>> = { p50: 50, p90: 90, p99: 99, 'p99.9': 99.9, 'p99.99': 99.99, max: 100 };

/** A value as one line of a context table. */
function show(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Rows of the context every JSON report shares (meta). */
function metaRows(meta: RunMeta): Array<[string, string]> {
  return [
    ['command', (meta.argv ?? [meta.tool]).map(quoteArg).join(' ')],
    ['started', meta.startedAt],
    ['version', `${meta.tool} ${meta.version}${meta.commit === null ? '' : ` (commit ${meta.commit})`}`],
    ['node', `${meta.node}${meta.nodeFlags.length > 0 ? ` ${meta.nodeFlags.join(' ')}` : ''}`],
    ['host', `${meta.hostname}: ${meta.cpu.count} x ${meta.cpu.model}, ${meta.kernel}`],
  ];
}

/** An argument as a shell would need it typed. */
function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** Rows from an object's fields, skipping the ones shown elsewhere. */
function fieldRows(o: Record<string, unknown>, skip: readonly string[] = []): Array<[string, string]> {
  return Object.entries(o)
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => [k, show(v)]);
}

/** UDP's counts of a run or a scenario: what was lost, and the replies that came late, twice or out of order. */
function datagramText(c: { lost: number; late?: number; duplicates?: number; outOfOrder?: number }): string {
  return `lost ${c.lost}, late ${c.late ?? 0}, duplicates ${c.duplicates ?? 0}, out of order ${c.outOfOrder ?? 0}`;
}

/** A benchmark's `--json` report. */
export function benchmarkRun(r: BenchmarkReport, label: string): ReportRun {
  const context = metaRows(r.meta);
  context.push(['target', `${r.transport} ${r.address}`]);
  context.push(['placement', `benchmark CPUs ${r.placement.clientCpus ?? '?'}, server ${r.placement.serverSpawned ? `spawned, CPUs ${r.placement.serverCpus ?? '?'}` : 'not spawned'}`]);
  context.push(...fieldRows(r.options as unknown as Record<string, unknown>, ['scenarios']));
  if (r.interrupted !== null) context.push(['interrupted', r.interrupted]);
  if (r.failure !== null) context.push(['failure', r.failure]);
  if (r.transport === 'udp') context.push(['datagrams', r.scenarios.map((s, i) => `scenario ${i + 1}: ${datagramText(s)}`).join('; ')]);
  // As the run's --hlog tags them, its sizes named when it has several, so that its log and its JSON overlay.
  const names = scenarioNames(r);
  const scenarios = r.scenarios.map((s, i): RunScenario => {
    const h = s.histograms;
    return {
      name: names[i],
      messages: s.messages,
      msgPerS: s.throughputPerSec,
      latencyUs: s.latencyUs,
      errors: s.errors,
      partial: s.partial,
      latency: h?.latency ?? null,
      uncorrected: h?.uncorrected ?? null,
      timeline: h === undefined ? [] : pointsOf(h.intervals, intervalMsOf(r.options)),
      warnings: s.warnings,
      sloBreaches: s.sloBreaches,
    };
  });
  const slo = Object.entries(r.slo ?? {})
    .filter(([name]) => SLO_PERCENTILE[name] !== undefined)
    .map(([name, us]) => ({ name, p: SLO_PERCENTILE[name], us }));
  return {
    label,
    source: `${r.meta.tool} ${r.meta.version} on Node ${r.meta.node} against ${r.address} (${r.framing} framing${r.placement.serverSpawned ? ', a server it started' : ''})`,
    context,
    // The log line's own fields (event, level, time) say nothing about the server.
    server: r.server === null ? null : fieldRows(r.server, ['event', 'level', 'time', 'msg']),
    warnings: r.scenarios.flatMap((s) => s.warnings),
    scenarios,
    slo,
    targetUs: r.targetUs,
  };
}

/** How many values an encoded histogram holds. */
function countOf(encoded: string): number {
  const h = decodeHistogram(encoded);
  const n = h.totalCount;
  h.destroy();
  return n;
}

/** Messages per second of a tag over the time its intervals span, first start to last end, in every log. */
function rateOf(logs: readonly IntervalLog[], tag: string, messages: number): number {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const l of logs) {
    for (const iv of l.intervals) {
      if (iv.tag !== tag) continue;
      first = Math.min(first, iv.startMs);
      last = Math.max(last, iv.startMs + iv.lengthMs);
    }
  }
  return last > first ? Math.round(messages / ((last - first) / 1000)) : 0;
}

/** A client's `--json` report: one scenario, its round trips. */
export function clientRun(r: ClientReport, label: string): ReportRun {
  const context = metaRows(r.meta);
  context.push(['target', `${r.transport} ${r.address}`]);
  context.push(['placement', `client CPUs ${r.cpus ?? '?'}${r.busyPoll ? ', busy-polling' : ''}`]);
  context.push(...fieldRows(r.options as unknown as Record<string, unknown>));
  if (r.transport === 'udp') context.push(['datagrams', datagramText(r)]);
  context.push(['client GC', `${r.gc.count} (${formatGcKinds(r.gc)}), ${r.gc.pauseMs} ms paused`]);
  if (r.interrupted !== null) context.push(['interrupted', r.interrupted]);
  if (r.error !== null) context.push(['error', r.error]);
  const h = r.histograms;
  return {
    label,
    source: `${r.meta.tool} ${r.meta.version} on Node ${r.meta.node} against ${r.address} (${r.framing} framing)`,
    context,
    server: null,
    warnings: r.warnings,
    scenarios: [
      {
        // As the client's --hlog tags it, so that its log and its JSON overlay.
        name: 'rtt',
        // The measured round trips (received counts the warm-up too).
        messages: h === undefined ? Math.max(0, r.received - r.warmup) : countOf(h.latency),
        msgPerS: r.throughputPerSec,
        latencyUs: r.latencyUs,
        errors: r.errors,
        partial: r.partial,
        latency: h?.latency ?? null,
        uncorrected: h?.uncorrected ?? null,
        timeline: h === undefined ? [] : pointsOf(h.intervals, intervalMsOf(r.options)),
        warnings: r.warnings,
        sloBreaches: [],
      },
    ],
    slo: [],
    targetUs: r.targetUs,
  };
}

/**
 * A client's run of several sizes: one scenario per block, named as its
 * --hlog tags it (`rtt-64B`), so that the page overlays the sizes' spectra
 * in one chart; the context is the first block's, with the sizes.
 */
export function clientSizesRun(r: ClientSizesReport, label: string): ReportRun {
  const runs = r.blocks.map((b) => clientRun(b, label));
  const first = runs[0];
  const context = first.context.filter(([k]) => k !== 'size');
  context.push(['sizes', `${r.sizes.join(', ')} B, a block each`]);
  if (r.error !== null) context.push(['error', r.error]);
  return {
    ...first,
    context,
    warnings: runs.flatMap((run, i) => run.warnings.map((w) => `${sizeTag(r.blocks[i].size)}: ${w}`)),
    scenarios: runs.map((run, i) => ({ ...run.scenarios[0], name: `rtt-${sizeTag(r.blocks[i].size)}` })),
  };
}

/**
 * Interval logs, merged (one log is a merge of one): one scenario per tag,
 * a tag ending in `-uncorrected` drawn with the tag it belongs to. The
 * figures are `merged`'s; the timelines come from the logs merged again with
 * each log's fragments folded (timeline.ts), each bucket drawn at the end of
 * the latest interval in it.
 */
export function logsRun(logs: readonly IntervalLog[], merged: MergeResult, label: string): ReportRun {
  const byTag = new Map(merged.tags.map((t) => [t.tag, t]));
  const drawn = new Map(mergeIntervalLogs(logs.map((l) => foldLog(l, intervalLengthOf(l)))).tags.map((t) => [t.tag, t]));
  const scenarios: RunScenario[] = [];
  for (const t of merged.tags) {
    if (t.tag.endsWith('-uncorrected') && byTag.has(t.tag.slice(0, -'-uncorrected'.length))) continue;
    const uncorrected = byTag.get(`${t.tag}-uncorrected`);
    scenarios.push({
      name: t.tag,
      messages: t.messages,
      msgPerS: rateOf(logs, t.tag, t.messages),
      latencyUs: t.latencyUs,
      errors: null,
      partial: t.inLogs < logs.length,
      latency: t.histogram,
      uncorrected: uncorrected?.histogram ?? null,
      timeline: drawn.get(t.tag)!.intervals.map((iv, _i, all) => ({
        endS: (iv.endMs - all[0].startMs) / 1000,
        p50: iv.latencyUs?.p50 ?? null,
        p99: iv.latencyUs?.p99 ?? null,
        max: iv.latencyUs?.max ?? null,
        msgPerS: Math.round(iv.msgPerS),
        errors: null,
      })),
      warnings: [],
      sloBreaches: [],
    });
  }
  const starts = logs.map((l) => (l.startMs === null ? '-' : new Date(l.startMs).toISOString()));
  return {
    label,
    source: logs.length === 1 ? `interval log ${logs[0].name}` : `${logs.length} interval logs merged`,
    context: [
      ['files', logs.map((l) => l.name).join(', ')],
      ['started', starts.join(', ')],
      ['interval', `${merged.intervalMs} ms`],
      ['tags', merged.tags.map((t) => t.tag).join(', ')],
    ],
    server: null,
    warnings: [],
    scenarios,
    slo: [],
    targetUs: null,
  };
}
