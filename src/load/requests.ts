/**
 * How a load connection puts `n` requests on the wire in one write.
 *
 * Length and line requests are constant: a shared FrameTable of ready-made
 * views, as large as a full pipeline, serves every connection with no copy.
 * sockperf requests carry a sequence number, so each connection numbers its
 * own block of requests in place; the block is only rewritten when the
 * kernel took the previous write whole, otherwise it is replaced first (a
 * queued write still references it). A batch larger than a table (above
 * MAX_TABLE_BYTES, or SEQUENCED_BYTES per sockperf connection) goes out in
 * several writes.
 */
import type { Writer } from '../io/writes.js';
import { FrameTable, tableCapacity } from '../protocol/batch.js';
import { setSockperfSeq } from '../protocol/index.js';

/** The most bytes of numbered requests one connection keeps: a block per connection, so kept small. */
const SEQUENCED_BYTES = 64 * 1024;

export interface RequestWriter {
  /** Write requests number `first` .. `first + n - 1` (numbered from 1). */
  write(out: Writer, first: number, n: number): void;
}

/** Every request identical: views of one shared block. */
export class ConstantRequests implements RequestWriter {
  private readonly table: FrameTable;

  constructor(request: Buffer, pipeline: number) {
    this.table = new FrameTable(request, tableCapacity(request.length, pipeline * request.length));
  }

  write(out: Writer, _first: number, n: number): void {
    const cap = this.table.capacity;
    for (; n > cap; n -= cap) out.write(this.table.view(cap), null);
    out.write(this.table.view(n), null);
  }
}

/** sockperf: one block per connection, sequence numbers written in place. */
export class SequencedRequests implements RequestWriter {
  private readonly template: Buffer;
  private readonly size: number;
  private readonly capacity: number;
  private table: FrameTable;

  constructor(request: Buffer, pipeline: number) {
    this.template = request;
    this.size = request.length;
    this.capacity = tableCapacity(request.length, Math.min(pipeline * request.length, SEQUENCED_BYTES));
    this.table = new FrameTable(request, this.capacity);
  }

  write(out: Writer, first: number, n: number): void {
    while (n > 0) {
      const k = Math.min(n, this.capacity);
      // A write the kernel did not take whole still holds the block: number a fresh one.
      if (out.pending() > 0) this.table = new FrameTable(this.template, this.capacity);
      const block = this.table.block;
      for (let i = 0; i < k; i++) setSockperfSeq(block, i * this.size, first + i);
      out.write(this.table.view(k), null);
      first += k;
      n -= k;
    }
  }
}

/** A factory of per-connection writers for this request, for up to `pipeline` requests in flight. */
export function requestWriters(request: Buffer, sequenced: boolean, pipeline: number): () => RequestWriter {
  if (sequenced) return () => new SequencedRequests(request, pipeline);
  const shared = new ConstantRequests(request, pipeline);
  return () => shared;
}
