/**
 * A report kept from an earlier run (`--json` saved to a file): the
 * benchmark's, or the client's, read back for the commands that work on
 * kept results. Only what they use is checked, and a file that is not such
 * a report is refused with one reason, never half-read: a comparison drawn
 * from the wrong file would look like a real one.
 */
import { JSON_SCHEMA } from '../cli/meta.js';
import type { ClientReport } from '../report/client.js';
import type { ClientSizesReport } from '../report/client-sizes.js';
import type { LatencyUs } from '../stats/histogram.js';
import type { BenchmarkReport } from '../report/benchmark.js';

/** A saved report, or why the text is not one. */
export type SavedRun = { ok: true; report: BenchmarkReport } | { ok: false; reason: string };

const LATENCY_KEYS: ReadonlyArray<keyof LatencyUs> = ['p50', 'p90', 'p99', 'p99_9', 'p99_99', 'max'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isFigure = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** A kept run of either program (the client's of one size, or of several: `client-sizes`), or why the text is neither. */
export type KeptRun =
  | { ok: true; tool: 'benchmark'; report: BenchmarkReport }
  | { ok: true; tool: 'client'; report: ClientReport }
  | { ok: true; tool: 'client-sizes'; report: ClientSizesReport }
  | { ok: false; reason: string };

/** Parse and check the text of a file written by `benchmark --json` or `client --json` (told apart by meta.tool). */
export function parseKeptRun(text: string): KeptRun {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // parseSavedRun says why in one line.
  }
  const meta = isObject(value) && isObject(value.meta) ? value.meta : null;
  if (!isObject(value) || meta === null || typeof meta.tool !== 'string' || !meta.tool.endsWith('client')) {
    const run = parseSavedRun(text);
    return run.ok ? { ok: true, tool: 'benchmark', report: run.report } : run;
  }
  if (meta.schema !== JSON_SCHEMA) return { ok: false, reason: `report schema ${JSON.stringify(meta.schema)}, this version reads schema ${JSON_SCHEMA}` };
  if (Array.isArray(value.blocks)) {
    // client --size with a list: each block is a report of one size.
    if (value.blocks.length === 0) return { ok: false, reason: 'a run that measured nothing: a client report of sizes with no block' };
    for (const [i, b] of value.blocks.entries()) {
      const why = isObject(b) ? clientProblem(b) : 'not an object';
      if (why !== null) return { ok: false, reason: `block ${i + 1}: ${why}` };
    }
    return { ok: true, tool: 'client-sizes', report: value as unknown as ClientSizesReport };
  }
  const why = clientProblem(value);
  return why === null ? { ok: true, tool: 'client', report: value as unknown as ClientReport } : { ok: false, reason: why };
}

/** A client's --json report, or why not: only what the commands use is checked. */
function clientProblem(v: Record<string, unknown>): string | null {
  if (typeof v.error === 'string' && v.received === undefined) return `a run that measured nothing: ${v.error}`;
  if (!isCount(v.received) || !isFigure(v.throughputPerSec) || typeof v.partial !== 'boolean') return 'not a client report (no received, throughputPerSec or partial)';
  if (v.latencyUs !== null) {
    if (!isObject(v.latencyUs)) return 'not a client report (latencyUs neither null nor an object)';
    const l = v.latencyUs;
    const missing = LATENCY_KEYS.find((k) => !isFigure(l[k]));
    if (missing !== undefined) return `not a client report (no latencyUs.${missing})`;
  }
  if (!isObject(v.gc) || !isObject(v.options)) return 'not a client report (no gc or options)';
  return null;
}

/** Parse and check the text of a file written by `benchmark --json`. */
export function parseSavedRun(text: string): SavedRun {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // The parser's message quotes the text, newlines and all: keep the reason to one line.
    return { ok: false, reason: `not JSON (${(err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ')})` };
  }
  if (!isObject(value)) return { ok: false, reason: 'not a benchmark report (not a JSON object)' };
  // A run that failed before measuring prints only its error (run-command.ts).
  if (typeof value.error === 'string' && value.scenarios === undefined) return { ok: false, reason: `a run that measured nothing: ${value.error}` };
  const meta = value.meta;
  if (!isObject(meta)) return { ok: false, reason: 'not a benchmark report (no meta)' };
  if (meta.schema !== JSON_SCHEMA) return { ok: false, reason: `report schema ${JSON.stringify(meta.schema)}, this version reads schema ${JSON_SCHEMA}` };
  if (!Array.isArray(value.scenarios)) return { ok: false, reason: `not a benchmark report (no scenarios${typeof meta.tool === 'string' ? `; written by ${meta.tool}` : ''})` };
  for (const [i, s] of value.scenarios.entries()) {
    const why = scenarioProblem(s);
    if (why !== null) return { ok: false, reason: `not a benchmark report (scenario ${i + 1}: ${why})` };
  }
  return { ok: true, report: value as unknown as BenchmarkReport };
}

function scenarioProblem(s: unknown): string | null {
  if (!isObject(s)) return 'not an object';
  if (!isCount(s.connections) || !isCount(s.pipeline)) return 'no connections or pipeline';
  if (s.rate !== null && !isCount(s.rate)) return 'rate neither null nor a number';
  if (!isFigure(s.throughputPerSec)) return 'no throughputPerSec';
  if (typeof s.partial !== 'boolean') return 'no partial';
  if (s.latencyUs !== null) {
    if (!isObject(s.latencyUs)) return 'latencyUs neither null nor an object';
    const l = s.latencyUs;
    const missing = LATENCY_KEYS.find((k) => !isFigure(l[k]));
    if (missing !== undefined) return `no latencyUs.${missing}`;
  }
  return null;
}
