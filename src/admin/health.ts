/**
 * Liveness and readiness, as a load balancer or an orchestrator asks for
 * them, from the shared flags alone.
 *
 * Ready: listening and not draining. The serving thread sets `draining` in
 * its signal handler, before it stops accepting, so /readyz turns 503 from
 * the first SIGTERM/SIGINT on and a load balancer stops sending new
 * connections while the open ones are answered and closed.
 *
 * Live: the serving thread's heartbeat (its publication, every 250 ms) is
 * recent. A worker that answers while the serving thread is stuck would be
 * lying: after STALL_MS without a publication /livez says 503.
 */
import { Flag, type SharedStats, Slot } from './shared.js';
import { isReady } from './metrics.js';

/** A serving thread that has not published for this long is reported stalled. */
export const STALL_MS = 5000;

export interface Health {
  ok: boolean;
  status: 'serving' | 'starting' | 'draining' | 'stalled';
  listening: boolean;
  draining: boolean;
  /** Milliseconds since the serving thread last published. */
  heartbeatAgeMs: number;
}

export function health(shared: SharedStats, now = Date.now()): { live: Health; ready: Health } {
  const listening = Atomics.load(shared.flags, Flag.listening) === 1;
  const draining = Atomics.load(shared.flags, Flag.draining) === 1;
  const heartbeatAgeMs = Math.max(0, Math.round(now - shared.values[Slot.publishedAt]));
  const stalled = heartbeatAgeMs > STALL_MS;
  const status = stalled ? 'stalled' : draining ? 'draining' : listening ? 'serving' : 'starting';
  const base = { status, listening, draining, heartbeatAgeMs } as const;
  return { live: { ok: !stalled, ...base }, ready: { ok: isReady(shared) && !stalled, ...base } };
}
