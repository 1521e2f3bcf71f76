/**
 * 100 000 concurrent connections against `bin/server --workers W` (the
 * seeds' target: under 1 GB). Not part of the test suite: it holds about
 * 200 000 sockets for a while.
 *
 * A process may hold 20 000 open files on the machines this was made for,
 * and one source address reaches one port from some 28 000 ephemeral ports
 * (net.ipv4.ip_local_port_range), so the load is spread over K client
 * processes, each with its own loopback source address (127.0.0.2, .3, ...)
 * and fewer than 20 000 connections; the server over W worker processes.
 *
 * The run: every client opens its connections, each counted open once the
 * server has answered a first checked round trip on it (echo mode, the
 * connection's own number back; 200 opening at a time per client; see
 * `client` for why the handshake alone is not enough); once all are open
 * everywhere, every connection makes a second checked round trip while all
 * stay open; then the
 * server processes' RSS (primary and workers, /proc) is read, before and
 * after, and the connections close. Exit 1 when a round trip failed or the
 * server's total RSS is over 1 GB (10^9 bytes).
 *
 *   node --import tsx bench/many-connections.ts [connections=100000] [workers=6] [clients=7]     (after ./run.sh build)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { processRssBytes } from '../src/machine/proc.js';
import { numberedFrames } from '../src/protocol/index.js';
import { startServerProcess } from '../src/launch/server.js';

const LIMIT_BYTES = 1e9;
/** What the kernel did with connections its listeners could not take: /proc/net/netstat's TcpExt line. */
const COUNTERS = ['ListenOverflows', 'ListenDrops', 'SyncookiesSent', 'SyncookiesRecv', 'SyncookiesFailed'] as const;
/** Connections each client has opening (connected, first reply not yet back) at a time. */
const WINDOW = 200;

type ToClient = { type: 'go' } | { type: 'close' };
type FromClient = { type: 'open'; opened: number } | { type: 'done'; ok: number; failed: number } | { type: 'error'; message: string };

if (process.argv[2] === 'client') await client(Number(process.argv[3]), process.argv[4], Number(process.argv[5]));
else await main();

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 100_000);
  const workers = Number(process.argv[3] ?? 6);
  const clients = Number(process.argv[4] ?? 7);
  const perClient = Math.ceil(total / clients);
  if (perClient >= 19_000) throw new Error(`${perClient} connections per client process: use more clients (each holds under 20 000 files)`);
  const maxPerWorker = Math.min(19_500, Math.ceil((total / workers) * 1.2) + 100);

  const server = await startServerProcess(['--port', '0', '--mode', 'echo', '--framing', 'length', '--workers', String(workers), '--max-connections', String(maxPerWorker)]);
  const port = server.port!;
  // Whatever ends this script ends the server too.
  process.on('exit', () => server.proc.kill('SIGKILL'));
  const pids = [server.pid, ...server.events.filter((e) => e.event === 'worker-ready').map((e) => e.pid as number)];
  const rss = () => pids.reduce((sum, pid) => sum + processRssBytes(pid), 0);
  const idle = rss();
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  console.log(`server: ${workers} workers (${server.events.find((e) => e.event === 'config')!.distribution}), ${pids.length} processes, RSS ${mib(idle)} idle`);

  const netBefore = listenCounters();
  let mostFds = 0;
  const fdSampler = setInterval(() => (mostFds = Math.max(mostFds, openFiles(server.pid))), 500);
  const started = performance.now();
  const children: ChildProcess[] = [];
  const opened: Promise<number>[] = [];
  for (let k = 0; k < clients; k++) {
    const n = Math.min(perClient, total - k * perClient);
    const child = fork(fileURLToPath(import.meta.url), ['client', String(port), `127.0.0.${k + 2}`, String(n)], { stdio: 'inherit' });
    children.push(child);
    opened.push(
      new Promise((resolve, reject) => {
        child.once('message', (m: FromClient) => (m.type === 'open' ? resolve(m.opened) : reject(new Error(m.type === 'error' ? m.message : 'unexpected'))));
        child.once('exit', (code) => reject(new Error(`client ${k} exited (${code}) before opening its connections`)));
      }),
    );
  }
  const open = (await Promise.all(opened)).reduce((a, b) => a + b, 0);
  clearInterval(fdSampler);
  console.log(`clients: ${clients} processes opened ${open} connections in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const netOpened = listenCounters();
  console.log(`kernel while opening (whole machine, /proc/net/netstat): ${describeCounters(netBefore, netOpened)}; primary's open files at most ${mostFds}`);

  const results = children.map(
    (child) =>
      new Promise<{ ok: number; failed: number }>((resolve, reject) => {
        child.on('message', (m: FromClient) => (m.type === 'done' ? resolve(m) : m.type === 'error' ? reject(new Error(m.message)) : undefined));
      }),
  );
  for (const child of children) child.send({ type: 'go' } satisfies ToClient);
  const done = await Promise.all(results);
  const ok = done.reduce((a, r) => a + r.ok, 0);
  const failed = done.reduce((a, r) => a + r.failed, 0);
  const loaded = rss();
  console.log(`kernel during the round trips: ${describeCounters(netOpened, listenCounters())}`);
  const perWorkerRss = pids.slice(1).map((pid) => mib(processRssBytes(pid)));
  console.log(`round trips: ${ok} checked and right, ${failed} failed, all ${open} connections open`);
  console.log(`server RSS: ${mib(loaded)} in total (primary ${mib(processRssBytes(pids[0]))}; workers ${perWorkerRss.join(', ')}), ${mib(loaded - idle)} more than idle`);
  console.log(`per connection: ${(loaded / open / 1024).toFixed(2)} KiB of the total, ${((loaded - idle) / open / 1024).toFixed(2)} KiB added`);

  for (const child of children) child.send({ type: 'close' } satisfies ToClient);
  await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
  const stopAt = performance.now();
  const { code, summary } = await server.stop('SIGTERM');
  const stopS = ((performance.now() - stopAt) / 1000).toFixed(1);
  for (const e of server.events.filter((e) => e.event === 'worker-exit' || e.event === 'shutdown')) console.log(`server event: ${JSON.stringify(e)}`);
  const perWorker = (summary?.workers as Array<{ connections: number }> | undefined)?.map((w) => w.connections) ?? [];
  console.log(`server: exit ${code} ${stopS} s after SIGTERM, ${summary?.connections} connections, ${summary?.messages} messages; per worker ${perWorker.join(' / ')}`);
  const pass = failed === 0 && ok === total && loaded < LIMIT_BYTES && code === 0;
  console.log(`result: ${pass ? 'ok' : 'FAILED'} (${mib(loaded)} against the 1 GB limit, ${ok} of ${total} round trips)`);
  process.exitCode = pass ? 0 : 1;
}

