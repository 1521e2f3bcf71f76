/**
 * What the server gives back after a burst: N connections opened, each
 * answered once, then all closed, and the server left idle. For each V8 flag
 * set (the launchers' and any given), its heap in use, heap reserved and RSS
 * (from its /stats.json, a publication every 250 ms) before the burst, at its
 * peak, and 1, 10, 20 and 40 s after the last connection closed. The question
 * it answers: what V8's memory reducer (the full collections it starts when
 * it judges a thread idle) returns that the regular collections would not.
 *
 *   node --import tsx bench/after-burst-memory.ts [connections] [io] [flags...]    (after ./run.sh build)
 *   e.g. bench/after-burst-memory.ts 10000 sockets "--no-memory-reducer"
 */
import { startServerProcess } from '../src/launch/server.js';
import { lengthFrame } from '../src/protocol/length.js';
import { openConnections, replyOnEach, tcpPort } from './lib.js';

const N = Number(process.argv[2] ?? 10_000);
const IO = process.argv[3] ?? 'sockets';
const LAUNCHER = '--max-semi-space-size=2 --min-semi-space-size=2';
const extra = process.argv.slice(4);
const SETS = [LAUNCHER, ...extra.map((f) => `${LAUNCHER} ${f}`)];
const AFTER_S = [1, 10, 20, 40];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MIB = 1048576;

interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
}

async function memory(admin: string): Promise<Memory> {
  const stats = (await (await fetch(`${admin}/stats.json`)).json()) as { memory: Memory };
  return stats.memory;
}

const cell = (m: Memory) => `${(m.heapUsed / MIB).toFixed(1)}/${(m.heapTotal / MIB).toFixed(1)}/${(m.rss / MIB).toFixed(1)}`.padStart(17);

console.log(`after-burst memory: ${N} connections, --io ${IO}, node ${process.version}; heap used/heap reserved/RSS in MiB`);
console.log(`${'flags'.padEnd(72)} ${'before'.padStart(17)} ${'peak'.padStart(17)} ${AFTER_S.map((s) => `+${s}s`.padStart(17)).join(' ')}`);
for (const flags of SETS) {
  const server = await startServerProcess(['--port', '0', '--io', IO, '--max-connections', String(N + 10), '--admin', '127.0.0.1:0'], {
    env: { ...process.env, RESPUESTA_NODE_FLAGS: flags },
  });
  const ready = await server.waitFor('ready');
  const admin = (ready.admin as { url: string }).url;
  await sleep(1000);
  const before = await memory(admin);
  const socks = await openConnections(tcpPort(server), N);
  await replyOnEach(socks, lengthFrame(Buffer.from('hola')));
  await sleep(500);
  const peak = await memory(admin);
  for (const s of socks) s.destroy();
  const closedAt = Date.now();
  const after: Memory[] = [];
  for (const s of AFTER_S) {
    await sleep(closedAt + s * 1000 - Date.now());
    after.push(await memory(admin));
  }
  const { summary } = await server.stop();
  const gc = summary?.gc as { count: number; major: number } | undefined;
  console.log(`${flags.padEnd(72)} ${cell(before)} ${cell(peak)} ${after.map(cell).join(' ')}   GCs ${gc?.count ?? '?'} (major ${gc?.major ?? '?'})`);
}
