/**
 * The last five minutes of what the dashboard plots, kept by the admin
 * worker thread so that a page opened late shows what came before it
 * (`GET /history.json`). The serving thread does nothing for it: the worker
 * reads the shared figures (shared.ts) once a second, from its own timer,
 * as it reads them for a scrape.
 *
 * One row per sample: the publication's time, then each column of
 * HISTORY_COLUMNS. Counters become rates over the time between two
 * publications (the serving thread's clock, not this timer's), so the first
 * sample only sets the baseline. A fixed ring of Float64s: at 15 columns
 * and 300 rows, 36 KB, allocated once, overwritten oldest first.
 *
 *   ring   [row 0: time, messages, ..., rejected][row 1 ...] ... [row ROWS-1]
 *                           ^ written % ROWS is the next row written
 */
import { PROTOCOL_ERROR_CODES, Slot } from './shared.js';
import type { AdminSources } from './sources.js';
import { combined } from './stats.js';

/** How often a sample is taken, ms: the dashboard's resolution. */
export const HISTORY_PERIOD_MS = 1000;
/** How far back the history goes, seconds. */
export const HISTORY_SPAN_S = 300;
const ROWS = (HISTORY_SPAN_S * 1000) / HISTORY_PERIOD_MS;

/**
 * A row's columns after its time, in order: per second for counters
 * (messages, bytes, GC pause, errors), as they are for gauges (open
 * connections, memory in bytes, event-loop delay of the last second in us).
 */
export const HISTORY_COLUMNS = [
  'messages',
  'connections',
  'bytesIn',
  'bytesOut',
  'delayP50Us',
  'delayP99Us',
  'delayMaxUs',
  'gcMinorMs',
  'gcMajorMs',
  'rss',
  'heapUsed',
  'protocolErrors',
  'socketErrors',
  'rejected',
] as const;
const WIDTH = 1 + HISTORY_COLUMNS.length;

/** What `/history.json` carries besides its period and span: one array per column. */
export type HistoryColumns = Record<'time' | (typeof HISTORY_COLUMNS)[number], number[]>;

/** The counters turned into rates, in the order of their columns in a row (Counter below). */
const COUNTERS = 8;
const Counter = { messages: 0, bytesIn: 1, bytesOut: 2, gcMinorMs: 3, gcMajorMs: 4, protocolErrors: 5, socketErrors: 6, rejected: 7 } as const;

/** GC pause totals as AdminMetrics keeps them (indexed as GC_KINDS: 0 minor, 1 major). */
type GcTotals = ReadonlyArray<{ pauseMs: number }>;

export class History {
  private readonly sources: AdminSources;
  private readonly gc: GcTotals;
  private readonly ring = new Float64Array(ROWS * WIDTH);
  /** Rows written since start; the ring holds the last min(written, ROWS). */
  private written = 0;
  /** The previous sample's counter totals and publication time (ms), or NaN before the first. */
  private readonly before = new Float64Array(COUNTERS);
  private beforeAt = Number.NaN;
  private readonly now = new Float64Array(COUNTERS);

  constructor(sources: AdminSources, gc: GcTotals) {
    this.sources = sources;
    this.gc = gc;
  }

  /** Take one sample of the shared figures (drain the GC ring into `gc` first). */
  sample(): void {
    const v = combined(this.sources);
    const at = v[Slot.publishedAt];
    // No publication since the last sample (a stalled serving thread): nothing new to plot, and no time to divide by.
    if (at <= this.beforeAt) return;
    const now = this.now;
    now[Counter.messages] = v[Slot.messages];
    now[Counter.bytesIn] = v[Slot.bytesIn];
    now[Counter.bytesOut] = v[Slot.bytesOut];
    now[Counter.gcMinorMs] = this.gc[0].pauseMs;
    now[Counter.gcMajorMs] = this.gc[1].pauseMs;
    let protocol = 0;
    for (let i = 0; i <= PROTOCOL_ERROR_CODES.length; i++) protocol += v[Slot.protocolErrors + i];
    now[Counter.protocolErrors] = protocol;
    now[Counter.socketErrors] = v[Slot.socketErrors];
    now[Counter.rejected] = v[Slot.rejected];
    if (!Number.isNaN(this.beforeAt)) this.write(at, v);
    this.before.set(now);
    this.beforeAt = at;
  }

  private write(at: number, v: Float64Array): void {
    const seconds = (at - this.beforeAt) / 1000;
    // A worker process started again counts from 0: a negative difference is a reset, not a negative rate.
    const rate = (c: number) => Math.max(0, this.now[c] - this.before[c]) / seconds;
    const row = (this.written % ROWS) * WIDTH;
    const r = this.ring;
    r[row] = at;
    r[row + 1] = rate(Counter.messages);
    r[row + 2] = v[Slot.open];
    r[row + 3] = rate(Counter.bytesIn);
    r[row + 4] = rate(Counter.bytesOut);
    r[row + 5] = v[Slot.eldP50] / 1000;
    r[row + 6] = v[Slot.eldP99] / 1000;
    r[row + 7] = v[Slot.eldMax] / 1000;
    r[row + 8] = rate(Counter.gcMinorMs);
    r[row + 9] = rate(Counter.gcMajorMs);
    r[row + 10] = v[Slot.rss];
    r[row + 11] = v[Slot.heapUsed];
    r[row + 12] = rate(Counter.protocolErrors);
    r[row + 13] = rate(Counter.socketErrors);
    r[row + 14] = rate(Counter.rejected);
    this.written++;
  }

  /**
   * The rows kept whose time is after `afterS` (seconds since the epoch;
   * all when NaN), oldest first, one array per column as uPlot takes them:
   * `time` in seconds, then HISTORY_COLUMNS.
   */
  columns(afterS = Number.NaN): HistoryColumns {
    const out = Object.fromEntries(['time', ...HISTORY_COLUMNS].map((name) => [name, [] as number[]])) as HistoryColumns;
    const kept = Math.min(this.written, ROWS);
    for (let n = this.written - kept; n < this.written; n++) {
      const row = (n % ROWS) * WIDTH;
      const t = this.ring[row] / 1000;
      if (t <= afterS) continue;
      out.time.push(t);
      for (let i = 0; i < HISTORY_COLUMNS.length; i++) out[HISTORY_COLUMNS[i]].push(round(this.ring[row + 1 + i]));
    }
    return out;
  }
}

/** Three decimals: a rate's noise below a thousandth says nothing, and the JSON stays short. */
function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
