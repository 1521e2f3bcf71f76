/**
 * The Prometheus registry of the admin worker, built with prom-client from
 * the shared figures (shared.ts): every metric reads its slot when scraped
 * (prom-client's `collect`), so a scrape costs the worker and never the
 * serving thread. Names follow Prometheus' conventions: the `respuesta_`
 * prefix, `_total` on counters, seconds and bytes.
 *
 * prom-client's default metrics are kept where they describe the process
 * (CPU, resident memory, file descriptors, start time: read from /proc and
 * process-wide); its heap, GC and event-loop metrics would describe this
 * worker, so the serving thread's are published under `respuesta_` instead.
 * The process-wide ones are registered one by one (PROCESS_METRICS), not
 * with collectDefaultMetrics: that also starts an event-loop monitor
 * sampling every 10 ms, which woke this thread a hundred times a second and,
 * on a CPU shared with the serving thread, kept it waiting to run a third
 * of the time (docs/lab/2026-12-04-performance.md, "What a scrape costs").
 *
 * With `--workers N` the primary serves the one admin port and every figure
 * of a serving thread is one series per worker process, labelled
 * `worker="1"` to `worker="N"` (sources.ts): summing is Prometheus' job
 * (`sum without (worker) (rate(respuesta_messages_total[1m]))`). The
 * process_* metrics are then the primary's.
 */
import { createRequire } from 'node:module';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DROP_REASONS, Flag, GC_KINDS, GC_RING, PROTOCOL_ERROR_CODES, type SharedStats, Slot } from './shared.js';
import type { AdminSources, Source } from './sources.js';

/** What the build-info gauge labels. */
export interface BuildInfo {
  version: string;
  io: string;
  framing: string;
  mode: string;
}

/** GC pause buckets in seconds: around the 1 ms target, from a tenth of it to 100 ms. */
const GC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

const NS = 1e-9;

/**
 * prom-client's default metrics that describe the whole process, as
 * collectDefaultMetrics registers them (its modules, each a function of a
 * registry): process_cpu_*, process_start_time_seconds,
 * process_{resident,virtual}_memory_bytes and process_heap_bytes,
 * process_open_fds, process_max_fds.
 */
const PROCESS_METRICS = ['processCpuTotal', 'processStartTime', 'osMemoryHeap', 'processOpenFileDescriptors', 'processMaxFileDescriptors'];
type DefaultMetric = (registry: Registry, config: object) => void;
const requireCjs = createRequire(import.meta.url);

/** One source's GC ring as the worker has read it. */
interface GcReader {
  source: Source;
  read: number;
}

export class AdminMetrics {
  readonly registry = new Registry();
  private readonly sources: AdminSources;
  private readonly gcPause: Histogram<'kind' | 'worker'>;
  private readonly gcReaders: GcReader[];
  /** GCs observed so far and their total pause, by kind (index in GC_KINDS), over every source: for /stats.json. */
  readonly gcTotals = GC_KINDS.map(() => ({ count: 0, pauseMs: 0 }));
  /** The exposition built from one publication (Flag.sequence), served again to a scrape of the same one. */
  private cached: { sequence: number; text: string } | null = null;

