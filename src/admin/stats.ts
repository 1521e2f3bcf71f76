/**
 * `GET /stats.json`: the figures of one publication as one JSON object, for
 * the dashboard's status line and for a person with curl (Redis' INFO, as
 * JSON). Counters are totals since start; the dashboard's rates are
 * history.ts's, from the same combined figures.
 *
 * With `--workers N`, the figures of every worker summed (memory too: what
 * the workers hold together), except event-loop delay, which is the worst
 * worker's at each quantile (a sum of delays means nothing), and the time,
 * which is the primary's heartbeat; `workers` says how many are up.
 */
import { DROP_REASONS, GC_KINDS, PROTOCOL_ERROR_CODES, Slot, VALUE_SLOTS } from './shared.js';
import type { BuildInfo } from './metrics.js';
import type { AdminSources } from './sources.js';

const NS_PER_US = 1000;

/** Slots where workers' figures combine by the largest, not the sum. */
const WORST: ReadonlySet<number> = new Set([Slot.eldMin, Slot.eldMean, Slot.eldMax, Slot.eldP50, Slot.eldP90, Slot.eldP99, Slot.eldP999]);

/** Every source's figures combined into one array of slots. */
export function combined(sources: AdminSources): Float64Array {
  if (sources.each.length === 1) return sources.each[0].shared.values;
  const v = new Float64Array(VALUE_SLOTS);
  for (const { shared } of sources.each) {
    for (let i = 0; i < VALUE_SLOTS; i++) v[i] = WORST.has(i) ? Math.max(v[i], shared.values[i]) : v[i] + shared.values[i];
  }
  v[Slot.publishedAt] = sources.main.values[Slot.publishedAt];
  v[Slot.adminRestarts] = sources.main.values[Slot.adminRestarts];
  return v;
}

export function statsSnapshot(sources: AdminSources, gcTotals: ReadonlyArray<{ count: number; pauseMs: number }>, build: BuildInfo, health: string, startedAt: number): object {
  const v = combined(sources);
  const workers = sources.each[0].worker === null ? null : { count: sources.each.length, up: v[Slot.workerUp], restarts: v[Slot.workerRestarts] };
  const byCode: Record<string, number> = {};
  let protocol = 0;
  for (let i = 0; i <= PROTOCOL_ERROR_CODES.length; i++) {
    const n = v[Slot.protocolErrors + i];
    byCode[PROTOCOL_ERROR_CODES[i] ?? 'other'] = n;
    protocol += n;
  }
  const dropped: Record<string, number> = {};
  DROP_REASONS.forEach((reason, i) => {
    dropped[reason] = v[Slot.datagramsDropped + i];
  });
  const gc: Record<string, { count: number; pauseMs: number }> = {};
  GC_KINDS.forEach((kind, i) => {
    gc[kind] = { count: gcTotals[i].count, pauseMs: Math.round(gcTotals[i].pauseMs * 1000) / 1000 };
  });
  const us = (slot: number) => Math.round(v[slot]) / NS_PER_US;
  return {
    time: v[Slot.publishedAt],
    pid: process.pid,
    uptimeS: (Date.now() - startedAt) / 1000,
    health,
    build: { ...build, nodejs: process.version },
    connections: { accepted: v[Slot.accepted], open: v[Slot.open], rejected: v[Slot.rejected], idleClosed: v[Slot.idleClosed], forcedClosed: v[Slot.forcedClosed] },
    messages: v[Slot.messages],
    ignored: v[Slot.ignored],
    bytes: { in: v[Slot.bytesIn], out: v[Slot.bytesOut] },
    datagrams: { received: v[Slot.datagrams], dropped },
    errors: { protocol, protocolByCode: byCode, socket: v[Slot.socketErrors] },
    outputPauses: v[Slot.outputPauses],
    eventLoopDelayUs: {
      min: us(Slot.eldMin),
      mean: us(Slot.eldMean),
      p50: us(Slot.eldP50),
      p90: us(Slot.eldP90),
      p99: us(Slot.eldP99),
      p999: us(Slot.eldP999),
      max: us(Slot.eldMax),
      samples: v[Slot.eldSamples],
    },
    gc,
    memory: { rss: v[Slot.rss], heapUsed: v[Slot.heapUsed], heapTotal: v[Slot.heapTotal], external: v[Slot.external], arrayBuffers: v[Slot.arrayBuffers] },
    adminRestarts: v[Slot.adminRestarts],
    workers,
  };
}
