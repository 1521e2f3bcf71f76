/**
 * Side by side with the C references, in one run, one measurement at a time:
 * sockperf's client and server against ours (latency, 64 B, TCP), our pair
 * over TCP and a Unix socket, busy-polling across CPUs, garbage per million
 * round trips, memory per idle connection, and throughput against
 * redis-server driven by redis-benchmark. Prints the figures, the ratios
 * against the targets, and writes both as JSON.
 *
 *   bench/compare.sh                 # installs sockperf and redis if missing, builds, runs this
 *   node --import tsx bench/compare.ts [--quick] [--rounds N] [--json FILE]
 *
 * The latency rows are measured in N rounds (3 by default, 1 with --quick),
 * each round running every latency row of both placements once, in the same
 * order; each row reports the median over the rounds of each percentile,
 * and the range of its p50. This VM drifts by 20% or more over minutes, and
 * a reference measured once, in a bad minute, would skew every ratio taken
 * against it; interleaved rounds spread the drift over both sides of each
 * ratio.
 *
 * Placements: "same" puts every process on CPU 0; "split" puts servers on
 * CPU 0 and clients on CPU 1. sockperf is also run with epoll in place of its
 * blocking recvfrom(), on each side, to show what waiting in an event loop
 * costs C; those ratios are printed as context, with no target.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processRssBytes, startServerProcess } from '../src/benchmark/system.js';
import { openConnections, tcpPort, waitForPort } from './lib.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonIndex = args.indexOf('--json');
const roundsIndex = args.indexOf('--rounds');
const ROUNDS = roundsIndex >= 0 ? Number(args[roundsIndex + 1]) : quick ? 1 : 3;
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  process.stderr.write('compare: --rounds takes a whole number of at least 1\n');
  process.exit(2);
}
const jsonFile = jsonIndex >= 0 ? args[jsonIndex + 1] : join(fileURLToPath(new URL('../results/', import.meta.url)), `compare-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);

const SECONDS = quick ? 2 : 5;
/** Round trips for our client, about as long as sockperf's run. */
const COUNT = quick ? 40_000 : 150_000;
const WARMUP = quick ? 5_000 : 10_000;
const GC_TRIPS = quick ? 100_000 : 1_000_000;
const IDLE_CONNECTIONS = 10_000;
const bin = (name: string) => fileURLToPath(new URL(`../bin/${name}`, import.meta.url));

type Placement = 'same' | 'split';
const PLACE: Record<Placement, { server: string; client: string }> = { same: { server: '0', client: '0' }, split: { server: '0', client: '1' } };

interface Latency {
  p50: number;
  p99: number;
  p99_9: number;
}
interface Row {
  id: string;
  what: string;
  placement: Placement | null;
  /** The median over the rounds of each percentile. */
  latency?: Latency;
  /** Each round's figures, in order. */
  rounds?: Latency[];
  throughputPerSec?: number;
  value?: number;
  unit?: string;
}
const rows: Row[] = [];
/** Latency rows, by id, in the order first measured; a round adds one figure to each. */
const samples = new Map<string, Row & { rounds: Latency[] }>();

function sample(id: string, what: string, placement: Placement, latency: Latency): void {
  let row = samples.get(id);
  if (row === undefined) samples.set(id, (row = { id, what, placement, rounds: [] }));
  row.rounds.push(latency);
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
const log = (s: string) => process.stderr.write(`compare: ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run a command to completion; resolves with its stdout. */
function run(cmd: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${err.trim().slice(0, 300)}`))));
  });
}

/** A port nothing listens on, picked by the kernel. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}

/** bin/server pinned to `cpu`, on an ephemeral TCP port. */
async function ourServer(cpu: string, extra: string[]) {
  const server = await startServerProcess(['--cpu', cpu, '--port', '0', ...extra]);
  return { ...server, port: tcpPort(server) };
}

/**
 * How sockperf waits for input. By default (one address on the command
 * line) it blocks in recvfrom() on its one socket: no event loop at all. With
 * a feed file it can use epoll instead, as every event-loop program (ours,
 * libuv's) must; that variant is measured too, to show what epoll alone costs.
 */
