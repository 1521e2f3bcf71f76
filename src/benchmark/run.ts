/**
 * Run one scenario: in this thread, or split over worker threads whose
 * histograms are merged exactly, in total and interval by interval
 * (thread-intervals.ts). The run only measures; it reports progress
 * through a callback and leaves drawing and printing to others. An abort
 * signal (an interrupt) stops it early, in every thread, with what it
 * measured so far (Load.stop).
 */
import { Worker } from 'node:worker_threads';
import type { RequestSpec } from '../protocol/exchange.js';
import type { Target } from '../io/connect.js';
import { createHistogram, type Histogram } from '../stats/histogram.js';
import type { IntervalSink } from '../stats/intervals.js';
import { Load } from '../load/load.js';
import { type LoadCounts, type LoadSpec, type WindowHooks, noCounts } from '../load/spec.js';
import { IntervalMerger, addEncoded } from './thread-intervals.js';
import type { Scenario } from '../report/scenario.js';
import type { FromWorker, ToWorker } from './worker.js';

export interface RunOptions extends RequestSpec {
  target: Target;
  threads: number;
  timeoutMs: number;
  maxFrame: number;
  targetUs: number;
  /** Seconds per interval histogram. */
  intervalS: number;
  io: LoadSpec['io'];
}

/** Samples taken over the measured window by whoever watches it (CPU use of this process and of the server). */
export interface WindowProbe {
  begin(): void;
  end(): void;
}

export interface ScenarioResult extends LoadCounts {
  threads: number;
  /** Sum over threads of replies per second in the measured window. */
  throughputPerSec: number;
  latency: Histogram;
  uncorrected: Histogram | null;
  sendLag: Histogram | null;
}

/** Split `n` connections over at most `threads` threads: [count, first index] per thread. */
export function splitConnections(n: number, threads: number): Array<[number, number]> {
  const t = Math.max(1, Math.min(threads, n));
  const out: Array<[number, number]> = [];
  let first = 0;
  for (let i = 0; i < t; i++) {
    const count = Math.floor(n / t) + (i < n % t ? 1 : 0);
    out.push([count, first]);
    first += count;
  }
  return out;
}

function loadSpecs(s: Scenario, o: RunOptions): LoadSpec[] {
  return splitConnections(s.connections, o.threads).map(([connections, firstConnection]) => ({
    framing: o.framing,
    mode: o.mode,
    size: o.size,
    response: o.response,
    target: o.target,
    connections,
    firstConnection,
    totalConnections: s.connections,
    pipeline: s.pipeline,
    rate: s.rate,
    warmupS: s.warmupS,
    durationS: s.durationS,
    timeoutMs: o.timeoutMs,
    maxFrame: o.maxFrame,
    targetUs: o.targetUs,
    intervalS: o.intervalS,
    io: o.io,
  }));
}

const perSecond = (c: LoadCounts) => (c.durationNs > 0 ? (c.completed * 1e9) / c.durationNs : 0);

/**
 * Run a scenario to its end, or until `stop` aborts (then `interrupted` is
 * set when the window was cut short). Rejects only when a connection cannot
 * be opened. `onInterval` gets each interval of the scenario (all threads
 * merged), the last one partial.
 */
export async function runScenario(s: Scenario, o: RunOptions, probe: WindowProbe, stop: AbortSignal, onProgress?: (replies: number) => void, onInterval?: IntervalSink): Promise<ScenarioResult> {
  const specs = loadSpecs(s, o);
  if (specs.length === 1) return runHere(specs[0], probe, stop, onProgress, onInterval);
  return runInWorkers(specs, probe, stop, onProgress, onInterval);
}

/** Call `fn` when `signal` aborts, or now if it has; returns what removes it. */
function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

async function runHere(spec: LoadSpec, probe: WindowProbe, stop: AbortSignal, onProgress?: (replies: number) => void, onInterval?: IntervalSink): Promise<ScenarioResult> {
  const hooks: WindowHooks = { onMeasure: () => probe.begin(), onMeasured: () => probe.end(), onInterval };
  const load = new Load(spec, hooks);
  try {
    await load.connect();
  } catch (err) {
    load.destroy();
    throw err;
  }
  const running = load.run(onProgress);
  const off = onAbort(stop, () => load.stop());
  await running;
  off();
  const r = load.result();
  load.intervals.destroy(); // the totals are handed on; the interval histograms are done
  return { ...r, threads: 1, throughputPerSec: perSecond(r) };
}

