/**
 * Does a peer that sends without reading slow down everyone else? Measures
 * bin/client's latency against a fresh bin/server (echo mode) twice: alone,
 * and while another connection has 1 000 000 unread messages outstanding
 * (the server has stopped reading it at --max-pending). Prints both and
 * their ratio, and the server's RSS in each phase.
 *
 *   taskset -c 0 node --import tsx bench/slow-reader.ts     # everything on CPU 0
 *
 * Build first (./run.sh build). Children inherit the CPU placement.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { processRssBytes } from '../src/machine/proc.js';
import { numberedFrames } from '../src/protocol/index.js';
import { startServerProcess } from '../src/launch/server.js';
import { tcpPort } from './lib.js';
import { fileURLToPath } from 'node:url';

const bin = (name: string) => fileURLToPath(new URL(`../bin/${name}`, import.meta.url));
const COUNT = '50000';

const server = await startServerProcess(['--port', '0', '--mode', 'echo']);
const port = tcpPort(server);
const rssMiB = () => processRssBytes(server.pid) / 1048576;

function probe(): { p50: number; p99: number; p99_9: number; max: number } {
  const r = spawnSync(bin('client'), ['--port', String(port), '--mode', 'echo', '--count', COUNT, '--warmup', '5000', '--json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`client failed: ${r.stderr}`);
  return JSON.parse(r.stdout).latencyUs;
}

const alone = probe();
const rssAlone = rssMiB();

const slow = connect({ host: '127.0.0.1', port, noDelay: true });
await new Promise((r) => slow.once('connect', r));
slow.pause();
const N = 1_000_000;
slow.write(numberedFrames(N));
await new Promise((r) => setTimeout(r, 1000));
const stalled = probe();
const rssStalled = rssMiB();
slow.destroy();
await server.stop();

const cpus = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
const row = (name: string, l: typeof alone, rss: number) =>
  `${name.padEnd(30)} ${l.p50.toFixed(2).padStart(8)} ${l.p99.toFixed(2).padStart(8)} ${l.p99_9.toFixed(1).padStart(8)} ${l.max.toFixed(0).padStart(8)} ${rss.toFixed(1).padStart(8)}`;
console.log(`bin/client --mode echo --count ${COUNT}, 64 B, CPUs ${cpus}`);
console.log(`${''.padEnd(30)} ${'p50 us'.padStart(8)} ${'p99 us'.padStart(8)} ${'p99.9 us'.padStart(8)} ${'max us'.padStart(8)} ${'RSS MiB'.padStart(8)}`);
console.log(row('alone', alone, rssAlone));
console.log(row('beside a stalled slow reader', stalled, rssStalled));
console.log(
  `ratio                          ${(stalled.p50 / alone.p50).toFixed(2).padStart(8)} ${(stalled.p99 / alone.p99).toFixed(2).padStart(8)} ${(stalled.p99_9 / alone.p99_9).toFixed(2).padStart(8)}`,
);
