/**
 * One constant frame, laid out `BATCH` times in one block, with a ready-made
 * view for every count 1..BATCH. The server answers n messages of one read
 * with a single write of `view(n)` of its fixed response; the benchmark sends
 * n requests the same way. No copy, no allocation, and safe even when the
 * write is queued, because the block is never modified.
 */
export const BATCH = 64;

export class FrameTable {
  readonly frameSize: number;
  private readonly views: Buffer[];

  constructor(frame: Buffer) {
    this.frameSize = frame.length;
    const block = Buffer.alloc(frame.length * BATCH);
    for (let i = 0; i < BATCH; i++) frame.copy(block, i * frame.length);
    this.views = [Buffer.alloc(0)];
    for (let n = 1; n <= BATCH; n++) this.views.push(block.subarray(0, n * frame.length));
  }

  /** `n` copies of the frame, 1 <= n <= BATCH. */
  view(n: number): Buffer {
    return this.views[n];
  }
}
