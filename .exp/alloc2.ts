/**
 * Where the garbage comes from. Runs one side in this process under V8's
 * sampling heap profiler, with objects that the GC has since collected kept
 * in the profile (so it shows garbage, not only what survives), and the
 * other side as a separate process:
 *
 *   node --import tsx bench/alloc-profile.ts server [round-trips] [--mode echo]
 *   node --import tsx bench/alloc-profile.ts client [round-trips]
 *
 * "server" runs the ResponderServer here and bin/client against it; "client"
 * runs the probe here against bin/server. Both are pinned to CPU 0 (build
 * first: ./run.sh build). It prints allocation sites by bytes, with each
 * native frame named after its JavaScript caller, and bytes per round trip.
 */
import { spawn } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { pinSelf } from '../src/machine/sched.js';
import { DEFAULT_MAX_FRAME, type Mode } from '../src/protocol/index.js';
import { ResponderServer } from '../src/server/server.js';
import { startServerProcess } from '../src/launch/server.js';
import { tcpPort } from '../bench/lib.js';
import { runProbe } from '../src/client/probe.js';
import { initHistograms } from '../src/stats/histogram.js';

import { WasmHistogram } from "hdr-histogram-js/dist/wasm/index.js";
import { LoadState } from '../src/load/state.js';
import { Exchange } from '../src/protocol/exchange.js';
import { LoadConnection } from '../src/load/connection.js';
if (process.env.NORECORD) { (LoadState.prototype as any).record = function (this: any) { this.replies++; }; }
if (process.env.NOMATCH) { (Exchange.prototype as any).matches = function () { return true; }; }
if (process.env.NOQUIET) { (LoadState.prototype as any).quiet = function (this: any) { if (this.replies === this.mark) this.countReached(); if (this.phase >= 3) this.finish(); }; }
import { DirectWriter } from '../src/io/writes.js';
if (process.env.NOWRITE) { const b = (process as any).binding('stream_wrap'); const req = new b.WriteWrap(); req.oncomplete = () => {}; (DirectWriter.prototype as any).write = function (this: any, data: Buffer) { this.target._handle.writeBuffer(req, data); }; }
if (process.env.NOSEND) { (LoadConnection.prototype as any).refill = function (this: any) { if (this.inFlight === 0) { this.sentAt[0] = this.load.now; this.sent++; this.inFlight++; this.load.inFlight++; this.out.write(this.requests.table.views[1], null); } }; }
if (process.env.NOREC) { (WasmHistogram.prototype as any).recordValue = function () {}; }
const args = process.argv.slice(2);
const side = args[0] === 'client' ? 'client' : 'server';
const trips = Number(args.find((a) => /^\d+$/.test(a)) ?? 200_000);
const mode = (args.includes('--mode') ? args[args.indexOf('--mode') + 1] : 'fixed') as Mode;
const bin = (name: string) => fileURLToPath(new URL(`../bin/${name}`, import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));

pinSelf('0');
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  id: number;
  children: Node[];
}
interface Profile {
  head: Node;
  samples: Array<{ size: number; nodeId: number }>;
}

async function profiled(work: () => Promise<void>): Promise<Profile> {
  await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await work();
  return (await session.post('HeapProfiler.stopSampling')).profile as unknown as Profile;
}

async function runServerSide(): Promise<Profile> {
  const server = new ResponderServer({
    host: '127.0.0.1',
    port: 0,
    framing: 'length',
    mode,
    response: 'respuesta',
    maxFrame: DEFAULT_MAX_FRAME,
    graceMs: 1000,
    maxConnections: 100,
    idleTimeoutMs: 0,
    maxPending: 256 * 1024,
    unixMode: 0o600,
  });
  const [{ port }] = await server.listen();
  const client = (count: number) =>
    new Promise<void>((resolve, reject) => {
      const p = spawn(bin('client'), ['--port', String(port), '--cpu', '0', '--mode', mode, '--count', String(count), '--warmup', '0'], { stdio: 'ignore' });
      p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`client exited ${code}`))));
    });
  await client(20_000); // warm-up, not profiled
  const profile = await profiled(() => client(trips));
  await server.close();
  return profile;
}

async function runClientSide(): Promise<Profile> {
  await initHistograms();
  const server = await startServerProcess(['--port', '0', '--cpu', '0', '--mode', mode]);
  const port = tcpPort(server);
  const probe = (count: number) =>
    runProbe({
      target: { transport: 'tcp', host: '127.0.0.1', port },
      framing: 'length',
      mode,
      size: 64,
      response: 'respuesta',
      count,
      warmup: 0,
      targetUs: 1000,
      timeoutMs: 5000,
      maxFrame: DEFAULT_MAX_FRAME,
    }).then((r) => r.histogram.destroy());
  await probe(20_000); // warm-up, not profiled
  const profile = await profiled(() => probe(trips));
  await server.stop();
  return profile;
}

const profile = side === 'server' ? await runServerSide() : await runClientSide();

const where = (f: Node['callFrame']) => {
  const file = f.url.replace(/^file:\/\//, '').replace(root, '');
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
};
const bytes = new Map<string, number>();
let total = 0;
const walk = (n: Node, caller: string) => {
  const native = n.callFrame.url === '';
  const key = native && caller !== '' ? `${where(n.callFrame)} <- ${caller}` : where(n.callFrame);
  if (n.selfSize > 0) {
    bytes.set(key, (bytes.get(key) ?? 0) + n.selfSize);
    total += n.selfSize;
  }
  for (const c of n.children) walk(c, native ? caller : where(n.callFrame));
};
walk(profile.head, '');
console.log(`${side} side, ${mode} mode, ${trips} round trips of 64 B over TCP, CPU 0: ${(total / trips).toFixed(0)} bytes allocated per round trip (sampled)`);
for (const [k, v] of [...bytes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${(v / trips).toFixed(1).padStart(6)} B/trip  ${k}`);
}
