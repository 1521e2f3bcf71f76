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
 * The run: every client opens its connections (200 at a time); once all
 * are open everywhere, every connection makes one checked round trip (echo
 * mode, the connection's own number back) while all stay open; then the
 * server processes' RSS (primary and workers, /proc) is read, before and
 * after, and the connections close. Exit 1 when a round trip failed or the
 * server's total RSS is over 1 GB (10^9 bytes).
 *
 *   node --import tsx bench/many-connections.ts [connections=100000] [workers=6] [clients=7]     (after ./run.sh build)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { type Socket, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { processRssBytes } from '../src/benchmark/system.js';
import { startServerProcess } from '../src/server/spawn.js';

const LIMIT_BYTES = 1e9;
const BATCH = 200;

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
  const pids = [server.pid, ...server.events.filter((e) => e.event === 'worker-ready').map((e) => e.pid as number)];
  const rss = () => pids.reduce((sum, pid) => sum + processRssBytes(pid), 0);
  const idle = rss();
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  console.log(`server: ${workers} workers (${server.events.find((e) => e.event === 'config')!.distribution}), ${pids.length} processes, RSS ${mib(idle)} idle`);

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
  console.log(`clients: ${clients} processes opened ${open} connections in ${((performance.now() - started) / 1000).toFixed(1)} s`);

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
  const perWorkerRss = pids.slice(1).map((pid) => mib(processRssBytes(pid)));
  console.log(`round trips: ${ok} checked and right, ${failed} failed, all ${open} connections open`);
  console.log(`server RSS: ${mib(loaded)} in total (primary ${mib(processRssBytes(pids[0]))}; workers ${perWorkerRss.join(', ')}), ${mib(loaded - idle)} more than idle`);
  console.log(`per connection: ${(loaded / open / 1024).toFixed(2)} KiB of the total, ${((loaded - idle) / open / 1024).toFixed(2)} KiB added`);

  for (const child of children) child.send({ type: 'close' } satisfies ToClient);
  await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
  const { code, summary } = await server.stop('SIGTERM');
  const perWorker = (summary?.workers as Array<{ connections: number }> | undefined)?.map((w) => w.connections) ?? [];
  console.log(`server: exit ${code}, ${summary?.connections} connections, ${summary?.messages} messages; per worker ${perWorker.join(' / ')}`);
  const pass = failed === 0 && ok === total && loaded < LIMIT_BYTES && code === 0;
  console.log(`result: ${pass ? 'ok' : 'FAILED'} (${mib(loaded)} against the 1 GB limit, ${ok} of ${total} round trips)`);
  process.exitCode = pass ? 0 : 1;
}

/** One client process: `n` connections from `local` to `port`, told by the parent when to talk and when to close. */
async function client(port: number, local: string, n: number): Promise<void> {
  const send = (m: FromClient) => process.send!(m);
  const socks: Socket[] = [];
  try {
    for (let i = 0; i < n; i += BATCH) {
      const batch = Array.from(
        { length: Math.min(BATCH, n - i) },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const s = connect({ host: '127.0.0.1', port, localAddress: local, noDelay: true }, () => resolve(s));
            s.once('error', reject);
          }),
      );
      socks.push(...(await Promise.all(batch)));
    }
  } catch (err) {
    send({ type: 'error', message: `from ${local}, after ${socks.length} connections: ${(err as Error).message}` });
    process.exit(1);
  }
  send({ type: 'open', opened: socks.length });
  process.on('message', async (m: ToClient) => {
    if (m.type === 'close') {
      for (const s of socks) s.destroy();
      process.disconnect();
      return;
    }
    let ok = 0;
    let failed = 0;
    await Promise.all(
      socks.map(
        (s, i) =>
          new Promise<void>((resolve) => {
            const message = Buffer.alloc(12);
            message.writeUInt32BE(8, 0);
            message.writeBigUInt64BE(BigInt(i), 4);
            let got = Buffer.alloc(0);
            let finished = false;
            const finish = (right: boolean) => {
              if (finished) return;
              finished = true;
              s.removeAllListeners('data');
              if (right) ok++;
              else failed++;
              resolve();
            };
            s.on('data', (d: Buffer) => {
              got = Buffer.concat([got, d]);
              if (got.length >= 12) finish(got.equals(message));
            });
            s.once('close', () => finish(false));
            s.once('error', () => {});
            s.write(message);
          }),
      ),
    );
    send({ type: 'done', ok, failed });
  });
}
