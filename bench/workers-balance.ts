/**
 * How `--workers 2` spreads connections, and what it adds to a new
 * connection's first round trip, for each way this Node can distribute them:
 * SO_REUSEPORT (Node 22.12+), the cluster module round-robin (its default on
 * Linux) and the cluster module's shared handle (NODE_CLUSTER_SCHED_POLICY=none,
 * every worker accepting from one listening socket). Against it, --workers 1.
 *
 * Two phases, each on a fresh server (echo mode):
 * - concurrent: N connections opened 500 at a time, one round trip each,
 *   all open at once: the share each worker took (its summary);
 * - sequential: S connections one after another, each timed from connect()
 *   to its first reply (a 12-byte message), then closed: the accept path's
 *   latency, and the share of each worker when connections come one by one
 *   (200 unmeasured connections first, counted in the shares).
 *
 *   node --import tsx bench/workers-balance.ts [N=2000] [S=2000]     (after ./run.sh build)
 */
import { connect } from 'node:net';
import { type ServerProcess, startServerProcess } from '../src/launch/server.js';
import { reusePortAvailable } from '../src/server/workers.js';
import { openConnections, replyOnEach, tcpPort } from './lib.js';

const N = Number(process.argv[2] ?? 2000);
const S = Number(process.argv[3] ?? 2000);
const MESSAGE = Buffer.from([0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);

interface Way {
  name: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

const WAYS: Way[] = [
  { name: 'one process (--workers 1)', args: [] },
  ...(reusePortAvailable() ? [{ name: 'reuseport', args: ['--workers', '2', '--distribution', 'reuseport'] }] : []),
  { name: 'cluster round-robin', args: ['--workers', '2', '--distribution', 'cluster'], env: { ...process.env, NODE_CLUSTER_SCHED_POLICY: 'rr' } },
  { name: 'cluster shared handle', args: ['--workers', '2', '--distribution', 'cluster'], env: { ...process.env, NODE_CLUSTER_SCHED_POLICY: 'none' } },
];

/** One round trip on a fresh connection: microseconds from connect() to the reply. */
function firstReply(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const s = connect({ host: '127.0.0.1', port, noDelay: true }, () => s.write(MESSAGE));
    let got = 0;
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got < MESSAGE.length) return;
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      s.destroy();
      resolve(us);
    });
    s.once('error', reject);
  });
}

/** Each worker's connections, from the summary (one process: its own). */
async function shares(server: ServerProcess): Promise<number[]> {
  const { summary } = await server.stop('SIGTERM');
  const workers = summary?.workers as Array<{ connections: number }> | undefined;
  return workers === undefined ? [summary!.connections as number] : workers.map((w) => w.connections);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

console.log(`Node ${process.versions.node}; ${N} concurrent connections, ${S} sequential; microseconds from connect() to the first reply`);
console.log('| distribution | concurrent: per worker | sequential: per worker | first reply p50 | p90 | p99 | max |');
console.log('|---|---|---|---|---|---|---|');
for (const way of WAYS) {
  const args = ['--port', '0', '--mode', 'echo', '--max-connections', String(N + 100), ...way.args];
  let server = await startServerProcess(args, { env: way.env });
  const socks = await openConnections(tcpPort(server), N);
  await replyOnEach(socks, MESSAGE);
  for (const s of socks) s.destroy();
  const concurrent = await shares(server);

  server = await startServerProcess(args, { env: way.env });
  const port = tcpPort(server);
  for (let i = 0; i < 200; i++) await firstReply(port); // warm-up
  const times: number[] = [];
  for (let i = 0; i < S; i++) times.push(await firstReply(port));
  const sequential = await shares(server);
  times.sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(1);
  console.log(`| ${way.name} | ${concurrent.join(' / ')} | ${sequential.join(' / ')} | ${f(pct(times, 50))} | ${f(pct(times, 90))} | ${f(pct(times, 99))} | ${f(times.at(-1)!)} |`);
}
