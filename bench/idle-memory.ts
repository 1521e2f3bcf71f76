/**
 * RSS added by 10 000 idle connections: to bin/server (on bare handles, its
 * default, and on net.Socket with --io sockets), to a bare Node
 * `net.createServer(() => {})` with the same GC flags, which shows how much
 * of the cost is Node's own socket rather than this server's state, and to a
 * server that keeps only the accepted handles (the listening handle's
 * `onconnection` replaced, so no `net.Socket` is ever made), which shows what
 * is left without Node's socket object.
 *
 *   node --import tsx bench/idle-memory.ts [connections]     (after ./run.sh build)
 */
import { spawn } from 'node:child_process';
import { processRssBytes } from '../src/machine/proc.js';
import { startServerProcess } from '../src/launch/server.js';
import { openConnections, tcpPort } from './lib.js';

const N = Number(process.argv[2] ?? 10_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMiB = (pid: number) => processRssBytes(pid) / 1048576;

const BARE = `const s = require('net').createServer(() => {}); s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
const HANDLES =
  `const s = require('net').createServer(); const kept = new Set();` +
  `s.listen(0, '127.0.0.1', () => { s._handle.onconnection = (err, h) => { if (!err) kept.add(h); }; console.log(s.address().port); });`;

/** A bare Node server, with the launchers' GC flags; resolves with its port, pid and a stop function. */
async function bareServer(code = BARE): Promise<{ port: number; pid: number; stop: () => Promise<unknown> }> {
  const proc = spawn(process.execPath, ['--max-semi-space-size=2', '--min-semi-space-size=2', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => proc.stdout!.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim()))));
  return {
    port,
    pid: proc.pid!,
    stop: () => {
      proc.kill('SIGTERM');
      return new Promise((r) => proc.once('exit', r));
    },
  };
}

async function measure(label: string, server: { port: number; pid: number; stop: () => Promise<unknown> }): Promise<void> {
  await sleep(500);
  const before = rssMiB(server.pid);
  const socks = await openConnections(server.port, N);
  await sleep(1500);
  const after = rssMiB(server.pid);
  for (const s of socks) s.destroy();
  await server.stop();
  console.log(
    `${label.padEnd(40)} ${before.toFixed(1).padStart(7)} ${after.toFixed(1).padStart(7)} ${(after - before).toFixed(1).padStart(7)} ${(((after - before) * 1024) / N).toFixed(2).padStart(9)}`,
  );
}

const ours = async (args: string[]) => {
  const s = await startServerProcess(['--port', '0', '--max-connections', String(N + 10), ...args]);
  return { port: tcpPort(s), pid: s.pid, stop: () => s.stop() };
};

console.log(`${N} idle connections${''.padEnd(20)} ${'before'.padStart(7)} ${'after'.padStart(7)} ${'added'.padStart(7)} ${'KiB/conn'.padStart(9)}   (RSS, MiB)`);
await measure('bin/server (fixed mode)', await ours([]));
await measure('bin/server --mode echo', await ours(['--mode', 'echo']));
await measure('bin/server --io sockets', await ours(['--io', 'sockets']));
await measure('bare net.createServer(() => {})', await bareServer());
await measure('accepted handles only, no net.Socket', await bareServer(HANDLES));
