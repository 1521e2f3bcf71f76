/** Idle sweeps per timeout: a silent connection is closed after 1 to 1.25 times the timeout. */
export const IDLE_TICKS = 4;

/** What the sweep needs of a connection: a count of sweeps since its last activity, which a read or write resets to 0. */
export interface Idler {
  idleTicks: number;
  /** Set once the connection is closing: it is not timed out again. */
  readonly closing: boolean;
}

/**
 * Closes connections silent for a timeout. One sweep per quarter of it,
 * instead of a timer per connection that every read would re-arm: a read
 * costs one store (`idleTicks = 0`), and the sweep walks the open
 * connections, as redis's clientsCron does.
 */
export class IdleSweep<C extends Idler> {
  private readonly timer: NodeJS.Timeout;

  /** Sweep `live` every `timeoutMs / IDLE_TICKS`, calling `onIdle` for each connection silent for the timeout. */
  constructor(live: Iterable<C>, timeoutMs: number, onIdle: (conn: C) => void) {
    this.timer = setInterval(
      () => {
        for (const conn of live) if (++conn.idleTicks > IDLE_TICKS && !conn.closing) onIdle(conn);
      },
      Math.ceil(timeoutMs / IDLE_TICKS),
    );
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
