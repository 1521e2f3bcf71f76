/**
 * Busy-polling: keep the event loop from sleeping while there is work in
 * flight, so that a reply is picked up without the cost of waking an idle
 * CPU (tens of microseconds on a VM). A `setImmediate` chain makes libuv
 * poll for I/O with a zero timeout on every turn.
 *
 * It burns a CPU for as long as it is on, and each turn allocates one small
 * Immediate object (young-generation garbage). It only helps when the two
 * processes are on different CPUs; on one shared CPU the spinning steals the
 * time the peer needs. Opt-in (`--busy-poll`).
 */
export class BusyPoll {
  private users = 0;
  private running = false;

  private readonly turn = (): void => {
    if (this.users > 0) setImmediate(this.turn);
    else this.running = false;
  };

  /** Someone needs the loop awake (a connection opened, a run started). */
  acquire(): void {
    this.users++;
    if (!this.running) {
      this.running = true;
      setImmediate(this.turn);
    }
  }

  /** They no longer do; the loop may sleep once nobody does. */
  release(): void {
    if (this.users > 0) this.users--;
  }
}
