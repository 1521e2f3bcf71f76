/**
 * What --backlog buys: a burst of N connections (clients reconnecting after
 * a restart) arriving while the server cannot accept (stopped with SIGSTOP
 * for a moment, as a GC pause or a busy event loop would hold it). The
 * kernel completes at most the listen queue's length of them and drops the
 * SYNs of the rest, which their clients send again 1, 3, 7... s later. For
 * each backlog: how many connections were complete when the server resumed,
 * how long after that the last one connected, the kernel's ListenOverflows
 * and ListenDrops over the burst (/proc/net/netstat, the whole machine's),
 * and a round trip on every connection to check that the server has them all.
 *
 *   node --import tsx bench/backlog-burst.ts [connections] [backlog...]   (after ./run.sh build; default 3000 511 4096)
 */
import { readFileSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { startServerProcess } from '../src/launch/server.js';
import { lengthFrame } from '../src/protocol/length.js';
import { replyOnEach, tcpPort } from './lib.js';

const N = Number(process.argv[2] ?? 3000);
const BACKLOGS = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [511, 4096];
const STOPPED_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** TcpExt counters of the machine, by name. */
function tcpExt(): Record<string, number> {
  const lines = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0].split(/\s+/).slice(1);
  const values = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}

const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
console.log(`backlog burst: ${N} connections at once to a server stopped for ${STOPPED_MS} ms; net.core.somaxconn ${somaxconn}; node ${process.version}`);
console.log(
  `${'backlog'.padStart(7)} ${'connected when resumed'.padStart(23)} ${'last connected after'.padStart(21)} ${'ListenOverflows'.padStart(16)} ${'ListenDrops'.padStart(12)} ${'answered'.padStart(9)}`,
);
for (const backlog of BACKLOGS) {
  const server = await startServerProcess(['--port', '0', '--backlog', String(backlog), '--max-connections', String(N + 10)]);
  const port = tcpPort(server);
  await sleep(300);
  const before = tcpExt();
  process.kill(server.pid, 'SIGSTOP');
  let connected = 0;
  let lastAt = 0;
  const socks = Array.from(
    { length: N },
    () =>
      new Promise<Socket>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port }, () => {
          connected++;
          lastAt = performance.now();
          resolve(s);
        });
        s.once('error', reject);
      }),
  );
  await sleep(STOPPED_MS);
  const atResume = connected;
  const resumedAt = performance.now();
  process.kill(server.pid, 'SIGCONT');
  const all = await Promise.all(socks);
  const after = tcpExt();
  await replyOnEach(all, lengthFrame(Buffer.from('hola')));
  for (const s of all) s.destroy();
  await server.stop();
  const last = Math.max(0, lastAt - resumedAt);
  console.log(
    `${String(backlog).padStart(7)} ${String(atResume).padStart(23)} ${`${last.toFixed(0)} ms`.padStart(21)} ${String(after.ListenOverflows - before.ListenOverflows).padStart(16)} ${String(after.ListenDrops - before.ListenDrops).padStart(12)} ${String(all.length).padStart(9)}`,
  );
}
