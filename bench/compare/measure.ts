/**
 * The measurements, one at a time, section by section; each returns rows.
 *
 * The latency rows are measured in N rounds (4 by default, the fewest for
 * an interval of a ratio, targets.ts; 1 with --quick), each round running
 * every latency row of both placements once, in the same order; each row
 * keeps each round's figures, and reports their median and p50's range.
 * This VM drifts by 20% or more over minutes, and a reference measured
 * once, in a bad minute, would skew every ratio taken against it;
 * interleaved rounds spread the drift over both sides of each ratio.
 *
 * Placements: "same" puts every process on CPU 0; "split" puts servers on
 * CPU 0 and clients on CPU 1. sockperf is also run with epoll in place of its
 * blocking recvfrom(), on each side, to show what waiting in an event loop
 * costs C; those ratios are printed as context, with no target.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processRssBytes } from '../../src/machine/proc.js';
import { median, openConnections, waitForPort } from '../lib.js';
import { type Garbage, type Latency, PLACEMENTS, type Placement, type Row, type Section } from './rows.js';
import { RT_PRIORITY, bin, freePort, ourClient, ourLatency, ourServer, removeFeeds, run, sleep, sockperfClient, sockperfServer, stop } from './tools.js';
import { sizes } from './sizes.js';
import { type Sample, udpRound } from './udp.js';

/** How long and how much each measurement runs; --quick shortens all but the idle connections. */
export interface Settings {
  quick: boolean;
  /** Latency rounds. */
  rounds: number;
  /** sockperf's runs and bin/benchmark's, in seconds. */
  seconds: number;
  /** Round trips for our client, about as long as sockperf's run. */
  count: number;
  warmup: number;
  /** Round trips over which GC events are counted. */
  gcTrips: number;
  idleConnections: number;
}

/** The settings of a full run (or a --quick one), with `rounds` latency rounds. */
export function settingsFor(quick: boolean, rounds: number): Settings {
  return {
    quick,
    rounds,
    seconds: quick ? 2 : 5,
    count: quick ? 40_000 : 150_000,
    warmup: quick ? 5_000 : 10_000,
    gcTrips: quick ? 100_000 : 1_000_000,
    idleConnections: 10_000,
  };
}

/** The throughput scenarios, connections x pipeline, in the order they run. */
const THROUGHPUT: ReadonlyArray<[connections: number, pipeline: number]> = [
  [50, 16],
  [50, 1],
];

const PLACE: Record<Placement, { server: string; client: string }> = { same: { server: '0', client: '0' }, split: { server: '0', client: '1' } };

const log = (s: string) => process.stderr.write(`compare: ${s}\n`);

/**
 * Measure the given sections, always in the order of SECTIONS, and return
 * their rows in that order: latency, GC, memory, throughput, sizes.
 */
export async function measure(s: Settings, sections: readonly Section[]): Promise<Row[]> {
  const rows: Row[] = [];
  if (sections.includes('latency')) rows.push(...(await latency(s)));
  if (sections.includes('gc')) rows.push(...(await garbage(s)));
  if (sections.includes('memory')) rows.push(await idleMemory(s));
  if (sections.includes('throughput')) for (const [conns, pipeline] of THROUGHPUT) rows.push(...(await throughput(s, conns, pipeline)));
  if (sections.includes('sizes')) rows.push(...(await sizes({ rounds: s.rounds, seconds: s.quick ? 1 : 3, warmup: s.warmup })));
  return rows;
}

/** Every latency row, in `s.rounds` interleaved rounds; each row the median of each percentile over the rounds. */
async function latency(s: Settings): Promise<Row[]> {
  /** Latency rows, by id, in the order first measured; a round adds one figure to each. */
  const samples = new Map<string, Row & { rounds: Latency[] }>();
  const sample: Sample = (id, what, placement, l) => {
    let row = samples.get(id);
    if (row === undefined) {
      row = { id, what, placement, rounds: [] };
      samples.set(id, row);
    }
    row.rounds.push(l);
  };
  try {
    for (let round = 1; round <= s.rounds; round++) {
      for (const pl of PLACEMENTS) await latencyRound(s, pl, round, sample);
    }
  } finally {
    removeFeeds();
  }
  return [...samples.values()].map((r) => {
    const pick = (k: keyof Latency) => median(r.rounds.map((l) => l[k]));
    return { ...r, latency: { p50: pick('p50'), p99: pick('p99'), p99_9: pick('p99_9'), p99_99: pick('p99_99'), max: pick('max') } };
  });
}

