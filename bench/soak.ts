/**
 * Soak: a mixed load against bin/server for a while (150 s by default), with
 * the server's RSS and heap sampled every second from its own `stats` log
 * lines, then a verdict on whether memory trends upward after warm-up.
 *
 *   npm run soak                      # 150 s
 *   npm run soak -- 120               # another duration, seconds
 *   npm run soak -- 150 --json        # the samples and the verdict as JSON
 *
 * The load, all at once:
 * - churn: connections opened over TCP or the Unix socket, a few round trips, closed;
 * - pipelined: long-lived connections sending batches of 64 and checking every reply;
 * - ping-pong: long-lived connections, one message at a time;
 * - bad peers: oversize lengths, resets mid-frame, half-closes, and slow
 *   readers that send 100 000 messages and read nothing for 2 s.
 * Every reply is checked (echo mode, numbered payloads). Exit 0 when every
 * check held, the server exited 0 and memory showed no growth trend.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codecs, frameNumber, type MessageHandler, numberedFrames } from '../src/protocol/index.js';
import { startServerProcess } from '../src/launch/server.js';
import { tcpPort } from './lib.js';

const args = process.argv.slice(2);
// 150 s: the server makes so little garbage that its first major GC comes
// 30 to 45 s in, and RSS rises until then; a shorter run sees only that rise.
const durationS = Number(args.find((a) => /^\d+$/.test(a)) ?? 150);
const json = args.includes('--json');
/** Samples before this are warm-up: the heap and the allocator settle. */
const WARMUP_S = Math.min(10, durationS / 4);

const dir = mkdtempSync(join(tmpdir(), 'respuesta-soak-'));
const sock = join(dir, 'soak.sock');

interface Sample {
  t: number;
  rssMiB: number;
  heapMiB: number;
  open: number;
  messages: number;
}

const t0 = Date.now();
const server = await startServerProcess(['--port', '0', '--unix', sock, '--mode', 'echo', '--max-frame', '65536', '--stats-interval', '1000']);
const port = tcpPort(server);

const stats = { roundTrips: 0, badPeers: 0, failures: [] as string[] };
let running = true;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fail = (what: string) => {
  if (stats.failures.length < 20) stats.failures.push(what);
};

function open(unix: boolean): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = unix ? connect(sock) : connect({ host: '127.0.0.1', port, noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** A connection that sends numbered messages and checks that echoes come back in order. */
class Checked implements MessageHandler {
  readonly decoder = codecs.length.createDecoder(this, 65536);
  sent = 0;
  received = 0;
  private waiter: (() => void) | null = null;

  constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      const err = this.decoder.push(c, 0, c.length);
      if (err !== null) fail(`bad reply stream: ${err.message}`);
    });
    socket.on('error', () => {});
    socket.on('close', () => this.waiter?.());
  }

  onMessage(buf: Buffer, start: number, end: number): void {
    if (frameNumber(buf, start, end) !== this.received) fail(`reply ${this.received} wrong or out of order`);
    this.received++;
    stats.roundTrips++;
    if (this.received === this.sent) this.waiter?.();
  }

  /** Send `n` messages in one write and wait for all their replies. */
  async exchange(n: number): Promise<void> {
    const out = numberedFrames(n, this.sent);
    this.sent += n;
    const done = new Promise<void>((r) => (this.waiter = r));
    this.socket.write(out);
    await done;
    this.waiter = null;
    if (this.received !== this.sent) fail(`connection closed with ${this.sent - this.received} replies missing`);
  }
}

async function churn(): Promise<void> {
  for (let i = 0; running; i++) {
    try {
      const c = new Checked(await open(i % 2 === 0));
      const trips = 1 + (i % 20);
      for (let k = 0; k < trips; k++) await c.exchange(1);
      c.socket.end();
    } catch (err) {
      fail(`churn: ${(err as Error).message}`);
    }
    await sleep(2);
  }
}

async function steady(pipeline: number, unix: boolean): Promise<void> {
  const c = new Checked(await open(unix));
  while (running) await c.exchange(pipeline);
  c.socket.end();
}

/** One misbehaving peer after another; the others must not notice. */
async function badPeers(): Promise<void> {
  for (let i = 0; running; i++) {
    try {
      // Every kind over both transports, except resets, which only TCP has.
      const s = await open(i % 8 >= 4 && i % 4 !== 1);
      s.on('error', () => {});
      switch (i % 4) {
        case 0: // a length far above --max-frame
          s.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]));
          break;
        case 1: // a reset in the middle of a frame
          s.write(Buffer.from([0, 0, 0, 100, 1, 2, 3]));
          await sleep(5);
          s.resetAndDestroy();
          break;
        case 2: // half-close after a few messages
          s.end(Buffer.concat([codecs.length.frame(Buffer.from('a')), codecs.length.frame(Buffer.from('b'))]));
          break;
        case 3: {
          // a slow reader: 100 000 messages, nothing read for 2 s, then everything
          const c = new Checked(s);
          s.pause();
          const pending = c.exchange(100_000);
          await sleep(2000);
          s.resume();
          await pending;
          s.end();
          break;
        }
      }
      stats.badPeers++;
    } catch (err) {
      fail(`bad peer: ${(err as Error).message}`);
    }
    await sleep(50);
  }
}