/**
 * One client process: `n` connections from `local` to `port`, told by the
 * parent when to talk and when to close. A connection counts as open once
 * the server has answered on it, not when `connect` reports the handshake
 * done: the kernel completes handshakes for a listener whose accept queue
 * is full (syncookies, and a dropped final ACK with tcp_abort_on_overflow
 * at 0), and such a connection is reset when it first speaks minutes later.
 * Speaking at once, the first message is retransmitted until the server
 * accepts the connection. At most WINDOW connections wait for that at a time.
 */
async function client(port: number, local: string, n: number): Promise<void> {
  const send = (m: FromClient) => process.send!(m);
  const socks: Socket[] = new Array(n);
  let opened = 0;
  try {
    let next = 0;
    const opener = async () => {
      while (next < n) {
        const i = next++;
        socks[i] = await openChecked(port, local, i);
        opened++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(WINDOW, n) }, opener));
  } catch (err) {
    send({ type: 'error', message: `from ${local}, after ${opened} connections: ${(err as Error).message}` });
    process.exit(1);
  }
  send({ type: 'open', opened });
  process.on('message', async (m: ToClient) => {
    if (m.type === 'close') {
      for (const s of socks) s.destroy();
      process.disconnect();
      return;
    }
    // The checked round trip while every connection is open: each its own number plus n, so that no reply can pass for the first one.
    const results = await Promise.all(socks.map((s, i) => roundTrip(s, n + i)));
    const ok = results.filter((right) => right).length;
    send({ type: 'done', ok, failed: n - ok });
  });
}

/** Connect from `local` and make one checked round trip (message `i`); rejects when either fails. */
function openChecked(port: number, local: string, i: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: local, noDelay: true }, async () => {
      if (await roundTrip(s, i)) resolve(s);
      else reject(new Error(`connection ${i} closed before its first reply`));
    });
    s.once('error', reject);
  });
}

/** Send the 8-byte number `i` (length framing, echo mode) and resolve whether exactly it came back; false when the connection closes first. */
function roundTrip(s: Socket, i: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (s.destroyed) return resolve(false);
    const message = numberedFrames(1, i);
    let got = Buffer.alloc(0);
    const finish = (right: boolean) => {
      s.off('data', onData);
      s.off('close', onClose);
      resolve(right);
    };
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 12) finish(got.equals(message));
    };
    const onClose = () => finish(false);
    s.on('data', onData);
    s.once('close', onClose);
    s.on('error', ignore);
    s.write(message);
  });
}

function ignore(): void {}

/** The kernel's counts (TcpExt, whole machine) of connections its listeners could not take: read before and after. */
function listenCounters(): Record<(typeof COUNTERS)[number], number> {
  const lines = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0].split(/\s+/);
  const values = lines[1].split(/\s+/).map(Number);
  return Object.fromEntries(COUNTERS.map((c) => [c, values[names.indexOf(c)]])) as Record<(typeof COUNTERS)[number], number>;
}

function describeCounters(before: ReturnType<typeof listenCounters>, after: ReturnType<typeof listenCounters>): string {
  return COUNTERS.map((c) => `${c} +${after[c] - before[c]}`).join(', ');
}

/** How many files process `pid` holds open. */
function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
