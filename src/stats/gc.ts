import { PerformanceObserver, type PerformanceEntry, constants } from 'node:perf_hooks';

export interface GcStats {
  count: number;
  pauseMs: number;
  /** Scavenges (young generation), the kind a hot path that allocates causes. */
  minor: number;
  /** Mark-sweep-compact (old generation). */
  major: number;
}

/**
 * Counts garbage collections and their total pause while started, from
 * perf_hooks 'gc' entries. The observer only runs when a GC happens, so it
 * costs nothing on the hot path.
 */
export class GcMonitor {
  private readonly stats: GcStats = { count: 0, pauseMs: 0, minor: 0, major: 0 };
  private readonly observer = new PerformanceObserver((list) => this.record(list.getEntries()));
  /** Called with each GC's kind (perf_hooks' NODE_PERFORMANCE_GC_* constant) and pause in ms: the admin port publishes them (src/admin/publisher.ts). */
  onEntry: ((kind: number, pauseMs: number) => void) | null = null;

  private record(entries: PerformanceEntry[]): void {
    for (const entry of entries) {
      this.stats.count++;
      this.stats.pauseMs += entry.duration;
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) this.stats.minor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.stats.major++;
      this.onEntry?.(kind ?? 0, entry.duration);
    }
  }

  start(): this {
    this.observer.observe({ entryTypes: ['gc'] });
    return this;
  }

  /** Counts so far; pending entries are delivered asynchronously, so call after a turn of the event loop for exact totals. */
  snapshot(): GcStats {
    return { ...this.stats, pauseMs: Math.round(this.stats.pauseMs * 1000) / 1000 };
  }

  stop(): GcStats {
    this.record(this.observer.takeRecords());
    this.observer.disconnect();
    return this.snapshot();
  }
}

/** What happened between two snapshots of one monitor. */
export function gcSince(start: GcStats, end: GcStats): GcStats {
  return { count: end.count - start.count, pauseMs: Math.round((end.pauseMs - start.pauseMs) * 1000) / 1000, minor: end.minor - start.minor, major: end.major - start.major };
}
