/**
 * The ratios against the targets, and the context ratios with no target,
 * taken from the measured rows. A ratio whose rows were not measured (a
 * section left out with --only) is left out, never written as NaN or zero.
 * A ratio of two latency rows carries its interval over the rounds (each
 * round's figure of each side), and a target says where that interval lies
 * against its limit; it is met, as before, by the ratio of the medians.
 */
import { ratioInterval } from '../../src/stats/noise.js';
import type { Settings } from './measure.js';
import { type Context, type Latency, PLACEMENTS, type Placement, type Ratio, type RoundsInterval, type Row } from './rows.js';

/** A ratio's value, and each round's figure of the row over (b) and the row under (a) when both were measured in rounds. */
interface Quotient {
  value: number;
  b?: number[];
  a?: number[];
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

/** B/A of figure `k` of two latency rows: the ratio of their medians, and their rounds. */
function over(b: Row, a: Row, k: keyof Latency): Quotient {
  return { value: b.latency![k] / a.latency![k], b: b.rounds?.map((l) => l[k]), a: a.rounds?.map((l) => l[k]) };
}

/** The interval of a quotient over the rounds; undefined when a side has no rounds, or a figure of 0 (no ratio). */
function roundsInterval(q: Quotient): RoundsInterval | undefined {
  if (q.a === undefined || q.b === undefined || q.a.length === 0 || q.b.length === 0) return undefined;
  if ([...q.a, ...q.b].some((v) => !(v > 0))) return undefined;
  const e = ratioInterval(q.a, q.b);
  return { rounds: { a: q.a.length, b: q.b.length }, estimate: e.ratio, low: e.low, high: e.high, confidence: e.confidence, p: e.p };
}

/** Where an interval lies against a limit: wholly on the allowed side, wholly on the other, or across it. */
export function against(i: RoundsInterval | undefined, limit: number, kind: 'max' | 'min'): Ratio['against'] {
  if (i === undefined || i.low === null || i.high === null) return undefined;
  const ok = kind === 'max' ? i.high <= limit : i.low >= limit;
  const not = kind === 'max' ? i.low > limit : i.high < limit;
  return ok ? 'within' : not ? 'beyond' : 'straddles';
}

/** Every target and context ratio whose inputs are among `rows`, in a fixed order. */
export function targets(rows: readonly Row[], s: Pick<Settings, 'idleConnections'>): { ratios: Ratio[]; context: Context[] } {
  const get = (id: string) => rows.find((r) => r.id === id);
  const ratios: Ratio[] = [];
  const ratio = (target: string, placement: Placement | null, q: Quotient | null, limit: number, kind: 'max' | 'min' = 'max') => {
    if (q === null) return;
    const interval = roundsInterval(q);
    const r: Ratio = { target, placement, value: r3(q.value), limit, kind, met: kind === 'max' ? q.value <= limit : q.value >= limit };
    const where = against(interval, limit, kind);
    ratios.push(interval === undefined ? r : where === undefined ? { ...r, interval } : { ...r, interval, against: where });
  };
  /** B/A of figure `k` of the latency rows `b` and `a`; null when either was not measured. */
  const q = (b: string, a: string, k: keyof Latency = 'p50'): Quotient | null => {
    const rb = get(b);
    const ra = get(a);
    return rb?.latency !== undefined && ra?.latency !== undefined ? over(rb, ra, k) : null;
  };
  /** A value with no rounds to it; null when not measured. */
  const plain = (v: number | undefined): Quotient | null => (v === undefined ? null : { value: v });

  for (const pl of PLACEMENTS) {
    const c = `c-pair-${pl}`;
    const srv = `our-server-${pl}`;
    const cli = `our-client-${pl}`;
    ratio('1. server p50 (sockperf -> ours / sockperf -> sockperf)', pl, q(srv, c), 1.1);
    ratio('1. server p99', pl, q(srv, c, 'p99'), 1.5);
    ratio('1. server p99.9', pl, q(srv, c, 'p99_9'), 2.0);
    ratio('1. server p99.99', pl, q(srv, c, 'p99_99'), 1.5);
    ratio('2. client p50 (ours -> sockperf / sockperf -> sockperf)', pl, q(cli, c), 1.1);
    ratio('2. client p99', pl, q(cli, c, 'p99'), 1.3);
    ratio('2. client p99.99', pl, q(cli, c, 'p99_99'), 1.5);
    ratio('3. our pair over a Unix socket p50 / C pair over TCP p50', pl, q(`our-pair-unix-${pl}`, c), 1.0);
    ratio('8. UDP server p50 (sockperf -> ours / sockperf -> sockperf, UDP)', pl, q(`our-server-udp-${pl}`, `c-pair-udp-${pl}`), 1.2);
    ratio('8. UDP server p99.99', pl, q(`our-server-udp-${pl}`, `c-pair-udp-${pl}`, 'p99_99'), 1.5);
  }
  ratio('1. server p99.99, SCHED_FIFO', 'split', q('our-server-rt', 'c-pair-rt', 'p99_99'), 1.5);
  ratio('2. client p99.99, SCHED_FIFO', 'split', q('our-client-rt', 'c-pair-rt', 'p99_99'), 1.5);
  ratio('4. our pair busy-polling, split, p50 / C pair split p50', 'split', q('our-pair-busy-split', 'c-pair-split'), 0.4);
  // The GC target is the stream paths' (TCP, Unix socket); UDP's rows are shown with no target: Node allocates per datagram received.
  for (const r of rows) {
    if (r.garbage !== undefined && !r.id.includes('-udp')) ratio(`5. ${r.what.replace(' per 1M round trips', ' events per 1 000 000 round trips')}`, r.placement, plain(r.garbage.events), 5);
  }
  for (const [c, p] of [
    [50, 16],
    [50, 1],
  ]) {
    // The servers compared under the same client, each client in turn: like for like. One run each: no interval.
    const under = (client: string, ours: string, redis: string) => {
      const o = get(`${ours}-${c}x${p}`)?.throughputPerSec;
      const r = get(`${redis}-${c}x${p}`)?.throughputPerSec;
      if (o !== undefined && r !== undefined) ratio(`6. throughput ${c} x ${p} under ${client}: our server / redis-server`, 'split', plain(o / r), 1.0, 'min');
    };
    under('redis-benchmark', 'rb-ours', 'redis');
    under('bin/benchmark', 'ours', 'ob-redis');
  }
  ratio(`7. server RSS for ${s.idleConnections} idle connections, MiB`, null, plain(get('idle-memory')?.value), 20);

  // What waiting in epoll costs C itself.
  const context: Context[] = [];
  const note = (what: string, placement: Placement | null, x: Quotient | null) => {
    if (x === null) return;
    const interval = roundsInterval(x);
    context.push(interval === undefined ? { what, placement, value: r3(x.value) } : { what, placement, value: r3(x.value), interval });
  };
  for (const pl of PLACEMENTS) {
    const c = `c-pair-${pl}`;
    const cServerEpoll = `c-server-epoll-${pl}`;
    const cClientEpoll = `c-client-epoll-${pl}`;
    note('C server with epoll p50 / C server with recvfrom p50', pl, q(cServerEpoll, c));
    note('our server p50 / C server with epoll p50', pl, q(`our-server-${pl}`, cServerEpoll));
    note('C client with epoll p50 / C client with recvfrom p50', pl, q(cClientEpoll, c));
    note('our client p50 / C client with epoll p50', pl, q(`our-client-${pl}`, cClientEpoll));
    note('UDP: our client -> sockperf server p50 / C pair p50', pl, q(`our-client-udp-${pl}`, `c-pair-udp-${pl}`));
    note('UDP: our pair p50 / C pair p50', pl, q(`our-pair-udp-${pl}`, `c-pair-udp-${pl}`));
  }
  note('our client busy-polling p50 / C client p50', 'split', q('our-client-busy-split', 'c-pair-split'));
  return { ratios, context };
}