type Wait = 'recvfrom' | 'epoll';
const feedDirs: string[] = [];

/** sockperf's address arguments for `port`: the address itself, or a feed file and -F epoll. */
function sockperfAddress(port: number, wait: Wait): string[] {
  if (wait === 'recvfrom') return ['--tcp', '-i', '127.0.0.1', '-p', String(port)];
  const dir = mkdtempSync(join(tmpdir(), 'respuesta-feed-'));
  feedDirs.push(dir);
  const feed = join(dir, 'feed');
  writeFileSync(feed, `T:127.0.0.1:${port}\n`);
  return ['-f', feed, '-F', 'epoll'];
}

function sockperfServer(cpu: string, port: number, wait: Wait = 'recvfrom'): ChildProcess {
  return spawn('taskset', ['-c', cpu, 'sockperf', 'server', ...sockperfAddress(port, wait)], { stdio: 'ignore' });
}

/** sockperf's ping-pong client, full round trips, parsed from its report. */
async function sockperfClient(cpu: string, port: number, wait: Wait = 'recvfrom'): Promise<Latency> {
  const out = (await run('taskset', ['-c', cpu, 'sockperf', 'ping-pong', ...sockperfAddress(port, wait), '-t', String(SECONDS), '--msg-size', '64', '--full-rtt'])).replace(/\x1b\[[0-9;]*m/g, '');
  const at = (p: string) => {
    const m = new RegExp(`percentile ${p.replace('.', '\\.')} =\\s+([\\d.]+)`).exec(out);
    if (m === null) throw new Error(`sockperf printed no percentile ${p}:\n${out}`);
    return Number(m[1]);
  };
  return { p50: at('50.000'), p99: at('99.000'), p99_9: at('99.900') };
}

/** Our client; returns its JSON report. */
async function ourClient(cpu: string, target: string[], extra: string[] = [], count = COUNT, warmup = WARMUP): Promise<Record<string, any>> {
  const out = await run(bin('client'), ['--cpu', cpu, '--count', String(count), '--warmup', String(warmup), '--json', ...target, ...extra]);
  return JSON.parse(out);
}

const lat = (j: Record<string, any>): Latency => ({ p50: j.latencyUs.p50, p99: j.latencyUs.p99, p99_9: j.latencyUs.p99_9 });

async function latencyRuns(pl: Placement, round: number): Promise<void> {
  const log = (s: string) => process.stderr.write(`compare: round ${round}/${ROUNDS}: ${s}\n`);
  const { server: S, client: C } = PLACE[pl];
  const sp = await freePort();
  const ref = sockperfServer(S, sp);
  try {
    await waitForPort(sp);
    log(`${pl}: sockperf client -> sockperf server`);
    sample(`c-pair-${pl}`, 'sockperf client -> sockperf server (TCP)', pl, await sockperfClient(C, sp));
    log(`${pl}: our client -> sockperf server`);
    sample(`our-client-${pl}`, 'our client -> sockperf server (TCP)', pl, lat(await ourClient(C, ['--port', String(sp), '--framing', 'sockperf'])));
    log(`${pl}: sockperf client with epoll -> sockperf server`);
    sample(`c-client-epoll-${pl}`, 'sockperf client, epoll -> sockperf server (TCP)', pl, await sockperfClient(C, sp, 'epoll'));
    if (pl === 'split') {
      log(`${pl}: our client, busy-polling -> sockperf server`);
      sample('our-client-busy-split', 'our client, --busy-poll -> sockperf server (TCP)', pl, lat(await ourClient(C, ['--port', String(sp), '--framing', 'sockperf'], ['--busy-poll'])));
    }
  } finally {
    await stop(ref);
  }
  const spe = await freePort();
  const refEpoll = sockperfServer(S, spe, 'epoll');
  try {
    await waitForPort(spe);
    log(`${pl}: sockperf client -> sockperf server with epoll`);
    sample(`c-server-epoll-${pl}`, 'sockperf client -> sockperf server, epoll (TCP)', pl, await sockperfClient(C, spe));
  } finally {
    await stop(refEpoll);
  }

  let s = await ourServer(S, ['--framing', 'sockperf']);
  log(`${pl}: sockperf client -> our server`);
  sample(`our-server-${pl}`, 'sockperf client -> our server (TCP)', pl, await sockperfClient(C, s.port));
  await s.stop();

  const dir = mkdtempSync(join(tmpdir(), 'respuesta-compare-'));
  const sock = join(dir, 's.sock');
  s = await ourServer(S, ['--unix', sock]);
  log(`${pl}: our client -> our server, TCP and Unix socket`);
  sample(`our-pair-tcp-${pl}`, 'our client -> our server (TCP)', pl, lat(await ourClient(C, ['--port', String(s.port)])));
  sample(`our-pair-unix-${pl}`, 'our client -> our server (Unix socket)', pl, lat(await ourClient(C, ['--unix', sock])));
  await s.stop();
  rmSync(dir, { recursive: true, force: true });

  if (pl === 'split') {
    // Busy-polling only makes sense across CPUs: on one CPU the spinning steals the peer's time.
    s = await ourServer(S, ['--busy-poll']);
    log(`${pl}: our pair, both busy-polling`);
    sample('our-pair-busy-split', 'our client -> our server, both --busy-poll (TCP)', pl, lat(await ourClient(C, ['--port', String(s.port)], ['--busy-poll'])));
    await s.stop();
  }
}

/** GC events in the server and in the client over GC_TRIPS round trips after a warm-up. */
async function garbage(mode: 'fixed' | 'echo'): Promise<void> {
  const s = await ourServer('0', ['--mode', mode, '--stats-interval', '100']);
  const gcNow = async () => {
    await sleep(250);
    const stats = s.events.filter((e) => e.event === 'stats');
    return (stats[stats.length - 1].gc as { count: number }).count;
  };
  log(`garbage: ${GC_TRIPS} round trips, ${mode} mode`);
  await ourClient('0', ['--port', String(s.port), '--mode', mode], [], WARMUP * 5, 0);
  const before = await gcNow();
  const j = await ourClient('0', ['--port', String(s.port), '--mode', mode], [], GC_TRIPS, 0);
  const after = await gcNow();
  await s.stop();
  rows.push({ id: `gc-server-${mode}`, what: `server GC events per ${GC_TRIPS} round trips (${mode}, 64 B, after warm-up)`, placement: 'same', value: after - before, unit: 'GCs' });
  rows.push({ id: `gc-client-${mode}`, what: `client GC events per ${GC_TRIPS} round trips (measured phase)`, placement: 'same', value: j.gc.count, unit: 'GCs' });
}

/** RSS the server adds for IDLE_CONNECTIONS idle connections. */
async function idleMemory(): Promise<void> {
  const s = await ourServer('0', ['--max-connections', String(IDLE_CONNECTIONS + 10)]);
  await sleep(300);
  const before = processRssBytes(s.pid);
  log(`memory: ${IDLE_CONNECTIONS} idle connections`);
  const socks = await openConnections(s.port, IDLE_CONNECTIONS);
  await sleep(1000);
  const after = processRssBytes(s.pid);
  for (const c of socks) c.destroy();
  await s.stop();
  rows.push({ id: 'idle-memory', what: `server RSS added by ${IDLE_CONNECTIONS} idle connections`, placement: null, value: Math.round(((after - before) / 1048576) * 10) / 10, unit: 'MiB' });
}

async function throughput(conns: number, pipeline: number): Promise<void> {
  const P = PLACE.split;
  const rp = await freePort();
  const redis = spawn('taskset', ['-c', P.server, 'redis-server', '--port', String(rp), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  try {
    await waitForPort(rp);
    log(`throughput: redis-benchmark -t ping -c ${conns} -P ${pipeline}`);
    const n = Math.round((quick ? 0.3 : 1) * (pipeline > 1 ? 3_000_000 : 500_000));
    const out = await run('taskset', ['-c', P.client, 'redis-benchmark', '-p', String(rp), '-t', 'ping', '-c', String(conns), '-P', String(pipeline), '-n', String(n), '-q']);
    const rates = [...out.matchAll(/(PING_\w+): ([\d.]+) requests per second/g)].map((m) => Number(m[2]));
    if (rates.length === 0) throw new Error(`redis-benchmark printed no rate:\n${out}`);
    rows.push({ id: `redis-${conns}x${pipeline}`, what: `redis-benchmark -> redis-server, ${conns} conns x ${pipeline}`, placement: 'split', throughputPerSec: Math.max(...rates) });
  } finally {
    await stop(redis);
  }
  const s = await ourServer(P.server, []);
  log(`throughput: bin/benchmark ${conns} x ${pipeline}`);
  const j = JSON.parse(await run(bin('benchmark'), ['--port', String(s.port), '--client-cpu', P.client, '--connections', String(conns), '--pipeline', String(pipeline), '--duration', String(SECONDS), '--warmup', '1', '--json']));
  await s.stop();
  rows.push({ id: `ours-${conns}x${pipeline}`, what: `bin/benchmark -> our server, ${conns} conns x ${pipeline}`, placement: 'split', throughputPerSec: j.scenarios[0].throughputPerSec });
}

const started = new Date();
for (let round = 1; round <= ROUNDS; round++) {
  for (const pl of ['same', 'split'] as const) await latencyRuns(pl, round);
}
for (const r of samples.values()) {
  const pick = (k: keyof Latency) => median(r.rounds.map((l) => l[k]));
  rows.push({ ...r, latency: { p50: pick('p50'), p99: pick('p99'), p99_9: pick('p99_9') } });
}
await garbage('fixed');
await garbage('echo');
await idleMemory();
await throughput(50, 16);
await throughput(50, 1);
for (const d of feedDirs) rmSync(d, { recursive: true, force: true });

// ---- ratios against the targets --------------------------------------------------------------
const get = (id: string) => rows.find((r) => r.id === id)!;
interface Ratio {
  target: string;
  placement: Placement | null;
  value: number;
  limit: number;
  /** 'max': value must be <= limit; 'min': >= limit. */
  kind: 'max' | 'min';
  met: boolean;
}
const ratios: Ratio[] = [];
const ratio = (target: string, placement: Placement | null, value: number, limit: number, kind: 'max' | 'min' = 'max') =>
  ratios.push({ target, placement, value: Math.round(value * 1000) / 1000, limit, kind, met: kind === 'max' ? value <= limit : value >= limit });

for (const pl of ['same', 'split'] as const) {
  const c = get(`c-pair-${pl}`).latency!;
  const srv = get(`our-server-${pl}`).latency!;
  const cli = get(`our-client-${pl}`).latency!;
  ratio('1. server p50 (sockperf -> ours / sockperf -> sockperf)', pl, srv.p50 / c.p50, 1.1);
  ratio('1. server p99', pl, srv.p99 / c.p99, 1.5);
  ratio('1. server p99.9', pl, srv.p99_9 / c.p99_9, 2.0);
  ratio('2. client p50 (ours -> sockperf / sockperf -> sockperf)', pl, cli.p50 / c.p50, 1.1);
  ratio('2. client p99', pl, cli.p99 / c.p99, 1.3);
  ratio('3. our pair over a Unix socket p50 / C pair over TCP p50', pl, get(`our-pair-unix-${pl}`).latency!.p50 / c.p50, 1.0);
}
ratio('4. our pair busy-polling, split, p50 / C pair split p50', 'split', get('our-pair-busy-split').latency!.p50 / get('c-pair-split').latency!.p50, 0.4);
for (const mode of ['fixed', 'echo']) {
  ratio(`5. server GC events per ${GC_TRIPS} round trips, ${mode}`, 'same', get(`gc-server-${mode}`).value!, 0);
  ratio(`5. client GC events per ${GC_TRIPS} round trips, ${mode}`, 'same', get(`gc-client-${mode}`).value!, 0);
}
for (const [c, p] of [[50, 16], [50, 1]]) ratio(`6. throughput ${c} x ${p}: ours / redis`, 'split', get(`ours-${c}x${p}`).throughputPerSec! / get(`redis-${c}x${p}`).throughputPerSec!, 1.0, 'min');
ratio(`7. server RSS for ${IDLE_CONNECTIONS} idle connections, MiB`, null, get('idle-memory').value!, 20);

// ---- context: what waiting in epoll costs C itself (no targets) ------------------------------
interface Context {
  what: string;
  placement: Placement | null;
  value: number;
}
const context: Context[] = [];
const note = (what: string, placement: Placement | null, value: number) => context.push({ what, placement, value: Math.round(value * 1000) / 1000 });
for (const pl of ['same', 'split'] as const) {
  const c = get(`c-pair-${pl}`).latency!.p50;
  const cServerEpoll = get(`c-server-epoll-${pl}`).latency!.p50;
  const cClientEpoll = get(`c-client-epoll-${pl}`).latency!.p50;
  note('C server with epoll p50 / C server with recvfrom p50', pl, cServerEpoll / c);
  note('our server p50 / C server with epoll p50', pl, get(`our-server-${pl}`).latency!.p50 / cServerEpoll);
  note('C client with epoll p50 / C client with recvfrom p50', pl, cClientEpoll / c);
  note('our client p50 / C client with epoll p50', pl, get(`our-client-${pl}`).latency!.p50 / cClientEpoll);
}
note('our client busy-polling p50 / C client p50', 'split', get('our-client-busy-split').latency!.p50 / get('c-pair-split').latency!.p50);

// ---- report ----------------------------------------------------------------------------------
const f = (v: number | undefined, d = 2) => (v === undefined ? '' : v.toFixed(d));
const lines: string[] = [];
const range = (r: Row) => (r.rounds === undefined ? '' : `${f(Math.min(...r.rounds.map((l) => l.p50)))}-${f(Math.max(...r.rounds.map((l) => l.p50)))}`);
lines.push(`compare: ${started.toISOString()}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}${quick ? ', --quick' : ''}`);
lines.push('placement: same = everything on CPU 0; split = servers on CPU 0, clients on CPU 1. Latency: full round trip, 64 B, microseconds.');
lines.push(`Latency rows: the median over ${ROUNDS} interleaved round${ROUNDS === 1 ? '' : 's'} of each percentile, and the range of p50 over the rounds.`);
lines.push('');
lines.push('| measurement | placement | p50 us | p50 range | p99 us | p99.9 us | msg/s | value |');
lines.push('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  lines.push(`| ${r.what} | ${r.placement ?? ''} | ${f(r.latency?.p50)} | ${range(r)} | ${f(r.latency?.p99)} | ${f(r.latency?.p99_9, 1)} | ${r.throughputPerSec === undefined ? '' : Math.round(r.throughputPerSec).toLocaleString('en-US')} | ${r.value === undefined ? '' : `${r.value} ${r.unit}`} |`);
}
lines.push('');
lines.push('| target | placement | value | limit | met |');
lines.push('|---|---|---|---|---|');
for (const r of ratios) lines.push(`| ${r.target} | ${r.placement ?? ''} | ${r.value} | ${r.kind === 'max' ? '<=' : '>='} ${r.limit} | ${r.met ? 'yes' : 'no'} |`);
lines.push('');
lines.push('| context (p50 ratios, no target) | placement | value |');
lines.push('|---|---|---|');
for (const c of context) lines.push(`| ${c.what} | ${c.placement ?? ''} | ${c.value} |`);
process.stdout.write(lines.join('\n') + '\n');

mkdirSync(dirname(jsonFile), { recursive: true });
writeFileSync(jsonFile, JSON.stringify({ started: started.toISOString(), quick, rounds: ROUNDS, node: process.version, cpus: cpus().length, rows, ratios, context }, null, 2) + '\n');
log(`written ${jsonFile}`);