/** One round of the latency rows of placement `pl`. */
async function latencyRound(st: Settings, pl: Placement, round: number, sample: Sample): Promise<void> {
  const log = (s: string) => process.stderr.write(`compare: round ${round}/${st.rounds}: ${s}\n`);
  const { server: S, client: C } = PLACE[pl];
  const ourClientLatency = async (target: string[], extra: string[] = []) => ourLatency(await ourClient(C, target, extra, st.count, st.warmup));
  const sp = await freePort();
  const ref = sockperfServer(S, sp);
  try {
    await waitForPort(sp);
    log(`${pl}: sockperf client -> sockperf server`);
    sample(`c-pair-${pl}`, 'sockperf client -> sockperf server (TCP)', pl, await sockperfClient(C, sp, st.seconds));
    log(`${pl}: our client -> sockperf server`);
    sample(`our-client-${pl}`, 'our client -> sockperf server (TCP)', pl, await ourClientLatency(['--port', String(sp), '--framing', 'sockperf']));
    log(`${pl}: sockperf client with epoll -> sockperf server`);
    sample(`c-client-epoll-${pl}`, 'sockperf client, epoll -> sockperf server (TCP)', pl, await sockperfClient(C, sp, st.seconds, 'epoll'));
    if (pl === 'split') {
      log(`${pl}: our client, busy-polling -> sockperf server`);
      sample('our-client-busy-split', 'our client, --busy-poll -> sockperf server (TCP)', pl, await ourClientLatency(['--port', String(sp), '--framing', 'sockperf'], ['--busy-poll']));
    }
  } finally {
    await stop(ref);
  }
  const spe = await freePort();
  const refEpoll = sockperfServer(S, spe, 'epoll');
  try {
    await waitForPort(spe);
    log(`${pl}: sockperf client -> sockperf server with epoll`);
    sample(`c-server-epoll-${pl}`, 'sockperf client -> sockperf server, epoll (TCP)', pl, await sockperfClient(C, spe, st.seconds));
  } finally {
    await stop(refEpoll);
  }

  let s = await ourServer(S, ['--framing', 'sockperf']);
  log(`${pl}: sockperf client -> our server`);
  sample(`our-server-${pl}`, 'sockperf client -> our server (TCP)', pl, await sockperfClient(C, s.port, st.seconds));
  await s.stop();

  const dir = mkdtempSync(join(tmpdir(), 'respuesta-compare-'));
  const sock = join(dir, 's.sock');
  s = await ourServer(S, ['--unix', sock]);
  log(`${pl}: our client -> our server, TCP and Unix socket`);
  sample(`our-pair-tcp-${pl}`, 'our client -> our server (TCP)', pl, await ourClientLatency(['--port', String(s.port)]));
  sample(`our-pair-unix-${pl}`, 'our client -> our server (Unix socket)', pl, await ourClientLatency(['--unix', sock]));
  await s.stop();
  rmSync(dir, { recursive: true, force: true });
  await udpRound(st, pl, S, C, log, sample);

  if (pl === 'split') {
    // Busy-polling only makes sense across CPUs: on one CPU the spinning steals the peer's time.
    s = await ourServer(S, ['--busy-poll']);
    log(`${pl}: our pair, both busy-polling`);
    sample('our-pair-busy-split', 'our client -> our server, both --busy-poll (TCP)', pl, await ourClientLatency(['--port', String(s.port)], ['--busy-poll']));
    await s.stop();
    await realtimeRound(st, log, sample);
  }
}

/**
 * The split rows again with every process under SCHED_FIFO (sockperf under
 * chrt, ours with --rt-priority): what the tail is when no other task can
 * preempt either side. Skipped, with the reason, where chrt is refused.
 */
async function realtimeRound(st: Settings, log: (s: string) => void, sample: Sample): Promise<void> {
  const { server: S, client: C } = PLACE.split;
  try {
    await run('chrt', ['-f', RT_PRIORITY, 'true']);
  } catch (err) {
    log(`split, SCHED_FIFO: skipped (${(err as Error).message.split('\n')[0]})`);
    return;
  }
  const rt = ['--rt-priority', RT_PRIORITY];
  const sp = await freePort();
  const ref = sockperfServer(S, sp, 'recvfrom', true);
  try {
    await waitForPort(sp);
    log('split, SCHED_FIFO: sockperf client -> sockperf server');
    sample('c-pair-rt', 'sockperf client -> sockperf server (TCP), SCHED_FIFO', 'split', await sockperfClient(C, sp, st.seconds, 'recvfrom', true));
    log('split, SCHED_FIFO: our client -> sockperf server');
    sample('our-client-rt', 'our client -> sockperf server (TCP), SCHED_FIFO', 'split', ourLatency(await ourClient(C, ['--port', String(sp), '--framing', 'sockperf'], rt, st.count, st.warmup)));
  } finally {
    await stop(ref);
  }
  const s = await ourServer(S, ['--framing', 'sockperf', ...rt]);
  log('split, SCHED_FIFO: sockperf client -> our server');
  sample('our-server-rt', 'sockperf client -> our server (TCP), SCHED_FIFO', 'split', await sockperfClient(C, s.port, st.seconds, 'recvfrom', true));
  await s.stop();
}

