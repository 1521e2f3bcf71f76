/**
 * The load of one thread, in process: a run that is over before it starts
 * starts nothing; a run counted in round trips (the client's) sends and
 * measures exactly its counts, against a real server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Load } from '../src/load/load.js';
import type { LoadSpec } from '../src/load/spec.js';
import { initHistograms } from '../src/stats/histogram.js';
import { type RunningServer, startServer } from './helpers.js';

const spec: LoadSpec = {
  framing: 'length',
  mode: 'fixed',
  size: 64,
  response: 'respuesta',
  target: { transport: 'tcp', host: '127.0.0.1', port: 1 },
  connections: 0,
  firstConnection: 0,
  totalConnections: 0,
  pipeline: 1,
  rate: null,
  warmupS: 1,
  durationS: 1,
  timeoutMs: 5000,
  maxFrame: 1 << 20,
  targetUs: 1000,
  intervalS: 1,
  io: 'handles',
};

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('Load', () => {
  before(() => initHistograms());

  it('run() after the load is over (stopped, or every connection lost while connecting) resolves and leaves no timer behind', async () => {
    // A timer left running would keep the benchmark (or its load thread) alive after its report: the hang this guards against.
    const load = new Load(spec);
    load.stop(); // during warm-up: over at once
    const before = timers();
    await load.run();
    assert.equal(timers(), before);
    assert.equal(load.counts.interrupted, true);
    load.destroy();
  });
});

describe('Load counted in round trips', () => {
  let server: RunningServer;
  before(async () => {
    await initHistograms();
    server = await startServer(['--port', '0']);
  });
  after(async () => {
    await server.stop();
  });

  const counted = (rate: number | null): LoadSpec => ({
    ...spec,
    target: { transport: 'tcp', host: '127.0.0.1', port: server.port! },
    connections: 1,
    totalConnections: 1,
    rate,
    warmupS: 0,
    warmupCount: 7,
    count: 50,
    spin: rate !== null,
  });

  // 1 000 000 msg/s: always behind, so messages are already due when the warm-up's last reply opens the window; they are the window's first.
  for (const rate of [null, 2000, 1_000_000]) {
    it(`${rate === null ? 'closed loop' : `--rate ${rate}, spinning`}: 7 round trips of warm-up, then exactly 50 measured, nothing more sent`, async () => {
      const load = new Load(counted(rate));
      try {
        await load.connect();
        await load.run();
        const c = load.counts;
        assert.equal(c.failure, null);
        assert.equal(load.conns[0].sent, 57);
        assert.equal(load.conns[0].received, 57);
        assert.equal(c.sent, 50);
        assert.equal(c.messages, 50);
        assert.equal(load.latency.totalCount, 50);
        assert.equal(load.uncorrected?.totalCount ?? null, rate === null ? null : 50);
        assert.equal(c.behind, 0);
        assert.ok(c.durationNs > 0);
      } finally {
        load.destroy();
      }
    });
  }

  it('a count needs one connection with one request in flight', () => {
    assert.throws(() => new Load({ ...spec, connections: 1, pipeline: 2, count: 10 }), /one connection with one request in flight/);
  });
});
