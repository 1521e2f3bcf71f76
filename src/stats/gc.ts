import { PerformanceObserver, type PerformanceEntry, constants } from 'node:perf_hooks';
import { ranHere } from './collect.js';

/**
 * Garbage collections by the kind perf_hooks reports in each 'gc' entry
 * (V8's GCType), every entry counted under exactly one kind, so that the
 * kinds add up to `count` wherever they are printed. A run of the server
 * under load (node 20) counts all of the first three: scavenges, full
 * mark-sweeps, and the incremental-marking steps V8 takes before most full
 * mark-sweeps (`GC 34 (30 minor, 2 major, 2 incremental marking)`).
 */
export interface GcStats {
  count: number;
  pauseMs: number;
  /** Scavenges (young generation), the kind a hot path that allocates causes. */
  minor: number;
  /** Mark-sweep-compact (old generation). */
  major: number;
  /** Incremental marking steps of the old generation, ahead of a mark-sweep. */
  incremental: number;
  /** Processing of weak callbacks (finalizers of objects that held native memory). */
  weakcb: number;
  /** Any kind perf_hooks has no constant for (V8's minor mark-sweep, when enabled). */
  other: number;
  /** Of `count`, the collections this process ran itself with nothing in flight (collect.ts), and their pause. */
  quiet: number;
  quietPauseMs: number;
}

/** The kinds, in the order of GcStats, as the admin port's metrics label them (respuesta_gc_pause_seconds{kind}). */
export const GC_KINDS = ['minor', 'major', 'incremental', 'weakcb', 'other'] as const;
export type GcKind = (typeof GC_KINDS)[number];

/** The kind of a perf_hooks GC entry (its `detail.kind`, a NODE_PERFORMANCE_GC_* constant): its index in GC_KINDS. */
export function gcKindIndex(kind: number | undefined): number {
  switch (kind) {
    case constants.NODE_PERFORMANCE_GC_MINOR:
      return 0;
    case constants.NODE_PERFORMANCE_GC_MAJOR:
      return 1;
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return 2;
    case constants.NODE_PERFORMANCE_GC_WEAKCB:
      return 3;
    default:
      return 4;
  }
}

/** No collection yet. */
export function noGc(): GcStats {
  return { count: 0, pauseMs: 0, minor: 0, major: 0, incremental: 0, weakcb: 0, other: 0, quiet: 0, quietPauseMs: 0 };
}

/**
 * Counts garbage collections and their total pause while started, from
 * perf_hooks 'gc' entries. The observer only runs when a GC happens, so it
 * costs nothing on the hot path.
 */
export class GcMonitor {
  private readonly stats: GcStats = noGc();
  private readonly observer = new PerformanceObserver((list) => this.record(list.getEntries()));
  /** Called with each GC's kind (perf_hooks' NODE_PERFORMANCE_GC_* constant) and pause in ms, but those run at quiet moments (collect.ts): the admin port publishes them (src/admin/publisher.ts). */
  onEntry: ((kind: number, pauseMs: number) => void) | null = null;

  private record(entries: PerformanceEntry[]): void {
    for (const entry of entries) {
      this.stats.count++;
      this.stats.pauseMs += entry.duration;
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      this.stats[GC_KINDS[gcKindIndex(kind)]]++;
      if (ranHere(entry.startTime)) {
        // Run here with nothing in flight (collect.ts): counted, but no message waited for it.
        this.stats.quiet++;
        this.stats.quietPauseMs += entry.duration;
      } else this.onEntry?.(kind ?? 0, entry.duration);
    }
  }

  start(): this {
    this.observer.observe({ entryTypes: ['gc'] });
    return this;
  }

  /** Counts so far; pending entries are delivered asynchronously, so call after a turn of the event loop for exact totals. */
  snapshot(): GcStats {
    return { ...this.stats, pauseMs: ms(this.stats.pauseMs), quietPauseMs: ms(this.stats.quietPauseMs) };
  }

  stop(): GcStats {
    this.record(this.observer.takeRecords());
    this.observer.disconnect();
    return this.snapshot();
  }
}

const ms = (v: number): number => Math.round(v * 1000) / 1000;

/** What happened between two snapshots of one monitor. */
export function gcSince(start: GcStats, end: GcStats): GcStats {
  const out = { ...end, count: end.count - start.count, pauseMs: ms(end.pauseMs - start.pauseMs), quiet: end.quiet - start.quiet, quietPauseMs: ms(end.quietPauseMs - start.quietPauseMs) };
  for (const kind of GC_KINDS) out[kind] = end[kind] - start[kind];
  return out;
}

/** GCs added up: counts, kinds and pauses (the workers of one server). */
export function addGc(into: GcStats, more: GcStats): void {
  into.count += more.count;
  for (const kind of GC_KINDS) into[kind] += more[kind] ?? 0;
  into.pauseMs = ms(into.pauseMs + more.pauseMs);
  into.quiet += more.quiet ?? 0;
  into.quietPauseMs = ms(into.quietPauseMs + (more.quietPauseMs ?? 0));
}

/** Names of the kinds as the text reports write them. */
const KIND_TEXT: Readonly<Record<GcKind, string>> = { minor: 'minor', major: 'major', incremental: 'incremental marking', weakcb: 'weak callbacks', other: 'other' };

/**
 * The kinds as text, adding up to the count: `30 minor, 2 major, 2
 * incremental marking`. Minor and major always; the others when any
 * happened, so that a line never lists a kind at 0 but those two.
 */
export function formatGcKinds(gc: GcStats): string {
  return GC_KINDS.filter((k) => k === 'minor' || k === 'major' || (gc[k] ?? 0) > 0)
    .map((k) => `${gc[k] ?? 0} ${KIND_TEXT[k]}`)
    .join(', ');
}

/** `; 2 at quiet moments (0.8 ms)` when any of the collections were run with nothing in flight (collect.ts), else nothing. */
export function formatQuiet(gc: GcStats): string {
  return (gc.quiet ?? 0) > 0 ? `; ${gc.quiet} at quiet moments (${(gc.quietPauseMs ?? 0).toFixed(3)} ms)` : '';
}