/**
 * GC in the server (its summary: start-up included) and in the client (its
 * measured phase) over `s.gcTrips` round trips after a warm-up of
 * `s.warmup`, fixed and echo, TCP and Unix socket, and echo over UDP on both
 * of the server's paths (GC_CASES), split placement, in
 * `s.rounds` rounds: events and pause scaled to 1 000 000 round trips, the
 * median and each round.
 */
async function garbage(s: Settings): Promise<Row[]> {
  const P = PLACE.split;
  const scale = 1_000_000 / s.gcTrips;
  const rows = new Map<string, Row & { garbageRounds: Garbage[] }>();
  const add = (id: string, what: string, g: Garbage) => {
    let row = rows.get(id);
    if (row === undefined) {
      row = { id, what, placement: 'split', garbageRounds: [] };
      rows.set(id, row);
    }
    const ms = (v: number) => Math.round(v * scale * 1000) / 1000;
    row.garbageRounds.push({ events: g.events * scale, pauseMs: ms(g.pauseMs), quiet: g.quiet * scale, quietPauseMs: ms(g.quietPauseMs) });
  };
  for (let round = 1; round <= s.rounds; round++) {
    for (const [mode, transport] of GC_CASES) {
      const dir = mkdtempSync(join(tmpdir(), 'respuesta-compare-'));
      const sock = join(dir, 's.sock');
      const up = await freePort();
      const listen = { tcp: [], unix: ['--unix', sock], udp: ['--udp', `127.0.0.1:${up}`], 'udp-dgram': ['--udp', `127.0.0.1:${up}`, '--io', 'sockets'] }[transport];
      const server = await ourServer(P.server, ['--mode', mode, ...listen]);
      const at = { tcp: ['--port', String(server.port)], unix: ['--unix', sock], udp: ['--udp', '--port', String(up)], 'udp-dgram': ['--udp', '--port', String(up)] }[transport];
      log(`garbage: round ${round}/${s.rounds}, ${s.gcTrips} round trips, ${mode} mode, ${transport}`);
      const j = await ourClient(P.client, [...at, '--mode', mode], [], s.gcTrips, s.warmup);
      const { summary } = await server.stop();
      rmSync(dir, { recursive: true, force: true });
      const sg = (summary as { gc?: { count: number; pauseMs: number; quiet?: number; quietPauseMs?: number } } | undefined)?.gc;
      if (sg === undefined) throw new Error('the server printed no summary');
      const label = `${mode}, ${{ tcp: 'TCP', unix: 'Unix socket', udp: 'UDP', 'udp-dgram': 'UDP, server on dgram (--io sockets)' }[transport]}`;
      add(`gc-server-${mode}-${transport}`, `server GC per 1M round trips (${label}; start-up included)`, {
        events: sg.count,
        pauseMs: sg.pauseMs,
        quiet: sg.quiet ?? 0,
        quietPauseMs: sg.quietPauseMs ?? 0,
      });
      add(`gc-client-${mode}-${transport}`, `client GC per 1M round trips (${label}; measured phase)`, {
        events: j.gc.count,
        pauseMs: j.gc.pauseMs,
        quiet: j.gc.quiet ?? 0,
        quietPauseMs: j.gc.quietPauseMs ?? 0,
      });
    }
  }
  return [...rows.values()].map((r) => {
    const pick = (k: keyof Garbage) => median(r.garbageRounds.map((g) => g[k]));
    return { ...r, garbage: { events: pick('events'), pauseMs: pick('pauseMs'), quiet: pick('quiet'), quietPauseMs: pick('quietPauseMs') }, value: pick('events'), unit: 'GCs' };
  });
}