const load = [churn(), churn(), steady(64, false), steady(64, true), steady(1, false), steady(1, true), badPeers()];
await sleep(durationS * 1000);
running = false;
await Promise.all(load);
const { code, summary } = await server.stop();
type Stats = { time: number; rssBytes: number; heapUsedBytes: number; open: number; messages: number };
const samples: Sample[] = (server.events.filter((e) => e.event === 'stats') as unknown as Stats[]).map((e) => ({
  t: (e.time - t0) / 1000,
  rssMiB: e.rssBytes / 1048576,
  heapMiB: e.heapUsedBytes / 1048576,
  open: e.open,
  messages: e.messages,
}));
rmSync(dir, { recursive: true, force: true });

/** Least-squares slope, per second. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const steadyPart = samples.filter((s) => s.t >= WARMUP_S);
const span = steadyPart.length > 1 ? steadyPart[steadyPart.length - 1].t - steadyPart[0].t : 0;
const rssSlope = slope(
  steadyPart.map((s) => s.t),
  steadyPart.map((s) => s.rssMiB),
);
const heapSlope = slope(
  steadyPart.map((s) => s.t),
  steadyPart.map((s) => s.heapMiB),
);
const meanRss = steadyPart.reduce((a, s) => a + s.rssMiB, 0) / Math.max(1, steadyPart.length);
// A trend is growth, along the fitted line over the measured span, of more than 2 MiB or 5% of the mean.
const allowed = Math.max(2, 0.05 * meanRss);
const rssTrend = rssSlope * span;
const heapTrend = heapSlope * span;
const noTrend = rssTrend <= allowed && heapTrend <= allowed;
const ok = noTrend && stats.failures.length === 0 && code === 0 && steadyPart.length >= 3;

const verdict = {
  durationS,
  warmupS: WARMUP_S,
  samples: samples.length,
  roundTrips: stats.roundTrips,
  badPeers: stats.badPeers,
  failures: stats.failures,
  serverExit: code,
  rss: { minMiB: Math.min(...steadyPart.map((s) => s.rssMiB)), maxMiB: Math.max(...steadyPart.map((s) => s.rssMiB)), meanMiB: meanRss, trendMiB: rssTrend },
  heap: { minMiB: Math.min(...steadyPart.map((s) => s.heapMiB)), maxMiB: Math.max(...steadyPart.map((s) => s.heapMiB)), trendMiB: heapTrend },
  allowedTrendMiB: allowed,
  noGrowthTrend: noTrend,
  server: summary ?? null,
  ok,
};

if (json) {
  process.stdout.write(JSON.stringify({ ...verdict, series: samples }) + '\n');
} else {
  const f = (v: number) => v.toFixed(1);
  console.log(' t(s)  rss MiB  heap MiB  open  messages');
  for (const s of samples.filter((_, i) => i % 5 === 4))
    console.log(`${f(s.t).padStart(5)}  ${f(s.rssMiB).padStart(7)}  ${f(s.heapMiB).padStart(8)}  ${String(s.open).padStart(4)}  ${s.messages}`);
  console.log(
    `after ${WARMUP_S} s of warm-up: rss ${f(verdict.rss.minMiB)}-${f(verdict.rss.maxMiB)} MiB, trend ${rssTrend >= 0 ? '+' : ''}${rssTrend.toFixed(2)} MiB; ` +
      `heap ${f(verdict.heap.minMiB)}-${f(verdict.heap.maxMiB)} MiB, trend ${heapTrend >= 0 ? '+' : ''}${heapTrend.toFixed(2)} MiB over ${span.toFixed(0)} s (allowed ${allowed.toFixed(1)} MiB)`,
  );
  console.log(`load: ${stats.roundTrips} checked round trips, ${stats.badPeers} bad peers; server exit ${code}`);
  if (summary !== undefined) console.log(`server summary: ${JSON.stringify(summary)}`);
  for (const e of stats.failures) console.log(`failure: ${e}`);
  console.log(ok ? 'soak: ok, no growth trend' : 'soak: FAILED');
}
process.exitCode = ok ? 0 : 1;
