/**
 * The client's report when it measured several sizes (`--size 64,1024`):
 * one block per size, each block the whole report of a one-size run
 * (client.ts), so that what reads one run's `--json` reads each block. A
 * run of one size prints its report alone, as it always did; only a list
 * of sizes makes this wrapper.
 */
import type { RunMeta } from '../cli/meta.js';
import type { ClientReport } from './client.js';

/** What `client --size A,B --json` prints. */
export interface ClientSizesReport {
  meta: RunMeta;
  /** The sizes asked for, in order; `blocks` has one per size that ran (fewer after an interrupt or a failure). */
  sizes: number[];
  /** One whole client report per size, in the order run. */
  blocks: ClientReport[];
  /** Why the run stopped before its last size, or a file it could not write, in one line; null when neither. */
  error: string | null;
  /** Every size ran, every block with every reply right and no error. */
  ok: boolean;
}

/** A block is clean: no error, every reply right, every request answered. */
const blockOk = (b: ClientReport) => b.error === null && b.errors === 0 && b.received === b.sent && !b.partial;

/** The report of the blocks measured, with the sweep's own failure (`error`) if any. */
export function buildSizesReport(sizes: number[], blocks: ClientReport[], error: string | null): ClientSizesReport {
  const report: ClientSizesReport = { meta: blocks[0].meta, sizes, blocks, error, ok: false };
  report.ok = sizesOk(report);
  return report;
}

/** Whether a run of several sizes was clean: each size ran, and cleanly. */
export function sizesOk(r: ClientSizesReport): boolean {
  return r.error === null && r.blocks.length === r.sizes.length && r.blocks.every(blockOk);
}
