/** Collections at quiet moments (src/stats/collect.ts): they run, they empty the young generation, and every GC summary counts them apart. */
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { runProbe } from '../src/client/probe.js';
import { IdleCollector, QuietCollector, collector, settleHeap, youngGeneration } from '../src/stats/collect.js';
import { GcMonitor } from '../src/stats/gc.js';
import { initHistograms } from '../src/stats/histogram.js';
import { startServer } from './helpers.js';

/** Young-generation garbage: `n` small objects, each kept a moment in a small ring (so that the compiler cannot elide them). */
const ring: Array<{ i: number } | null> = new Array(1024).fill(null);
function litter(n: number): void {
  for (let i = 0; i < n; i++) ring[i & 1023] = { i };
  ring.fill(null);
}

/** The monitor's figures once `ready` holds of them (GC entries arrive on a later turn), or after 2 s. */
async function settled(gc: GcMonitor, ready: (s: ReturnType<GcMonitor['snapshot']>) => boolean) {
  for (let i = 0; i < 200 && !ready(gc.snapshot()); i++) await new Promise((r) => setTimeout(r, 10));
  await turn();
  return gc.snapshot();
}

describe('collections at quiet moments', () => {
  it('this Node lends its collector without exposing a global gc', () => {
    assert.equal(typeof collector(), 'function');
    assert.equal((globalThis as { gc?: unknown }).gc, undefined);
  });

  it('settleHeap empties the young generation, and the monitor counts it as a quiet major collection', async () => {
    const gc = new GcMonitor().start();
    litter(20_000);
    assert.equal(settleHeap(), true);
    assert.ok(youngGeneration().used < 64 << 10, `left ${youngGeneration().used} bytes`);
    const s = await settled(gc, (g) => g.quiet >= 1);
    gc.stop();
    assert.ok(s.major >= 1, `kinds ${JSON.stringify(s)}`);
    assert.equal(s.quiet, 1);
    assert.ok(s.quietPauseMs > 0 && s.quietPauseMs <= s.pauseMs);
  });

  it('a GC this process did not ask for is not counted as quiet, and only such GCs reach onEntry (the admin port)', async () => {
    const gc = new GcMonitor().start();
    const published: number[] = [];
    gc.onEntry = (_kind, pauseMs) => published.push(pauseMs);
    settleHeap();
    // Enough garbage to fill a 32 MiB young generation several times: V8 scavenges on its own.
    litter(3_000_000);
    const s = await settled(gc, (g) => g.minor >= 1 && g.quiet >= 1);
    gc.stop();
    assert.ok(s.minor >= 1, `kinds ${JSON.stringify(s)}`);
    assert.equal(s.quiet, 1, 'the settle only');
    assert.equal(published.length, s.count - s.quiet);
  });

  it('QuietCollector looks every `every` calls and collects only past its fraction of the young generation', () => {
    const never = new QuietCollector(1, 1);
    const always = new QuietCollector(1, 0);
    const third = new QuietCollector(3, 0);
    litter(10_000);
    assert.equal(never.atQuietMoment(), false);
    assert.equal(always.atQuietMoment(), true);
    assert.deepEqual([third.atQuietMoment(), third.atQuietMoment(), third.atQuietMoment()], [false, false, true]);
  });

  it('IdleCollector collects once a counter stops moving, and again only after it moved', async () => {
    const gc = new GcMonitor().start();
    let activity = 0;
    const idle = new IdleCollector(() => activity, 20, 0, 1_000_000);
    try {
      activity = 1; // answered something, then nothing more
      litter(50_000);
      let s = await settled(gc, (g) => g.quiet >= 1);
      await new Promise((r) => setTimeout(r, 100)); // several more idle ticks: no second collection
      s = gc.snapshot();
      assert.equal(s.quiet, 1, `after the first idle stretch: ${JSON.stringify(s)}`);
      activity = 2;
      litter(50_000);
      s = await settled(gc, (g) => g.quiet >= 2);
      assert.equal(s.quiet, 2);
    } finally {
      idle.stop();
      gc.stop();
    }
  });

  it('IdleCollector makes one full collection once the counter has stood still for `fullAfter` ticks', async () => {
    const gc = new GcMonitor().start();
    let activity = 1;
    const idle = new IdleCollector(() => activity, 20, 0, 3);
    try {
      litter(50_000);
      let s = await settled(gc, (g) => g.quiet >= 2);
      await new Promise((r) => setTimeout(r, 150)); // still idle: nothing more
      s = gc.snapshot();
      assert.equal(s.quiet, 2, `one young, one full: ${JSON.stringify(s)}`);
      assert.ok(s.major >= 1);
      activity = 2;
      s = await settled(gc, (g) => g.quiet >= 4);
      assert.equal(s.quiet, 4, 'again after the counter moved');
    } finally {
      idle.stop();
      gc.stop();
    }
  });

  it('the server settles its heap before it says ready: its summary counts that collection as quiet', async () => {
    const server = await startServer(['--port', '0']);
    const { summary } = await server.stop();
    const gc = summary?.gc as { count: number; major: number; quiet: number } | undefined;
    assert.ok(gc !== undefined && gc.quiet >= 1 && gc.major >= 1 && gc.count >= gc.quiet, JSON.stringify(gc));
  });

  it('the client settles its heap as its measured phase opens: counted in the window, as quiet', async () => {
    await initHistograms();
    const server = await startServer(['--port', '0']);
    const r = await runProbe({
      target: { transport: 'tcp', host: '127.0.0.1', port: server.port! },
      framing: 'length',
      mode: 'fixed',
      response: 'respuesta',
      size: 64,
      count: 3000,
      warmup: 200,
      targetUs: 1000,
      timeoutMs: 5000,
      maxFrame: 1 << 20,
    });
    await server.stop();
    r.histogram.destroy();
    assert.ok(r.gc.quiet >= 1 && r.gc.count >= r.gc.quiet, JSON.stringify(r.gc));
  });
});