  constructor(sources: AdminSources, build: BuildInfo) {
    this.sources = sources;
    const { main, each } = sources;
    const r = this.registry;
    const perSource = each[0].worker === null ? [] : ['worker'];
    // The labels of a source's series: none for a server alone, its worker number with --workers.
    const labels = (s: Source, extra: Record<string, string> = {}) => (s.worker === null ? extra : { ...extra, worker: s.worker });
    const counter = (name: string, help: string, slot: number) =>
      new Counter({
        name,
        help,
        labelNames: perSource,
        registers: [r],
        collect() {
          this.reset();
          for (const s of each) this.inc(labels(s), s.shared.values[slot]);
        },
      });
    const gauge = (name: string, help: string, slot: number, scale = 1) =>
      new Gauge({
        name,
        help,
        labelNames: perSource,
        registers: [r],
        collect() {
          this.reset();
          for (const s of each) this.set(labels(s), s.shared.values[slot] * scale);
        },
      });

    counter('respuesta_connections_accepted_total', 'Connections accepted and served.', Slot.accepted);
    gauge('respuesta_connections_open', 'Connections open now.', Slot.open);
    counter('respuesta_connections_rejected_total', 'Connections closed at once because --max-connections were open.', Slot.rejected);
    counter('respuesta_connections_idle_closed_total', 'Connections closed by --idle-timeout.', Slot.idleClosed);
    counter('respuesta_connections_forced_closed_total', 'Connections still open when the shutdown grace period ended, destroyed then.', Slot.forcedClosed);
    counter('respuesta_messages_total', 'Messages answered.', Slot.messages);
    counter('respuesta_messages_ignored_total', 'sockperf messages that get no reply, as with sockperf (warm-up, no PONG).', Slot.ignored);
    counter('respuesta_received_bytes_total', 'Bytes read from peers.', Slot.bytesIn);
    counter('respuesta_sent_bytes_total', 'Reply bytes written to peers.', Slot.bytesOut);
    counter('respuesta_socket_errors_total', 'Socket errors (resets, failed accepts, failed writes).', Slot.socketErrors);
    counter('respuesta_output_pauses_total', 'Times a connection stopped reading because its unsent replies reached --max-pending.', Slot.outputPauses);
    counter('respuesta_datagrams_received_total', 'UDP datagrams received (--udp), answered or not.', Slot.datagrams);
    new Counter({
      name: 'respuesta_datagrams_dropped_total',
      help: 'UDP datagrams dropped unanswered, by reason: too_large (over --max-frame), malformed, several_frames (more than one frame), reply_too_long (a fixed reply longer than its request, without --udp-amplify).',
      labelNames: ['reason', ...perSource],
      registers: [r],
      collect() {
        this.reset();
        for (const s of each) for (let i = 0; i < DROP_REASONS.length; i++) this.inc(labels(s, { reason: DROP_REASONS[i] }), s.shared.values[Slot.datagramsDropped + i]);
      },
    });
    new Counter({
      name: 'respuesta_protocol_errors_total',
      help: 'Peers disconnected for breaking the framing, by error code (docs/PROTOCOL.md).',
      labelNames: ['code', ...perSource],
      registers: [r],
      collect() {
        this.reset();
        for (const s of each) {
          for (let i = 0; i <= PROTOCOL_ERROR_CODES.length; i++) this.inc(labels(s, { code: PROTOCOL_ERROR_CODES[i] ?? 'other' }), s.shared.values[Slot.protocolErrors + i]);
        }
      },
    });

    this.gcPause = new Histogram({
      name: 'respuesta_gc_pause_seconds',
      help: "The serving thread's garbage collections and their pauses, by kind (perf_hooks 'gc' entries).",
      labelNames: ['kind', ...perSource],
      buckets: GC_BUCKETS,
      registers: [r],
      collect: () => this.drainGc(),
    });
    for (const s of each) for (const kind of GC_KINDS) this.gcPause.zero(labels(s, { kind }) as { kind: string });
    this.gcReaders = each.map((source) => ({ source, read: Atomics.load(source.shared.flags, Flag.gcWritten) }));

    const eld = (q: string, slot: number) =>
      gauge(`respuesta_event_loop_delay_${q}_seconds`, `Event-loop delay of the serving thread over the last second: ${q} (perf_hooks.monitorEventLoopDelay, sampled every 10 ms).`, slot, NS);
    eld('min', Slot.eldMin);
    eld('mean', Slot.eldMean);
    eld('max', Slot.eldMax);
    eld('p50', Slot.eldP50);
    eld('p90', Slot.eldP90);
    eld('p99', Slot.eldP99);
    eld('p999', Slot.eldP999);

    gauge('respuesta_heap_used_bytes', "The serving thread's V8 heap in use.", Slot.heapUsed);
    gauge('respuesta_heap_total_bytes', "The serving thread's V8 heap reserved.", Slot.heapTotal);
    gauge('respuesta_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects (buffers included).', Slot.external);
    gauge('respuesta_array_buffers_bytes', 'Memory of ArrayBuffers and Buffers.', Slot.arrayBuffers);
    new Gauge({
      name: 'respuesta_last_publish_age_seconds',
      help: 'Seconds since the serving thread last published its figures (every 0.25 s while its event loop turns).',
      labelNames: perSource,
      registers: [r],
      collect() {
        this.reset();
        const now = Date.now();
        for (const s of each) this.set(labels(s), Math.max(0, (now - s.shared.values[Slot.publishedAt]) / 1000));
      },
    });
    if (perSource.length > 0) {
      gauge('respuesta_worker_up', '1 while this worker process runs and listens, else 0 (dead, restarting or starting).', Slot.workerUp);
      counter('respuesta_worker_restarts_total', 'Times this worker process died and was started again (its other counters start again from 0 then).', Slot.workerRestarts);
    }
    new Gauge({
      name: 'respuesta_ready',
      help: '1 while listening and not draining (what /readyz says), else 0.',
      registers: [r],
      collect() {
        this.set(isReady(main) ? 1 : 0);
      },
    });
    new Counter({
      name: 'respuesta_admin_restarts_total',
      help: 'Times the admin worker crashed and was started again.',
      registers: [r],
      collect() {
        this.reset();
        this.inc(main.values[Slot.adminRestarts]);
      },
    });
    counter('respuesta_gc_entries_dropped_total', 'GC entries overwritten before the admin worker read them (not in respuesta_gc_pause_seconds).', Slot.gcDropped);

    new Gauge({ name: 'respuesta_build_info', help: 'Always 1; the labels say what runs.', labelNames: ['version', 'nodejs_version', 'io', 'framing', 'mode'], registers: [r] }).set(
      { version: build.version, nodejs_version: process.version, io: build.io, framing: build.framing, mode: build.mode },
      1,
    );

    for (const name of PROCESS_METRICS) (requireCjs(`prom-client/lib/metrics/${name}`) as DefaultMetric)(r, {});
  }

