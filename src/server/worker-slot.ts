/**
 * One worker's place in the primary of `--workers` (primary.ts): its number
 * stays while processes come and go, and it keeps what the restart policy
 * needs. A worker that lived 10 s or more is replaced at once, as nginx
 * does; one that dies sooner again and again waits 100 ms, 200 ms, ... up
 * to 10 s, so that a worker that cannot start does not become a restart
 * storm.
 */
import type { Worker } from 'node:cluster';
import type { ServerSummary } from './summary.js';

/** A worker that lived this long is restarted at once when it dies. */
const STEADY_MS = 10_000;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;

export class WorkerSlot {
  /** 1-based, as WorkerSetup.id. */
  readonly id: number;
  worker: Worker | null = null;
  startedAt = 0;
  ready = false;
  /** Deaths in a row, each before STEADY_MS: the backoff's exponent. */
  streak = 0;
  deaths = 0;
  restartTimer: NodeJS.Timeout | null = null;
  /** Summaries of this slot's workers that stopped cleanly. */
  readonly summaries: Array<ServerSummary & { pid: number }> = [];

  constructor(id: number) {
    this.id = id;
  }

  /** `worker` now holds this place, not yet listening. */
  started(worker: Worker): void {
    this.worker = worker;
    this.startedAt = Date.now();
    this.ready = false;
  }

  /** Its worker died while serving: counts the death; returns how long it lived and how long to wait before starting another. */
  died(): { livedMs: number; waitMs: number } {
    const livedMs = Date.now() - this.startedAt;
    this.deaths++;
    this.streak = livedMs >= STEADY_MS ? 0 : this.streak + 1;
    const waitMs = this.streak === 0 ? 0 : Math.min(FIRST_BACKOFF_MS * 2 ** (this.streak - 1), MAX_BACKOFF_MS);
    return { livedMs, waitMs };
  }

  /** Forget a restart that is due (the primary is stopping). */
  cancelRestart(): void {
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }
}

/** How long an exited worker's IPC channel may take to say it has closed (its last messages read). */
const DISCONNECT_WAIT_MS = 2_000;

/**
 * Call `then` once `worker`'s IPC channel has closed, or after
 * DISCONNECT_WAIT_MS if it never says so: nothing else may keep the primary
 * alive (its kill timer is unref'd), and a wait that never ends would let it
 * exit with its status unset (code 13, seen once on Node 24). A summary
 * still unread then is reported missing.
 */
export function whenDisconnected(worker: Worker, then: () => void): void {
  let done = false;
  const go = () => {
    if (done) return;
    done = true;
    clearTimeout(wait);
    worker.off('disconnect', go);
    then();
  };
  const wait = setTimeout(go, DISCONNECT_WAIT_MS);
  worker.once('disconnect', go);
}
