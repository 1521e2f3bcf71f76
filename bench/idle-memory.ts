/**
 * RSS added by 10 000 idle connections: to bin/server, and to a bare Node
 * `net.createServer(() => {})` with the same GC flags, which shows how much
 * of the cost is Node's own socket rather than this server's state.
 *
 *   node --import tsx bench/idle-memory.ts [connections]     (after ./run.sh build)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const N = Number(process.argv[2] ?? 10_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMiB = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const BARE = `const s = require('net').createServer(() => {}); s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ event: 'listening', port: s.address().port })));`;

async function measure(label: string, proc: ChildProcess): Promise<void> {
  const port = await new Promise<number>((resolve) => {
    let buf = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const m = /"event":"listening".*?"port":(\d+)/.exec(buf);
      if (m !== null) resolve(Number(m[1]));
    });
  });
  await sleep(500);
  const before = rssMiB(proc.pid!);
  const socks: Socket[] = [];
  for (let i = 0; i < N; i += 500) {
    const batch = Array.from({ length: Math.min(500, N - i) }, () => new Promise<Socket>((resolve, reject) => {
      const c = connect({ host: '127.0.0.1', port }, () => resolve(c));
      c.once('error', reject);
    }));
    socks.push(...(await Promise.all(batch)));
  }
  await sleep(1500);
  const after = rssMiB(proc.pid!);
  for (const s of socks) s.destroy();
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  console.log(`${label.padEnd(40)} ${before.toFixed(1).padStart(7)} ${after.toFixed(1).padStart(7)} ${(after - before).toFixed(1).padStart(7)} ${(((after - before) * 1024) / N).toFixed(2).padStart(9)}`);
}

console.log(`${N} idle connections${''.padEnd(20)} ${'before'.padStart(7)} ${'after'.padStart(7)} ${'added'.padStart(7)} ${'KiB/conn'.padStart(9)}   (RSS, MiB)`);
const server = fileURLToPath(new URL('../bin/server', import.meta.url));
await measure('bin/server (fixed mode)', spawn(server, ['--json', '--port', '0', '--max-connections', String(N + 10)], { stdio: ['ignore', 'pipe', 'inherit'] }));
await measure('bin/server --mode echo', spawn(server, ['--json', '--port', '0', '--mode', 'echo', '--max-connections', String(N + 10)], { stdio: ['ignore', 'pipe', 'inherit'] }));
await measure('bare net.createServer(() => {})', spawn(process.execPath, ['--max-semi-space-size=2', '--min-semi-space-size=2', '-e', BARE], { stdio: ['ignore', 'pipe', 'inherit'] }));
