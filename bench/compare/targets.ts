/**
 * The ratios against the targets, and the context ratios with no target,
 * taken from the measured rows. A ratio whose rows were not measured (a
 * section left out with --only) is left out, never written as NaN or zero.
 */
import type { Settings } from './measure.js';
import { type Context, PLACEMENTS, type Placement, type Ratio, type Row } from './rows.js';

/** Every target and context ratio whose inputs are among `rows`, in a fixed order. */
export function targets(rows: readonly Row[], s: Pick<Settings, 'idleConnections'>): { ratios: Ratio[]; context: Context[] } {
  const get = (id: string) => rows.find((r) => r.id === id);
  const p50 = (id: string) => get(id)?.latency?.p50;
  const ratios: Ratio[] = [];
  const ratio = (target: string, placement: Placement | null, value: number, limit: number, kind: 'max' | 'min' = 'max') =>
    ratios.push({ target, placement, value: Math.round(value * 1000) / 1000, limit, kind, met: kind === 'max' ? value <= limit : value >= limit });

  for (const pl of PLACEMENTS) {
    const c = get(`c-pair-${pl}`)?.latency;
    if (c === undefined) continue;
    const srv = get(`our-server-${pl}`)?.latency;
    const cli = get(`our-client-${pl}`)?.latency;
    const unix = p50(`our-pair-unix-${pl}`);
    if (srv !== undefined) {
      ratio('1. server p50 (sockperf -> ours / sockperf -> sockperf)', pl, srv.p50 / c.p50, 1.1);
      ratio('1. server p99', pl, srv.p99 / c.p99, 1.5);
      ratio('1. server p99.9', pl, srv.p99_9 / c.p99_9, 2.0);
      ratio('1. server p99.99', pl, srv.p99_99 / c.p99_99, 1.5);
    }
    if (cli !== undefined) {
      ratio('2. client p50 (ours -> sockperf / sockperf -> sockperf)', pl, cli.p50 / c.p50, 1.1);
      ratio('2. client p99', pl, cli.p99 / c.p99, 1.3);
      ratio('2. client p99.99', pl, cli.p99_99 / c.p99_99, 1.5);
    }
    if (unix !== undefined) ratio('3. our pair over a Unix socket p50 / C pair over TCP p50', pl, unix / c.p50, 1.0);
    const cUdp = get(`c-pair-udp-${pl}`)?.latency;
    const srvUdp = get(`our-server-udp-${pl}`)?.latency;
    if (cUdp !== undefined && srvUdp !== undefined) {
      ratio('8. UDP server p50 (sockperf -> ours / sockperf -> sockperf, UDP)', pl, srvUdp.p50 / cUdp.p50, 1.2);
      ratio('8. UDP server p99.99', pl, srvUdp.p99_99 / cUdp.p99_99, 1.5);
    }
  }
  const cRt = get('c-pair-rt')?.latency;
  const srvRt = get('our-server-rt')?.latency;
  const cliRt = get('our-client-rt')?.latency;
  if (cRt !== undefined && srvRt !== undefined) ratio('1. server p99.99, SCHED_FIFO', 'split', srvRt.p99_99 / cRt.p99_99, 1.5);
  if (cRt !== undefined && cliRt !== undefined) ratio('2. client p99.99, SCHED_FIFO', 'split', cliRt.p99_99 / cRt.p99_99, 1.5);
  const cSplit = p50('c-pair-split');
  const busyPair = p50('our-pair-busy-split');
  if (busyPair !== undefined && cSplit !== undefined) ratio('4. our pair busy-polling, split, p50 / C pair split p50', 'split', busyPair / cSplit, 0.4);
  // The GC target is the stream paths' (TCP, Unix socket); UDP's rows are shown with no target: Node allocates per datagram received.
  for (const r of rows) {
    if (r.garbage !== undefined && !r.id.includes('-udp')) ratio(`5. ${r.what.replace(' per 1M round trips', ' events per 1 000 000 round trips')}`, r.placement, r.garbage.events, 5);
  }
  for (const [c, p] of [
    [50, 16],
    [50, 1],
  ]) {
    // The servers compared under the same client, each client in turn: like for like.
    const under = (client: string, ours: string, redis: string) => {
      const o = get(`${ours}-${c}x${p}`)?.throughputPerSec;
      const r = get(`${redis}-${c}x${p}`)?.throughputPerSec;
      if (o !== undefined && r !== undefined) ratio(`6. throughput ${c} x ${p} under ${client}: our server / redis-server`, 'split', o / r, 1.0, 'min');
    };
    under('redis-benchmark', 'rb-ours', 'redis');
    under('bin/benchmark', 'ours', 'ob-redis');
  }
  const memory = get('idle-memory')?.value;
  if (memory !== undefined) ratio(`7. server RSS for ${s.idleConnections} idle connections, MiB`, null, memory, 20);

  // What waiting in epoll costs C itself.
  const context: Context[] = [];
  const note = (what: string, placement: Placement | null, value: number) => context.push({ what, placement, value: Math.round(value * 1000) / 1000 });
  for (const pl of PLACEMENTS) {
    const c = p50(`c-pair-${pl}`);
    const cServerEpoll = p50(`c-server-epoll-${pl}`);
    const cClientEpoll = p50(`c-client-epoll-${pl}`);
    const ourServer = p50(`our-server-${pl}`);
    const ourClient = p50(`our-client-${pl}`);
    if (cServerEpoll !== undefined && c !== undefined) note('C server with epoll p50 / C server with recvfrom p50', pl, cServerEpoll / c);
    if (ourServer !== undefined && cServerEpoll !== undefined) note('our server p50 / C server with epoll p50', pl, ourServer / cServerEpoll);
    if (cClientEpoll !== undefined && c !== undefined) note('C client with epoll p50 / C client with recvfrom p50', pl, cClientEpoll / c);
    if (ourClient !== undefined && cClientEpoll !== undefined) note('our client p50 / C client with epoll p50', pl, ourClient / cClientEpoll);
    const cUdp = p50(`c-pair-udp-${pl}`);
    const ourClientUdp = p50(`our-client-udp-${pl}`);
    const ourPairUdp = p50(`our-pair-udp-${pl}`);
    if (ourClientUdp !== undefined && cUdp !== undefined) note('UDP: our client -> sockperf server p50 / C pair p50', pl, ourClientUdp / cUdp);
    if (ourPairUdp !== undefined && cUdp !== undefined) note('UDP: our pair p50 / C pair p50', pl, ourPairUdp / cUdp);
  }
  const busyClient = p50('our-client-busy-split');
  if (busyClient !== undefined && cSplit !== undefined) note('our client busy-polling p50 / C client p50', 'split', busyClient / cSplit);
  return { ratios, context };
}
