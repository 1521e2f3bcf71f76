import { PerformanceObserver } from 'node:perf_hooks';
import { runProbe } from '../src/client/probe.js';
import { LoadState } from '../src/load/state.js';
import { IntervalRecorder } from '../src/stats/intervals.js';
import { nowNs } from '../src/stats/clock.js';
import { pinSelf } from '../src/machine/sched.js';
import { initHistograms } from '../src/stats/histogram.js';
pinSelf(process.argv[3] ?? '0');
await initHistograms();
const events: Array<[number, string]> = [];
const slow: Array<[number, number]> = [];
const rec = LoadState.prototype.record;
LoadState.prototype.record = function (this: LoadState, sentAt: number, dueAt: number, now: number) {
  if (now - sentAt > 300_000 && this.measureStart < now) slow.push([sentAt, now - sentAt]);
  return rec.call(this, sentAt, dueAt, now);
};
const cd = IntervalRecorder.prototype.closeDue;
IntervalRecorder.prototype.closeDue = function (this: IntervalRecorder, now: number) { const t = nowNs(); cd.call(this, now); events.push([t, `interval close ${((nowNs() - t) / 1000).toFixed(0)} us`]); };
const offset = nowNs() - performance.now() * 1e6;
new PerformanceObserver((l) => { for (const e of l.getEntries()) events.push([e.startTime * 1e6 + offset, `gc kind ${(e as any).detail?.kind} ${e.duration.toFixed(2)} ms`]); }).observe({ entryTypes: ['gc'] });
const si = globalThis.setInterval;
(globalThis as any).setInterval = (fn: () => void, ms: number) => si(() => { const t = nowNs(); fn(); events.push([t, `interval timer ${ms} ms took ${((nowNs() - t) / 1000).toFixed(0)} us`]); }, ms);
const r = await runProbe({ target: { transport: 'tcp', host: '127.0.0.1', port: Number(process.argv[2]) }, framing: 'sockperf', mode: 'fixed', response: 'respuesta', size: 64, count: 300000, warmup: 10000, targetUs: 1000, timeoutMs: 5000, maxFrame: 1 << 20, intervalS: 1, onInterval: () => {} });
console.log('p99.99', r.latencyUs?.p99_99, 'max', r.latencyUs?.max, 'slow', slow.length);
const buckets = new Map<number, number>(); for (const [t] of slow) buckets.set(Math.floor(t / 25e7) / 4, (buckets.get(Math.floor(t / 25e7) / 4) ?? 0) + 1); console.log([...buckets].map(([b, n]) => `${b}s:${n}`).join(" "));
if (process.env.V) for (const [t, lat] of slow) {
  const near = events.filter(([e]) => Math.abs(e - t) < 20e6).map(([e, w]) => `${((e - t) / 1e6).toFixed(2)}ms: ${w}`);
  console.log(`slow ${(lat / 1000).toFixed(0)} us at ${(t / 1e9).toFixed(3)} s; within 20 ms: ${near.join('; ') || 'nothing'}`);
}
process.exit(0);
