/**
 * The dashboard's history (src/admin/history.ts), kept by the admin thread:
 * the ring on its own, fed through the same shared memory the serving
 * thread publishes into (bounded to five minutes, counters as rates over
 * the publications' own times, a worker's counter reset read as no
 * traffic rather than a negative rate, nothing new from a stalled serving
 * thread), then `GET /history.json` of a real server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { History, HISTORY_COLUMNS, HISTORY_PERIOD_MS, HISTORY_SPAN_S, type HistoryColumns } from '../src/admin/history.js';
import { GC_KINDS, Slot, createSharedBuffers } from '../src/admin/shared.js';
import { sourceViews } from '../src/admin/sources.js';
import { WAIT_MS, runBin, startServer } from './helpers.js';
import { http } from './admin-helpers.js';

const ROWS = (HISTORY_SPAN_S * 1000) / HISTORY_PERIOD_MS;

/** A server alone's sources, a GC totals table, and its History. */
function fixture() {
  const sources = sourceViews({ main: createSharedBuffers(), workers: [] });
  const gc = GC_KINDS.map(() => ({ count: 0, pauseMs: 0 }));
  return { v: sources.main.values, gc, history: new History(sources, gc) };
}

describe('admin history: the ring', () => {
  it("keeps the last five minutes of samples, oldest dropped first; counters as rates over the publications' own times", () => {
    const { v, gc, history } = fixture();
    const start = 1_700_000_000_000;
    // Sample n: published at start + n s (+ 250 ms every other one, as a late timer would), 100 more messages per second of it.
    const at = (n: number) => start + n * 1000 + (n % 2) * 250;
    const total = ROWS + 100;
    for (let n = 0; n <= total; n++) {
      v[Slot.publishedAt] = at(n);
      v[Slot.messages] = (at(n) - start) / 10;
      v[Slot.bytesIn] = ((at(n) - start) / 1000) * 3 * 1024 * 1024;
      v[Slot.open] = n;
      v[Slot.eldP99] = 42_000;
      v[Slot.rss] = 64 * 1024 * 1024;
      gc[1].pauseMs = n * 2;
      history.sample();
    }
    const h = history.columns();
    // The first sample is a baseline, then one row each: the last ROWS of them.
    assert.equal(h.time.length, ROWS);
    assert.equal(h.time[0], at(total - ROWS + 1) / 1000);
    assert.equal(h.time.at(-1), at(total) / 1000);
    for (const name of HISTORY_COLUMNS) assert.equal(h[name].length, ROWS, name);
    assert.ok(
      h.messages.every((r) => r === 100),
      `100 messages/s whatever the timer's lateness: ${h.messages.slice(0, 5)}`,
    );
    assert.ok(h.bytesIn.every((r) => r === 3 * 1024 * 1024));
    assert.deepEqual([h.connections[0], h.connections.at(-1)], [total - ROWS + 1, total]);
    assert.equal(h.delayP99Us[0], 42);
    assert.equal(h.rss[0], 64 * 1024 * 1024);
    // 2 ms of major GC per sample, over 0.75 s or 1.25 s of publication time.
    assert.ok(
      h.gcMajorMs.every((r) => [2 / 0.75, 2 / 1.25].some((x) => Math.abs(r - x) < 0.001)),
      `${h.gcMajorMs.slice(0, 4)}`,
    );
    // Only what is after a time the page already has.
    const last2 = history.columns(h.time.at(-3)!);
    assert.deepEqual(last2.time, h.time.slice(-2));
  });

  it('a counter that goes back (a worker started again) is no traffic, not a negative rate; no new publication, no new row', () => {
    const { v, history } = fixture();
    const times = [1000, 2000, 3000, 3000, 4000];
    const messages = [0, 500, 20, 20, 120];
    times.forEach((t, i) => {
      v[Slot.publishedAt] = t;
      v[Slot.messages] = messages[i];
      history.sample();
    });
    const h = history.columns();
    assert.deepEqual(h.time, [2, 3, 4]);
    assert.deepEqual(h.messages, [500, 0, 100]);
  });
});

describe('admin history: GET /history.json', () => {
  it('answers the samples kept as columns, those after ?after= alone, and 400 for a bad after', async (t) => {
    const server = await startServer(['--port', '0', '--admin', '127.0.0.1:0']);
    t.after(() => server.stop());
    const admin = server.admin!.url;
    const client = await runBin('client', ['--port', String(server.port), '--count', '2000', '--warmup', '0']);
    assert.equal(client.code, 0, client.stderr);
    type Answer = { periodS: number; spanS: number } & HistoryColumns;
    // Until the load is in a sample and a sample after it says it ended (one a second).
    let h: Answer;
    const deadline = performance.now() + WAIT_MS;
    for (;;) {
      const r = await http(`${admin}/history.json`);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'application/json');
      h = JSON.parse(r.body) as Answer;
      if (h.messages.some((m) => m > 0) && h.messages.at(-1) === 0) break;
      if (performance.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for the load and its end in /history.json: ${JSON.stringify(h)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual([h.periodS, h.spanS], [HISTORY_PERIOD_MS / 1000, HISTORY_SPAN_S]);
    for (const name of HISTORY_COLUMNS) assert.equal(h[name].length, h.time.length, name);
    assert.ok(
      h.time.every((x, i) => i === 0 || x > h.time[i - 1]),
      'times rise',
    );
    assert.ok(h.rss.every((b) => b > 1024 * 1024));
    const after = JSON.parse((await http(`${admin}/history.json?after=${h.time.at(-2)}`)).body) as Answer;
    assert.ok(after.time.length >= 1 && after.time[0] === h.time.at(-1), `after ${h.time.at(-2)}: ${after.time}`);
    for (const bad of ['x', '', 'NaN', '1e999']) {
      const r = await http(`${admin}/history.json?after=${bad}`);
      assert.equal(r.status, 400, bad);
      assert.match(r.body, /^after: expected a time in seconds/);
    }
  });
});
