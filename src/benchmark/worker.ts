/**
 * A worker thread's side of `--threads`: run one Load and send back plain
 * counts and encoded histograms for the main thread to merge exactly.
 *
 *   main                          worker
 *    |  workerData: LoadSpec  ->   connect
 *    |  <- { type: 'connected' }
 *    |  'go' ->                    run (progress every 100 ms)
 *    |  <- { type: 'measure' } / { type: 'measured' }   (window opens, closes)
 *    |  'stop' ->                  (an interrupt, at any time after 'go') Load.stop
 *    |  <- { type: 'done', counts, histograms }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { usePublicIo } from '../io/binding.js';
import { describeError } from '../cli/args.js';
import { encodeHistogram, initHistograms } from '../stats/histogram.js';
import { Load, type LoadCounts, type LoadSpec } from './load.js';

export type FromWorker =
  | { type: 'connected' }
  | { type: 'error'; message: string }
  | { type: 'progress'; replies: number }
  | { type: 'measure' }
  | { type: 'measured' }
  | { type: 'done'; counts: LoadCounts; latency: string; uncorrected: string | null; sendLag: string | null };

/** From the main thread: start the run, or stop it early. */
export type ToWorker = 'go' | 'stop';

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

const spec = workerData as LoadSpec;
// The I/O decision is per module instance, and a thread has its own: make the main thread's.
if (spec.io === 'sockets') usePublicIo();
await initHistograms();
const load = new Load(spec, { onMeasure: () => post({ type: 'measure' }), onMeasured: () => post({ type: 'measured' }) });
try {
  await load.connect();
} catch (err) {
  load.destroy();
  post({ type: 'error', message: describeError(err) });
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