interface WorkerDone {
  counts: LoadCounts;
  latency: string;
  uncorrected: string | null;
  sendLag: string | null;
}

async function runInWorkers(specs: LoadSpec[], probe: WindowProbe, stop: AbortSignal, onProgress?: (replies: number) => void, onInterval?: IntervalSink): Promise<ScenarioResult> {
  const url = new URL('./worker.js', import.meta.url);
  const workers = specs.map((spec) => new Worker(url, { workerData: spec }));
  const intervals = new IntervalMerger(workers.length, onInterval ?? null);
  const progress = new Array<number>(workers.length).fill(0);
  let opened = 0;
  let closed = 0;
  const connected = workers.map(
    (w, i) =>
      new Promise<void>((resolve, reject) => {
        w.on('message', (m: FromWorker) => {
          if (m.type === 'connected') resolve();
          else if (m.type === 'error') reject(new Error(m.message, { cause: { code: m.code } }));
          else if (m.type === 'progress') {
            progress[i] = m.replies;
            if (i === 0) onProgress?.(progress.reduce((a, b) => a + b, 0));
          } else if (m.type === 'interval') intervals.add(i, m);
          else if (m.type === 'measure' && ++opened === workers.length) probe.begin();
          else if (m.type === 'measured' && ++closed === workers.length) probe.end();
        });
        w.once('error', reject);
      }),
  );
  const done = workers.map(
    (w) =>
      new Promise<WorkerDone>((resolve, reject) => {
        w.on('message', (m: FromWorker) => {
          if (m.type === 'done') resolve(m);
        });
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`a load thread exited (${code}) before it finished`)));
      }),
  );
  // Settle every promise so that a rejection nobody awaits yet cannot surface as unhandled.
  for (const p of [...connected, ...done]) p.catch(() => {});
  try {
    await Promise.all(connected);
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  // Every thread has its connections open: start them together.
  const post = (m: ToWorker) => {
    for (const w of workers) w.postMessage(m);
  };
  post('go');
  // Messages arrive in order: a stop that came while connecting follows the go.
  const off = onAbort(stop, () => post('stop'));
  const results = await Promise.all(done);
  off();
  intervals.flush();
  return merge(results, workers.length);
}

/**
 * After an interrupt, settle what the interrupt did to this scenario rather
 * than the server. A window that ended short is partial, whoever ended it.
 * A spawned server stopped by the same Ctrl-C (a terminal signals the whole
 * process group) closes its connections, maybe before this process's stop
 * has reached every thread: what it dropped then is unanswered, not lost.
 */
export function settleInterrupt(r: ScenarioResult, plannedS: number, serverStopped: boolean): void {
  // 1% short: a window that ran its course may end a hair early by the event loop's cached clock.
  if (r.durationNs < plannedS * 1e9 * 0.99) r.interrupted = true;
  if (!serverStopped) return;
  r.lost -= r.dropped;
  r.unanswered += r.dropped;
  r.dropped = 0;
  r.droppedBy = null;
}

/** Add the threads' counts and histograms: the merged histogram holds every recorded value. */
function merge(parts: WorkerDone[], threads: number): ScenarioResult {
  const latency = createHistogram();
  const open = parts[0].uncorrected !== null;
  const uncorrected = open ? createHistogram() : null;
  const sendLag = open ? createHistogram() : null;
  const total: ScenarioResult = {
    ...noCounts(),
    threads,
    throughputPerSec: 0,
    latency,
    uncorrected,
    sendLag,
  };
  for (const p of parts) {
    const c = p.counts;
    total.sent += c.sent;
    total.completed += c.completed;
    total.messages += c.messages;
    total.underTarget += c.underTarget;
    total.wrong += c.wrong;
    total.lost += c.lost;
    total.dropped += c.dropped;
    total.unanswered += c.unanswered;
    total.late += c.late;
    total.duplicates += c.duplicates;
    total.outOfOrder += c.outOfOrder;
    total.behind += c.behind;
    total.interrupted ||= c.interrupted;
    total.durationNs = Math.max(total.durationNs, c.durationNs);
    total.failure ??= c.failure;
    total.droppedBy ??= c.droppedBy;
    total.framingHint ??= c.framingHint;
    total.throughputPerSec += perSecond(c);
    addEncoded(latency, p.latency);
    addEncoded(uncorrected, p.uncorrected);
    addEncoded(sendLag, p.sendLag);
  }
  return total;
}
