/**
 * The fixed response, framed once at start-up and laid out `BATCH` times in
 * one block, with a ready-made view for every batch size 1..BATCH. Answering
 * n messages of one read is then a single write of `views[n]`: no copy, no
 * allocation, and safe even when the write is queued, because the block is
 * never modified.
 */
export const BATCH = 64;

export class ReplyTable {
  readonly frameSize: number;
  private readonly views: Buffer[];

  constructor(frame: Buffer) {
    this.frameSize = frame.length;
    const block = Buffer.alloc(frame.length * BATCH);
    for (let i = 0; i < BATCH; i++) frame.copy(block, i * frame.length);
    this.views = [Buffer.alloc(0)];
    for (let n = 1; n <= BATCH; n++) this.views.push(block.subarray(0, n * frame.length));
  }

  /** The replies to `n` messages, 1 <= n <= BATCH. */
  view(n: number): Buffer {
    return this.views[n];
  }
}
