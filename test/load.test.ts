/** The load of one thread, in process: a run that is over before it starts starts nothing. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Load } from '../src/load/load.js';
import type { LoadSpec } from '../src/load/spec.js';
import { initHistograms } from '../src/stats/histogram.js';

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