/**
 * The GC rows' servers and clients: fixed and echo over TCP and a Unix
 * socket; over UDP echo only (our client refuses fixed replies over UDP:
 * they carry no sequence number), on the bare UDP handle and on dgram.
 */
const GC_CASES: ReadonlyArray<['fixed' | 'echo', 'tcp' | 'unix' | 'udp' | 'udp-dgram']> = [
  ['fixed', 'tcp'],
  ['fixed', 'unix'],
  ['echo', 'tcp'],
  ['echo', 'unix'],
  ['echo', 'udp'],
  ['echo', 'udp-dgram'],
];

/** RSS the server adds for `s.idleConnections` idle connections. */
async function idleMemory(s: Settings): Promise<Row> {
  const n = s.idleConnections;
  const server = await ourServer('0', ['--max-connections', String(n + 10)]);
  await sleep(300);
  const before = processRssBytes(server.pid);
  log(`memory: ${n} idle connections`);
  const socks = await openConnections(server.port, n);
  await sleep(1000);
  const after = processRssBytes(server.pid);
  for (const c of socks) c.destroy();
  await server.stop();
  return { id: 'idle-memory', what: `server RSS added by ${n} idle connections`, placement: null, value: Math.round(((after - before) / 1048576) * 10) / 10, unit: 'MiB' };
}

/**
 * Throughput, like for like: both clients (redis-benchmark, bin/benchmark)
 * against both servers (redis-server, ours with --framing resp), all four
 * sending multibulk PING with the same connections and pipeline, the
 * client on one CPU and the server on the other.
 */
async function throughput(s: Settings, conns: number, pipeline: number): Promise<Row[]> {
  const P = PLACE.split;
  const rows: Row[] = [];
  const shape = `${conns} conns x ${pipeline}`;
  const row = (id: string, what: string, rate: number) => rows.push({ id: `${id}-${conns}x${pipeline}`, what: `${what}, ${shape}`, placement: 'split', throughputPerSec: rate });
  const rp = await freePort();
  const redis = spawn('taskset', ['-c', P.server, 'redis-server', '--port', String(rp), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  try {
    await waitForPort(rp);
    row('redis', 'redis-benchmark -> redis-server', await redisBenchmark(s, rp, conns, pipeline));
    row('ob-redis', 'bin/benchmark --framing resp -> redis-server', await ourBenchmark(s, rp, conns, pipeline));
  } finally {
    await stop(redis);
  }
  const server = await ourServer(P.server, ['--framing', 'resp']);
  try {
    row('rb-ours', 'redis-benchmark -> our server --framing resp', await redisBenchmark(s, server.port, conns, pipeline));
    row('ours', 'bin/benchmark --framing resp -> our server --framing resp', await ourBenchmark(s, server.port, conns, pipeline));
  } finally {
    await server.stop();
  }
  return rows;
}

/** redis-benchmark's multibulk PING against the RESP server at `port`: requests per second. */
async function redisBenchmark(s: Settings, port: number, conns: number, pipeline: number): Promise<number> {
  log(`throughput: redis-benchmark -t ping_mbulk -c ${conns} -P ${pipeline} -> port ${port}`);
  const n = Math.round((s.quick ? 0.3 : 1) * (pipeline > 1 ? 3_000_000 : 500_000));
  const out = await run('taskset', ['-c', PLACE.split.client, 'redis-benchmark', '-p', String(port), '-t', 'ping_mbulk', '-c', String(conns), '-P', String(pipeline), '-n', String(n), '-q']);
  const rate = /PING_MBULK: ([\d.]+) requests per second/.exec(out);
  if (rate === null) throw new Error(`redis-benchmark printed no rate:\n${out}`);
  return Number(rate[1]);
}

/** bin/benchmark's PING (--framing resp) against the RESP server at `port`: messages per second; a wrong reply fails the run. */
async function ourBenchmark(s: Settings, port: number, conns: number, pipeline: number): Promise<number> {
  log(`throughput: bin/benchmark --framing resp -c ${conns} -P ${pipeline} -> port ${port}`);
  const args = ['--port', String(port), '--framing', 'resp', '--client-cpu', PLACE.split.client, '--connections', String(conns), '--pipeline', String(pipeline)];
  const j = JSON.parse(await run(bin('benchmark'), [...args, '--duration', String(s.seconds), '--warmup', '1', '--json']));
  const scenario = j.scenarios[0];
  if (scenario.errors > 0) throw new Error(`bin/benchmark against port ${port}: ${scenario.failure ?? `${scenario.errors} errors`}`);
  return scenario.throughputPerSec;
}
