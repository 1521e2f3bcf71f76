/**
 * Micro-benchmarks of the hot path (tinybench): each decoder on 1 and on 64
 * messages per chunk, the server's reply batching in both modes, the
 * benchmark's request batching, small copies, and histogram recording.
 *
 *   npm run bench:micro            # or: node --import tsx bench/micro.ts
 *
 * Each task loops many operations inside one call, so that the clock read
 * around every call (40-70 ns on this machine) is spread over them instead
 * of dominating; the table reports nanoseconds per operation (per message,
 * per record). Pin it for steadier figures: taskset -c 0 npm run bench:micro
 */
import type { Socket } from 'node:net';
import { Bench } from 'tinybench';
import { FrameTable } from '../src/protocol/batch.js';
import { copyBytes } from '../src/protocol/bytes.js';
import { codecs, type Framing, type MessageHandler } from '../src/protocol/index.js';
import { type ConnectionOwner, EchoConnection, FixedConnection } from '../src/server/connection.js';
import { ConstantRequests, SequencedRequests } from '../src/load/requests.js';
import { StreamWriter } from '../src/io/writes.js';
import type { Transport } from '../src/io/transport.js';
import { createHistogram, initHistograms } from '../src/stats/histogram.js';
import { payloadOf } from '../src/protocol/exchange.js';

const SIZE = 64;
/** Operations per task call. */
const OPS = 6400;

const counter: MessageHandler & { n: number } = {
  n: 0,
  onMessage() {
    this.n++;
  },
};

/** `perChunk` messages of 64 B payload back to back, as one read would bring them. */
function chunkOf(framing: Framing, perChunk: number): Buffer {
  const one = framing === 'sockperf' ? codecs.sockperf.frame(payloadOf(SIZE - 14)) : codecs[framing].frame(payloadOf(SIZE));
  return Buffer.concat(Array(perChunk).fill(one));
}

/** A socket that takes every write at once, as the kernel does when its buffer has room. */
const sink = { writableLength: 0, write: () => true } as unknown as Socket;

/** The sink as connections (and the benchmark's requests) write to it. */
const sinkWriter = new StreamWriter(sink);
/** The sink as a connection's transport. */
const transport: Transport = { destroyed: false, writer: sinkWriter, open() {}, pause() {}, resume() {}, end() {}, destroy() {} };

const owner: ConnectionOwner = {
  stats: { messages: 0, ignored: 0, bytesIn: 0, bytesOut: 0, outputPauses: 0 },
  maxPending: 1 << 30,
  onProtocolError: () => {
    throw new Error('unexpected protocol error');
  },
  onSocketError() {},
  forget() {},
};

await initHistograms();
const bench = new Bench({ time: 500, warmupTime: 100 });
const perOp: Record<string, number> = {};

function task(name: string, opsPerCall: number, fn: () => void): void {
  perOp[name] = opsPerCall;
  bench.add(name, fn);
}

for (const framing of ['length', 'line', 'sockperf'] as const) {
  for (const perChunk of [1, 64]) {
    const chunk = chunkOf(framing, perChunk);
    const decoder = codecs[framing].createDecoder(counter, 1 << 20);
    const calls = OPS / perChunk;
    task(`decode ${framing}, ${perChunk} msg/chunk`, OPS, () => {
      for (let i = 0; i < calls; i++) decoder.push(chunk, 0, chunk.length);
    });
  }
}

const input = chunkOf('length', 64);
const fixed = new FixedConnection(owner, transport, 'bench', codecs.length, 1 << 20, new FrameTable(codecs.length.frame(Buffer.from('respuesta'))));
task('server fixed reply, 64 msg/read (decode + 1 write)', OPS, () => {
  for (let i = 0; i < OPS / 64; i++) fixed.onData(input, 0, input.length);
});
const echo = new EchoConnection(owner, transport, 'bench', codecs.length, 1 << 20);
task('server echo reply, 64 msg/read (decode + copy + 1 write)', OPS, () => {
  for (let i = 0; i < OPS / 64; i++) echo.onData(input, 0, input.length);
});

const constant = new ConstantRequests(codecs.length.frame(payloadOf(SIZE)), 16);
task('benchmark requests, 16 per write (length)', OPS, () => {
  for (let i = 0; i < OPS / 16; i++) constant.write(sinkWriter, 1, 16);
});
const sequenced = new SequencedRequests(codecs.sockperf.frame(payloadOf(SIZE - 14)), 16);
task('benchmark requests, 16 per write (sockperf, numbered)', OPS, () => {
  for (let i = 0; i < OPS / 16; i++) sequenced.write(sinkWriter, i * 16 + 1, 16);
});

for (const size of [12, 64]) {
  const src = Buffer.alloc(64 * size, 7);
  const dst = Buffer.alloc(64 * size);
  task(`copy ${size} B with Buffer.copy`, OPS, () => {
    for (let k = 0; k < OPS / 64; k++) for (let i = 0; i < 64; i++) src.copy(dst, i * size, i * size, (i + 1) * size);
  });
  task(`copy ${size} B with copyBytes`, OPS, () => {
    for (let k = 0; k < OPS / 64; k++) for (let i = 0; i < 64; i++) copyBytes(src, i * size, (i + 1) * size, dst, i * size);
  });
}

const histogram = createHistogram();
let v = 1;
task('histogram record (WebAssembly)', OPS, () => {
  for (let i = 0; i < OPS; i++) {
    histogram.recordValue(20_000 + (v & 0xffff));
    v = (v * 1103515245 + 12345) & 0x7fffffff;
  }
});

await bench.run();
histogram.destroy();

const rows = bench.tasks.map((t) => {
  const r = t.result as { latency?: { mean: number; rme: number }; state?: string } | undefined;
  if (r?.latency === undefined) return { task: t.name, 'ns/op': 'failed', '±%': '', 'calls': 0 };
  return {
    task: t.name,
    'ns/op': ((r.latency.mean * 1e6) / perOp[t.name]).toFixed(1),
    '±%': r.latency.rme.toFixed(2),
    calls: t.runs,
  };
});
console.table(rows);
console.log(
  `node ${process.version}, ${OPS} operations per call; CPUs allowed: ${(await import('node:fs')).readFileSync('/proc/self/status', 'utf8').match(/Cpus_allowed_list:\s*(\S+)/)?.[1] ?? '?'}`,
);
