/**
 * One constant frame laid out `capacity` times in one block. The server
 * answers the n messages of one read with a single write of `view(n)` of its
 * fixed response; the benchmark sends n requests the same way. No copy, and
 * safe even when a write is queued, because the block is never modified.
 *
 * The capacity covers a whole batch: the server sizes its table to
 * --max-pending, the most reply bytes it lets one connection have unsent, so
 * that the replies to one read leave in one write whatever their count
 * (test/batching.test.ts counts the writes). Only a bound above
 * MAX_TABLE_BYTES splits a batch, into writes of that size: one write of
 * that much already fills a loopback socket's send buffer, so larger ones
 * save no system call.
 */
export const MAX_TABLE_BYTES = 1024 * 1024;
/** Views made at start-up for the counts 1..PREBUILT, the common batches. */
const PREBUILT = 64;
const EMPTY = Buffer.alloc(0);

/** The frames of `frameSize` bytes a table holds to cover batches of up to `bytes` (at least one frame). */
export function tableCapacity(frameSize: number, bytes: number): number {
  return Math.max(1, Math.floor(Math.min(bytes, MAX_TABLE_BYTES) / frameSize));
}

export class FrameTable {
  readonly frameSize: number;
  /** The most frames one view holds. */
  readonly capacity: number;
  /** The whole block (capacity frames). */
  readonly block: Buffer;
  private readonly views: Buffer[];
  /** The last view made for a count above PREBUILT; reused while that count repeats. */
  private large: Buffer = EMPTY;

  constructor(frame: Buffer, capacity = PREBUILT) {
    this.frameSize = frame.length;
    this.capacity = capacity;
    this.block = Buffer.alloc(frame.length * capacity);
    for (let i = 0; i < capacity; i++) frame.copy(this.block, i * frame.length);
    this.views = [EMPTY];
    for (let n = 1; n <= Math.min(capacity, PREBUILT); n++) this.views.push(this.block.subarray(0, n * frame.length));
  }

  /** `n` copies of the frame, 1 <= n <= capacity. Allocates a view only for a count above 64 that differs from the last such count. */
  view(n: number): Buffer {
    if (n <= PREBUILT) return this.views[n];
    const bytes = n * this.frameSize;
    if (this.large.length !== bytes) this.large = this.block.subarray(0, bytes);
    return this.large;
  }
}
