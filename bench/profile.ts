/**
 * Where the time goes: a ping-pong run (bin/client against bin/server,
 * 64 B, TCP, both on CPU 0) with V8's CPU profiler on in both processes,
 * then the top functions by self time for each side. (For garbage, see
 * bench/alloc-profile.ts: --heap-prof only keeps what is still alive.)
 *
 *   node --import tsx bench/profile.ts [round-trips] [--mode echo]     (after ./run.sh build)
 *
 * The raw profiles stay in results/profile/ (.cpuprofile opens in Chrome DevTools).
 */
import { spawnSync } from 'node:child_process';
import { startServerProcess } from '../src/launch/server.js';
import { tcpPort } from './lib.js';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const trips = Number(args.find((a) => /^\d+$/.test(a)) ?? 300_000);
const mode = args.includes('--mode') ? args[args.indexOf('--mode') + 1] : 'fixed';
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'results', 'profile');
rmSync(dir, { recursive: true, force: true });
mkdirSync(join(dir, 'server'), { recursive: true });
mkdirSync(join(dir, 'client'), { recursive: true });

const flags = (side: string) => `--max-semi-space-size=2 --min-semi-space-size=2 --cpu-prof --cpu-prof-dir=${join(dir, side)}`;

const server = await startServerProcess(['--port', '0', '--cpu', '0', '--mode', mode], { env: { ...process.env, RESPUESTA_NODE_FLAGS: flags('server') } });
const port = tcpPort(server);
const c = spawnSync(join(root, 'bin/client'), ['--port', String(port), '--cpu', '0', '--mode', mode, '--count', String(trips), '--warmup', '10000', '--json'], {
  encoding: 'utf8',
  env: { ...process.env, RESPUESTA_NODE_FLAGS: flags('client') },
});
if (c.status !== 0) throw new Error(`client failed: ${c.stderr}`);
await server.stop();

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const where = (f: { functionName: string; url: string; lineNumber: number }) => {
  const file = f.url
    .replace(/^file:\/\//, '')
    .replace(root, '')
    .replace(/^node:/, 'node:');
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
};

function cpuTop(file: string, n: number): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: CpuNode[] };
  const total = p.nodes.reduce((t, x) => t + (x.hitCount ?? 0), 0);
  const self = new Map<string, number>();
  for (const x of p.nodes) self.set(where(x.callFrame), (self.get(where(x.callFrame)) ?? 0) + (x.hitCount ?? 0));
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
}

const pick = (side: string, ext: string) => join(dir, side, readdirSync(join(dir, side)).find((f) => f.endsWith(ext))!);
const report = JSON.parse(c.stdout);
console.log(`${trips} round trips, ${mode} mode, 64 B, TCP, both on CPU 0: p50 ${report.latencyUs.p50} us, client GC while measuring ${report.gc.count}`);
for (const side of ['server', 'client']) {
  console.log(`\n${side}: CPU, self time (top 15)`);
  for (const l of cpuTop(pick(side, '.cpuprofile'), 15)) console.log(`  ${l}`);
}
console.log(`\nraw profiles: ${dir}`);
