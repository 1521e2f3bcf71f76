/**
 * The serving thread's side of the admin port: it copies the figures the
 * server already keeps into shared memory (shared.ts) from a timer, four
 * times a second, and measures its own event-loop delay.
 *
 * Why a timer and not stores from the hot path: the responder's `stats` are
 * already counted per read and per write; a copy of a dozen numbers every
 * 250 ms leaves the code that answers messages exactly as it was (nothing
 * added per message, so nothing to measure there), and a scrape is at most
 * 250 ms behind. What allocates here (process.memoryUsage's object, a few
 * hundred bytes a tick) is about 1 KB a second: a 2 MiB young generation
 * fills from it once in half an hour.
 *
 * Event-loop delay comes from perf_hooks.monitorEventLoopDelay, whose
 * histogram lives in C++ (a libuv timer every 10 ms records how late it
 * fires; no JavaScript runs per sample). Its quantiles are published once a
 * second and the histogram reset: each figure describes the last second.
 * GC pauses are pushed into a ring as they happen, one entry per GC, for the
 * worker to observe into a real histogram.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { gcKindIndex } from '../stats/gc.js';
import type { ServingStats } from './serving-stats.js';
import { Flag, GC_RING, PROTOCOL_ERROR_CODES, type SharedStats, Slot } from './shared.js';

/** How often the counters are copied. */
export const PUBLISH_MS = 250;
/** Publications per event-loop delay window (one second). */
const ELD_EVERY = 4;
/** Node's default sampling interval of monitorEventLoopDelay, ms. */
const ELD_RESOLUTION_MS = 10;

/**
 * How late the sampling timer fired, in ns. Node 20's histogram records the
 * whole interval between two firings (10 ms and up), not the delay: take the
 * interval off. libuv's timers have a 1 ms granularity, so a firing can come
 * early (an interval under 10 ms), which counts as no delay.
 */
function lateness(intervalNs: number): number {
  return Math.max(0, intervalNs - ELD_RESOLUTION_MS * 1e6);
}

/** Copies the serving thread's figures into `shared` while started. */
export class StatsPublisher {
  private readonly server: ServingStats;
  private readonly shared: SharedStats;
  private readonly eld: IntervalHistogram = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  private timer: NodeJS.Timeout | null = null;
  private ticks = 0;
  /** Called after each publication (relay.ts: a worker of --workers passes its figures on to the primary). */
  private readonly onPublish: (() => void) | null;

  constructor(server: ServingStats, shared: SharedStats, onPublish: (() => void) | null = null) {
    this.server = server;
    this.shared = shared;
    this.onPublish = onPublish;
  }

  start(): void {
    const { values, flags, gcRing } = this.shared;
    this.server.onGc((kind, pauseMs) => {
      const n = flags[Flag.gcWritten];
      const at = (n % GC_RING) * 2;
      gcRing[at] = gcKindIndex(kind);
      gcRing[at + 1] = pauseMs;
      // The entry is written before the count that makes it visible (Atomics: sequentially consistent).
      Atomics.store(flags, Flag.gcWritten, n + 1);
    });
    this.server.on('protocol-error', (e: { code: string }) => {
      const i = PROTOCOL_ERROR_CODES.indexOf(e.code);
      values[Slot.protocolErrors + (i < 0 ? PROTOCOL_ERROR_CODES.length : i)]++;
    });
    this.eld.enable();
    this.publish();
    this.timer = setInterval(() => this.publish(), PUBLISH_MS).unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.eld.disable();
    this.server.onGc(null);
  }

  setListening(on: boolean): void {
    Atomics.store(this.shared.flags, Flag.listening, on ? 1 : 0);
  }

  /** From the first SIGTERM/SIGINT on: /readyz answers 503 at once (a plain store, no message to the worker). */
  setDraining(): void {
    Atomics.store(this.shared.flags, Flag.draining, 1);
  }

  private publish(): void {
    const v = this.shared.values;
    const s = this.server.stats;
    v[Slot.accepted] = s.connections;
    v[Slot.open] = this.server.activeConnections;
    v[Slot.rejected] = s.rejectedConnections;
    v[Slot.idleClosed] = s.idleTimeouts;
    v[Slot.forcedClosed] = s.forcedCloses;
    v[Slot.messages] = s.messages;
    v[Slot.ignored] = s.ignored;
    v[Slot.bytesIn] = s.bytesIn;
    v[Slot.bytesOut] = s.bytesOut;
    v[Slot.socketErrors] = s.socketErrors;
    v[Slot.outputPauses] = s.outputPauses;
    v[Slot.datagrams] = s.datagrams;
    // In the order of DROP_REASONS.
    v[Slot.datagramsDropped] = s.datagramsTooLarge;
    v[Slot.datagramsDropped + 1] = s.datagramsMalformed;
    v[Slot.datagramsDropped + 2] = s.datagramsSeveralFrames;
    v[Slot.datagramsDropped + 3] = s.datagramsReplyTooLong;
    const m = process.memoryUsage();
    v[Slot.rss] = m.rss;
    v[Slot.heapUsed] = m.heapUsed;
    v[Slot.heapTotal] = m.heapTotal;
    v[Slot.external] = m.external;
    v[Slot.arrayBuffers] = m.arrayBuffers;
    if (++this.ticks % ELD_EVERY === 0) this.publishDelay();
    v[Slot.publishedAt] = Date.now();
    Atomics.add(this.shared.flags, Flag.sequence, 1);
    this.onPublish?.();
  }

  private publishDelay(): void {
    const v = this.shared.values;
    const h = this.eld;
    // A window without a sample keeps the last figures (Node reports NaN and extremes for an empty histogram).
    const samples = h.count;
    v[Slot.eldSamples] = samples;
    if (samples > 0) {
      v[Slot.eldMin] = lateness(h.min);
      v[Slot.eldMean] = lateness(h.mean);
      v[Slot.eldMax] = lateness(h.max);
      v[Slot.eldP50] = lateness(h.percentile(50));
      v[Slot.eldP90] = lateness(h.percentile(90));
      v[Slot.eldP99] = lateness(h.percentile(99));
      v[Slot.eldP999] = lateness(h.percentile(99.9));
    }
    h.reset();
  }
}
