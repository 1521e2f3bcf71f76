/**
 * How a load connection puts `n` requests on the wire in one write.
 *
 * Length and line requests are constant: a shared FrameTable of ready-made
 * views serves every connection with no copy and no allocation. sockperf
 * requests carry a sequence number, so each connection numbers its own block
 * of requests in place; the block is only rewritten when the kernel took the
 * previous write whole, otherwise it is replaced first (a queued write still
 * references it).
 */
import type { Writer } from '../io/writes.js';
import { BATCH, FrameTable } from '../protocol/batch.js';
import { setSockperfSeq } from '../protocol/index.js';

export interface RequestWriter {
  /** Write requests number `first` .. `first + n - 1` (numbered from 1). */
  write(out: Writer, first: number, n: number): void;
}

/** Every request identical: views of one shared block. */
export class ConstantRequests implements RequestWriter {
  private readonly table: FrameTable;

  constructor(request: Buffer) {
    this.table = new FrameTable(request);
  }

  write(out: Writer, _first: number, n: number): void {
    if (n <= BATCH) {
      out.write(this.table.view(n), null);
      return;
    }
    out.cork();
    for (; n > 0; n -= BATCH) out.write(this.table.view(Math.min(n, BATCH)), null);
    out.uncork();
  }
}

/** sockperf: one block per connection, sequence numbers written in place. */
export class SequencedRequests implements RequestWriter {
  private readonly template: Buffer;
  private readonly size: number;
  private block: Buffer;
  private views: Buffer[];

  constructor(request: Buffer) {
    this.template = request;
    this.size = request.length;
    [this.block, this.views] = this.allocate();
  }

  private allocate(): [Buffer, Buffer[]] {
    const block = new FrameTable(this.template);
    const views = [];
    for (let n = 0; n <= BATCH; n++) views.push(block.view(n));
    return [views[BATCH], views];
  }

  write(out: Writer, first: number, n: number): void {
    const corked = n > BATCH;
    if (corked) out.cork();
    while (n > 0) {
      const k = Math.min(n, BATCH);
      // A write the kernel did not take whole still holds the block: number a fresh one.
      if (out.pending() > 0) [this.block, this.views] = this.allocate();
      for (let i = 0; i < k; i++) setSockperfSeq(this.block, i * this.size, first + i);
      out.write(this.views[k], null);
      first += k;
      n -= k;
    }
    if (corked) out.uncork();
  }
}

/** A factory of per-connection writers for this request. */
export function requestWriters(request: Buffer, sequenced: boolean): () => RequestWriter {
  if (sequenced) return () => new SequencedRequests(request);
  const shared = new ConstantRequests(request);
  return () => shared;
}