  /** Observe every GC entry each serving thread has pushed since the last drain. */
  drainGc(): void {
    for (const reader of this.gcReaders) {
      const { flags, gcRing, values } = reader.source.shared;
      const written = Atomics.load(flags, Flag.gcWritten);
      if (written - reader.read > GC_RING) {
        values[Slot.gcDropped] += written - GC_RING - reader.read;
        reader.read = written - GC_RING;
      }
      const worker = reader.source.worker;
      for (; reader.read < written; reader.read++) {
        const at = (reader.read % GC_RING) * 2;
        const kind = Math.min(gcRing[at], GC_KINDS.length - 1);
        const pauseMs = gcRing[at + 1];
        this.gcPause.observe(worker === null ? { kind: GC_KINDS[kind] } : { kind: GC_KINDS[kind], worker }, pauseMs / 1000);
        this.gcTotals[kind].count++;
        this.gcTotals[kind].pauseMs += pauseMs;
      }
    }
  }

  /** The exposition text; the same text again while no serving thread has published anything new. */
  async exposition(): Promise<string> {
    const sequence = Atomics.load(this.sources.main.flags, Flag.sequence);
    if (this.cached?.sequence !== sequence) this.cached = { sequence, text: await this.registry.metrics() };
    return this.cached.text;
  }
}

/** Listening and not draining. */
export function isReady(shared: SharedStats): boolean {
  return Atomics.load(shared.flags, Flag.listening) === 1 && Atomics.load(shared.flags, Flag.draining) === 0;
}
