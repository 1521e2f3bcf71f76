/**
 * No interval's close, and no work of the window's end, runs while a round
 * trip is in flight (src/stats/intervals.ts): a trace of the client's and
 * the benchmark's own counts, read at each close, against a real server.
 * Before this was so, `client -d 1` charged its one message in flight with
 * the closing of the interval and the encoding of its histogram (6-10 ms
 * against a p50 of 40 us), and every timed run ended in a fragment of an
 * interval holding that one message.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Load } from '../src/load/load.js';
import type { LoadSpec } from '../src/load/spec.js';
import { runProbe } from '../src/client/probe.js';
import { initHistograms } from '../src/stats/histogram.js';
import type { Interval } from '../src/stats/intervals.js';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { type RunningServer, runBin, startServer } from './helpers.js';

const INTERVAL_S = 0.2;
/** Five intervals: the fifth tick falls on the window's end and is not taken (a quarter interval or less before it), so the window's end closes the fifth. */
const DURATION_S = 1;

/** The interval lengths (ms) and counts that a sink saw. */
interface Seen {
  lengthsMs: number[];
  counts: number[];
  /** Messages in flight at each close, as the program itself counts them. */
  inFlight: number[];
  indexes: number[];
}

const seen = (): Seen => ({ lengthsMs: [], counts: [], inFlight: [], indexes: [] });

function note(s: Seen, iv: Interval, inFlight: number): void {
  s.indexes.push(iv.index);
  s.lengthsMs.push(iv.endMs - iv.startMs);
  s.counts.push(iv.latency.totalCount);
  s.inFlight.push(inFlight);
}

/** Every interval but the last ends at a tick; the last one ends with the window, and is not a fragment of one. */
function assertWhole(s: Seen): void {
  assert.ok(s.lengthsMs.length >= 3, `${s.lengthsMs.length} intervals`);
  // Numbered by the tick that ended them; the last by the window's end (a close that waited past a tick covers two).
  assert.equal(s.indexes.at(-1), DURATION_S / INTERVAL_S, `indexes ${s.indexes.join(', ')}`);
  for (let i = 1; i < s.indexes.length; i++) assert.ok(s.indexes[i] > s.indexes[i - 1], `indexes ${s.indexes.join(', ')}`);
  const last = s.lengthsMs.at(-1)!;
  assert.ok(last >= (INTERVAL_S * 1000) / 4, `the last interval is a fragment of ${last.toFixed(2)} ms: ${s.lengthsMs.map((l) => l.toFixed(1)).join(', ')}`);
}

describe('interval boundaries and the end of a window fall between round trips', () => {
  let server: RunningServer;
  before(async () => {
    await initHistograms();
    server = await startServer(['--port', '0']);
  });
  after(async () => {
    await server.stop();
  });

  // The client's load, caught as it starts: the sink reads the engine's own count of requests in flight.
  function probeTrace(rate?: number) {
    let rt: Load | null = null;
    const run = Load.prototype.run;
    Load.prototype.run = function (this: Load, onProgress?: (replies: number) => void) {
      rt = this;
      return run.call(this, onProgress);
    };
    const s = seen();
    const done = runProbe({
      target: { transport: 'tcp', host: '127.0.0.1', port: server.port! },
      framing: 'length',
      mode: 'fixed',
      response: 'respuesta',
      size: 64,
      count: 0,
      durationS: DURATION_S,
      rate,
      warmup: 100,
      targetUs: 1000,
      timeoutMs: 5000,
      maxFrame: 1 << 20,
      intervalS: INTERVAL_S,
      onInterval: (iv) => note(s, iv, rt === null ? -1 : rt.inFlight),
    }).finally(() => {
      Load.prototype.run = run;
    });
    return { s, done };
  }

  for (const rate of [undefined, 2000]) {
    it(`client, ${rate === undefined ? 'closed loop' : `--rate ${rate}`}: nothing in flight at any close; the intervals hold every measured reply`, async () => {
      const { s, done } = probeTrace(rate);
      const r = await done;
      try {
        assert.equal(r.failure, null);
        assert.deepEqual(
          s.inFlight,
          s.inFlight.map(() => 0),
          'messages in flight at each close',
        );
        assert.equal(
          s.counts.reduce((a, b) => a + b, 0),
          r.histogram.totalCount,
        );
        assertWhole(s);
      } finally {
        r.histogram.destroy();
        r.uncorrected?.destroy();
        r.sendLag?.destroy();
      }
    });
  }

  for (const rate of [null, 5000]) {
    it(`benchmark load, ${rate === null ? 'closed loop' : `open loop at ${rate} msg/s`}, 4 connections x pipeline 4: nothing in flight at any close or at the window's end`, async () => {
      const spec: LoadSpec = {
        framing: 'length',
        mode: 'fixed',
        size: 64,
        response: 'respuesta',
        target: { transport: 'tcp', host: '127.0.0.1', port: server.port! },
        connections: 4,
        firstConnection: 0,
        totalConnections: 4,
        pipeline: 4,
        rate,
        warmupS: 0.1,
        durationS: DURATION_S,
        timeoutMs: 5000,
        maxFrame: 1 << 20,
        targetUs: 1000,
        intervalS: INTERVAL_S,
        io: 'handles',
      };
      const s = seen();
      const atMeasured: number[] = [];
      const load: Load = new Load(spec, {
        onInterval: (iv) => note(s, iv, load.inFlight),
        onMeasured: () => atMeasured.push(load.inFlight),
      });
      try {
        await load.connect();
        await load.run();
        assert.equal(load.counts.failure, null);
        assert.deepEqual(
          s.inFlight,
          s.inFlight.map(() => 0),
          'requests in flight at each close',
        );
        assert.deepEqual(atMeasured, [0], 'requests in flight as the window-end work ran');
        assert.equal(
          s.counts.reduce((a, b) => a + b, 0),
          load.counts.messages,
        );
        assertWhole(s);
      } finally {
        load.destroy();
      }
    });
  }

  it("benchmark --threads 2: the threads' intervals merged by number, the last no fragment, adding up to the measured messages", async () => {
    const r = await runBin('benchmark', ['--port', String(server.port), '-c', '4', '--threads', '2', '-d', String(DURATION_S), '-w', '0.2', '--interval', String(INTERVAL_S), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const sc = JSON.parse(r.stdout).scenarios[0];
    const ivs: Array<{ startMs: number; endMs: number; latency: string }> = sc.histograms.intervals;
    const counts = ivs.map((iv) => decodeFromCompressedBase64(iv.latency, 32, false).totalCount);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      sc.messages,
    );
    assert.ok(ivs.length >= 3 && ivs.length <= DURATION_S / INTERVAL_S, `${ivs.length} intervals`);
    // The last ends with the window, not in a fragment after it. (One before it can be short: a close that waited for replies on a loaded machine ends late, and the next tick comes on time.)
    const last = ivs.at(-1)!;
    assert.ok(last.endMs - last.startMs >= (INTERVAL_S * 1000) / 4, `the last is a fragment: ${ivs.map((x) => (x.endMs - x.startMs).toFixed(1)).join(', ')} ms`);
  });
});
