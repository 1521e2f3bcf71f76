/**
 * A worker thread's side of `--threads`: run one Load and send back plain
 * counts and encoded histograms for the main thread to merge exactly.
 *
 *   main                          worker
 *    |  workerData: LoadSpec  ->   connect
 *    |  <- { type: 'connected' }
 *    |  'go' ->                    run (progress every 100 ms)
 *    |  <- { type: 'measure' } / { type: 'measured' }   (window opens, closes)
 *    |  <- { type: 'interval', encoded histograms }   (each interval, the last partial, before 'done')
 *    |  'stop' ->                  (an interrupt, at any time after 'go') Load.stop
 *    |  <- { type: 'done', counts, histograms }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { chooseIo } from '../io/binding.js';
import { describeError } from '../cli/args.js';
import { encodeHistogram, initHistograms } from '../stats/histogram.js';
import type { Interval } from '../stats/intervals.js';
import { Load } from '../load/load.js';
import type { LoadCounts, LoadSpec } from '../load/spec.js';
import type { EncodedInterval } from './thread-intervals.js';

export type FromWorker =
  | { type: 'connected' }
  | { type: 'error'; message: string; code: string | null }
  | { type: 'progress'; replies: number }
  | { type: 'measure' }
  | { type: 'measured' }
  | ({ type: 'interval' } & EncodedInterval)
  | { type: 'done'; counts: LoadCounts; latency: string; uncorrected: string | null; sendLag: string | null };

/** From the main thread: start the run, or stop it early. */
export type ToWorker = 'go' | 'stop';

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

const spec = workerData as LoadSpec;
// The I/O decision is per module instance, and a thread has its own: make the main thread's.
chooseIo(spec.io);
await initHistograms();
/** Each closed interval goes to the main thread encoded, to be merged with the other threads' (run.ts). */
const onInterval = (iv: Interval) =>
  post({
    type: 'interval',
    startMs: iv.startMs,
    endMs: iv.endMs,
    elapsedS: iv.elapsedS,
    index: iv.index,
    latency: encodeHistogram(iv.latency),
    uncorrected: iv.uncorrected === null ? null : encodeHistogram(iv.uncorrected),
    errors: iv.errors,
  });
const load = new Load(spec, { onMeasure: () => post({ type: 'measure' }), onMeasured: () => post({ type: 'measured' }), onInterval });
try {
  await load.connect();
} catch (err) {
  load.destroy();
  // The socket's errno code crosses too: it says whether anything listens there (src/cli/hints.ts).
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  post({ type: 'error', message: describeError(err), code: typeof cause?.code === 'string' ? cause.code : null });
  process.exit(0);
}
post({ type: 'connected' });
port.on('message', (m: ToWorker) => {
  if (m === 'stop') {
    load.stop();
    return;
  }
  void load
    .run((replies) => post({ type: 'progress', replies }))
    .then(() => {
      post({
        type: 'done',
        counts: { ...load.counts },
        latency: encodeHistogram(load.latency),
        uncorrected: load.uncorrected === null ? null : encodeHistogram(load.uncorrected),
        sendLag: load.sendLag === null ? null : encodeHistogram(load.sendLag),
      });
      load.destroy();
      port.close();
    });
});
