/**
 * The load generator: one thread's share of one scenario. Its connections,
 * their send schedule, and the histograms their replies fill.
 *
 * Closed loop: each connection keeps `pipeline` requests in flight and sends
 * a new one for every reply; latency runs from the write to the reply.
 *
 * Open loop (wrk2's model): the scenario's rate is split over all
 * connections of all threads on a fixed arithmetic schedule. Connection g
 * of C sends message k at
 *
 *     t0 + (g + k * C) / rate
 *
 * so sends are spread evenly in time. A connection never has more than
 * `pipeline` requests in flight; a message due while it is full waits, and
 * its latency still runs from when it was due. That is the correction for
 * coordinated omission: a server that stalls is charged for every message it
 * kept from being sent, not only for the one it held. The time from the
 * actual send is kept too (uncorrected), and so is how late each send left
 * (send lag), which says whether the generator itself kept the schedule.
 *
 * Per connection the send times live in a fixed ring, oldest first:
 *
 *     sentAt  [ . . 3 4 5 . . ]     head -> 3, inFlight = 3
 *                   ^head
 *
 * Replies come back in order, so the reply at the head answers the request
 * at the head. Nothing is allocated per message.
 */
import type { Socket } from 'node:net';
import { codecs, type Decoder, type MessageHandler } from '../protocol/index.js';
import { Exchange, type RequestSpec } from '../protocol/exchange.js';
import { type Target, connectTo } from '../io/connect.js';
import { nowNs } from '../stats/clock.js';
import { createHistogram, type Histogram } from '../stats/histogram.js';
import { type RequestWriter, requestWriters } from './requests.js';
import { type WritePath, type Writer, createWriter } from '../io/writes.js';

export interface LoadSpec extends RequestSpec {
  target: Target;
  /** Connections this thread opens. */
  connections: number;
  /** Index of this thread's first connection among all of the scenario's (staggers the open-loop schedule). */
  firstConnection: number;
  /** Connections of the whole scenario, all threads. */
  totalConnections: number;
  /** Most requests in flight per connection. */
  pipeline: number;
  /** Messages per second for the whole scenario, all threads; null for closed loop. */
  rate: number | null;
  warmupS: number;
  durationS: number;
  timeoutMs: number;
  maxFrame: number;
  targetUs: number;
  /** 'direct' (the default): write to the socket's handle (src/io/writes.ts); 'stream': `socket.write`. */
  writes?: WritePath;
}

/** Plain counts, as they cross from a worker thread. */
export interface LoadCounts {
  /** Requests written during the measured window. */
  sent: number;
  /** Replies received during the measured window (throughput). */
  completed: number;
  /** Replies recorded in the histogram: right replies to requests of the measured window. */
  messages: number;
  underTarget: number;
  /** Replies that did not match the request. */
  wrong: number;
  /** Requests never answered: timed out, or their connection was closed. */
  lost: number;
  /** Open loop: messages due in the measured window that were never sent. */
  behind: number;
  durationNs: number;
  failure: string | null;
}

export interface LoadResult extends LoadCounts {
  /** Latency in ns; for open loop, from when each message was due. The caller destroys it. */
  latency: Histogram;
  /** Open loop: latency from the actual send. */
  uncorrected: Histogram | null;
  /** Open loop: how late each send left, ns. */
  sendLag: Histogram | null;
}

/** Called as the measured window opens and closes (CPU use is sampled there). */
export interface WindowHooks {
  onMeasure?(): void;
  onMeasured?(): void;
}

/** One read buffer per thread, shared by its connections: each read is decoded in full before the next. */
const READ_BUFFER = 64 * 1024;
/** Connections opened at once; more could overflow the server's accept backlog. */
const CONNECT_BATCH = 128;
/** How often lost replies are looked for and progress is reported. */
const WATCH_MS = 100;

const WARMUP = 0;
const MEASURE = 1;
const DRAIN = 2;
const DONE = 3;

class LoadConnection implements MessageHandler {
  readonly load: Load;
  readonly index: number;
  readonly decoder: Decoder;
  /** Lays out this connection's requests; `out` puts them on the socket. */
  readonly requests: RequestWriter;
  readonly cap: number;
  readonly sentAt: Float64Array;
  readonly dueAt: Float64Array | null;
  socket!: Socket;
  out!: Writer;
  head = 0;
  inFlight = 0;
  /** Requests sent and replies received on this connection, ever (sockperf sequence numbers). */
  sent = 0;
  received = 0;
  /** Open loop: when the next message is due, and the gap between this connection's messages, ns. */
  nextDue = 0;
  interval = 0;
  /** Open loop: when a full pipeline last had room again, ns. */
  freedAt = 0;
  dead = false;

  constructor(load: Load, index: number, requests: RequestWriter) {
    this.load = load;
    this.index = index;
    this.decoder = codecs[load.spec.framing].createDecoder(this, load.spec.maxFrame);
    this.requests = requests;
    this.cap = load.spec.pipeline;
    this.sentAt = new Float64Array(this.cap);
    this.dueAt = load.open ? new Float64Array(this.cap) : null;
  }

  /** `onread` callback: decode the whole read, then top up what is in flight. */
  onRead(buf: Buffer, n: number): boolean {
    const load = this.load;
    load.now = nowNs();
    const err = this.decoder.push(buf, 0, n);
    if (err !== null) this.fail(`bad reply stream: ${err.message}`);
    else if (load.open) this.sendDue(load.now);
    else this.refill(load.now);
    return true;
  }

  onMessage(buf: Buffer, start: number, end: number): void {
    if (this.dead) return;
    const load = this.load;
    if (this.inFlight === 0) {
      load.counts.wrong++;
      this.fail('a reply arrived with no request outstanding');
      return;
    }
    const slot = this.head;
    this.head = slot + 1 === this.cap ? 0 : slot + 1;
    if (this.inFlight === this.cap) this.freedAt = load.now;
    this.inFlight--;
    load.inFlight--;
    this.received++;
    if (!load.exchange.matches(buf, start, end, this.received)) load.wrongReply(buf, start, end, this.received);
    else load.record(this.sentAt[slot], this.dueAt === null ? 0 : this.dueAt[slot], load.now);
    if (load.phase === DRAIN && load.inFlight === 0) load.finish();
  }

  /** Closed loop: fill the pipeline again, in one write. */
  refill(now: number): void {
    if (this.load.phase < DRAIN && !this.dead && this.inFlight < this.cap) this.send(this.cap - this.inFlight, now);
  }

  /** Open loop: send every message that is due and fits, in one write. */
  sendDue(now: number): void {
    if (this.load.phase >= DRAIN || this.dead) return;
    let n = 0;
    let due = this.nextDue;
    while (due <= now && this.inFlight + n < this.cap) {
      n++;
      due += this.interval;
    }
    if (n > 0) this.send(n, now);
  }

  private send(n: number, now: number): void {
    const load = this.load;
    let slot = this.head + this.inFlight;
    if (slot >= this.cap) slot -= this.cap;
    for (let i = 0; i < n; i++) {
      this.sentAt[slot] = now;
      if (this.dueAt !== null) {
        // How late the generator itself was: from when the message was due, or
        // from when a full pipeline let it go if that was later (that wait is
        // the server's, and is in the corrected latency, not in the lag).
        const ready = this.nextDue > this.freedAt ? this.nextDue : this.freedAt;
        if (this.nextDue >= load.measureStart) load.sendLag!.recordValue(now > ready ? now - ready : 0);
        this.dueAt[slot] = this.nextDue;
        this.nextDue += this.interval;
      }
      if (++slot === this.cap) slot = 0;
    }
    const first = this.sent + 1;
    this.sent += n;
    this.inFlight += n;
    load.inFlight += n;
    if (load.phase === MEASURE) load.counts.sent += n;
    // A full socket buffer needs no action: the pipeline bounds what is in flight.
    this.requests.write(this.out, first, n);
  }

  /** Give up on this connection: what it had in flight is lost. */
  fail(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    const load = this.load;
    load.counts.lost += this.inFlight;
    load.inFlight -= this.inFlight;
    this.inFlight = 0;
    load.counts.failure ??= `connection ${this.index + 1}: ${reason}`;
    this.socket.destroy();
    load.onConnectionLost();
  }

  /** Open loop: messages due in [from, to] that were never sent. */
  behind(from: number, to: number): number {
    if (this.interval === 0) return 0;
    let due = this.nextDue;
    if (due < from) due += Math.ceil((from - due) / this.interval) * this.interval;
    return due > to ? 0 : Math.floor((to - due) / this.interval) + 1;
  }
}

/** One thread's part of a scenario, from connecting to the last reply. */
export class Load {
  readonly spec: LoadSpec;
  readonly open: boolean;
  readonly exchange: Exchange;
  readonly conns: LoadConnection[] = [];
  readonly latency = createHistogram();
  readonly uncorrected: Histogram | null;
  readonly sendLag: Histogram | null;
  readonly counts: LoadCounts = { sent: 0, completed: 0, messages: 0, underTarget: 0, wrong: 0, lost: 0, behind: 0, durationNs: 0, failure: null };
  phase = WARMUP;
  /** Clock of the read being decoded, ns. */
  now = 0;
  inFlight = 0;
  /** Replies received since the start, warm-up included: progress. */
  replies = 0;
  private readonly targetNs: number;
  private readonly timeoutNs: number;
  /** The measured window, ns (Infinity until it opens / closes). */
  measureStart = Infinity;
  private measureEnd = Infinity;
  private mismatch: string | null = null;
  private alive = 0;
  private timers: NodeJS.Timeout[] = [];
  private tickTimer: NodeJS.Timeout | null = null;
  private tickImmediate: NodeJS.Immediate | null = null;
  private done!: () => void;
  readonly finished = new Promise<void>((resolve) => {
    this.done = resolve;
  });

  private readonly window: WindowHooks;

  constructor(spec: LoadSpec, window: WindowHooks = {}) {
    this.spec = spec;
    this.window = window;
    this.open = spec.rate !== null;
    this.exchange = new Exchange(spec);
    this.uncorrected = this.open ? createHistogram() : null;
    this.sendLag = this.open ? createHistogram() : null;
    this.targetNs = spec.targetUs * 1000;
    this.timeoutNs = spec.timeoutMs * 1e6;
  }

  /** Open every connection (Nagle off, replies read into one shared buffer). Rejects when one cannot connect. */
  async connect(): Promise<void> {
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER);
    const writerFor = requestWriters(this.exchange.request, this.exchange.sockperf);
    for (let i = 0; i < this.spec.connections; i++) this.conns.push(new LoadConnection(this, this.spec.firstConnection + i, writerFor()));
    try {
      for (let i = 0; i < this.conns.length; i += CONNECT_BATCH) {
        await Promise.all(
          this.conns.slice(i, i + CONNECT_BATCH).map(async (c) => {
            c.socket = await connectTo(this.spec.target, { buffer: readBuffer, callback: (n) => c.onRead(readBuffer, n) });
            c.out = createWriter(c.socket, this.spec.writes ?? 'direct');
            c.socket.on('error', (err) => c.fail(`connection lost: ${err.message}`));
            c.socket.on('end', () => c.fail('the server closed the connection'));
            c.socket.on('close', () => c.fail('the server closed the connection'));
          }),
        );
      }
    } catch (err) {
      this.close();
      throw err;
    }
    this.alive = this.conns.length;
  }

  /** Start sending: warm-up, then the measured window, then wait for what is still in flight. */
  run(onProgress?: (replies: number) => void): Promise<void> {
    const t0 = nowNs();
    const rate = this.spec.rate;
    if (rate !== null) {
      const gap = 1e9 / rate;
      for (const c of this.conns) {
        c.nextDue = t0 + c.index * gap;
        c.interval = this.spec.totalConnections * gap;
      }
      this.tick();
    } else {
      for (const c of this.conns) c.refill(t0);
    }
    const watch = setInterval(() => {
      this.watch();
      onProgress?.(this.replies);
    }, WATCH_MS);
    this.timers.push(watch);
    if (this.spec.warmupS > 0) this.timers.push(setTimeout(() => this.beginMeasure(), this.spec.warmupS * 1000));
    else this.beginMeasure();
    return this.finished;
  }

  private beginMeasure(): void {
    if (this.phase !== WARMUP) return;
    this.phase = MEASURE;
    this.measureStart = nowNs();
    this.window.onMeasure?.();
    this.timers.push(setTimeout(() => this.endMeasure(), this.spec.durationS * 1000));
  }

  private endMeasure(): void {
    if (this.phase !== MEASURE) return;
    this.measureEnd = nowNs();
    if (this.open) this.tick(); // what is due by the end may still go; what cannot is behind
    this.phase = DRAIN;
    this.counts.durationNs = this.measureEnd - this.measureStart;
    this.window.onMeasured?.();
    if (this.open) for (const c of this.conns) if (!c.dead) this.counts.behind += c.behind(this.measureStart, this.measureEnd);
    if (this.inFlight === 0) this.finish();
  }

  /** Open loop: send what is due, then sleep until the next send (spin through the last 2 ms: timers are coarse). */
  private tick = (): void => {
    this.tickTimer = null;
    this.tickImmediate = null;
    if (this.phase >= DRAIN) return;
    const now = nowNs();
    let next = Infinity;
    for (const c of this.conns) {
      if (c.dead) continue;
      c.sendDue(now);
      if (c.nextDue < next) next = c.nextDue;
    }
    if (next === Infinity) return;
    const waitMs = (next - nowNs()) / 1e6;
    if (waitMs > 2) this.tickTimer = setTimeout(this.tick, Math.floor(waitMs) - 1);
    else this.tickImmediate = setImmediate(this.tick);
  };

  /** Fail connections whose oldest request has waited longer than the timeout. */
  private watch(): void {
    const now = nowNs();
    for (const c of this.conns) {
      if (!c.dead && c.inFlight > 0 && now - c.sentAt[c.head] > this.timeoutNs) c.fail(`no reply within ${this.spec.timeoutMs} ms`);
    }
  }

  record(sentAt: number, dueAt: number, now: number): void {
    this.replies++;
    const c = this.counts;
    if (this.phase === MEASURE) c.completed++;
    const start = this.open ? dueAt : sentAt;
    if (start < this.measureStart || start > this.measureEnd) return; // warm-up traffic
    const latency = now - start;
    this.latency.recordValue(latency);
    if (this.open) {
      this.uncorrected!.recordValue(now - sentAt);
    }
    c.messages++;
    if (latency <= this.targetNs) c.underTarget++;
  }

  wrongReply(buf: Buffer, start: number, end: number, n: number): void {
    this.replies++;
    if (this.counts.wrong++ === 0) this.mismatch = this.exchange.describeMismatch(buf, start, end, n);
  }

  onConnectionLost(): void {
    if (this.phase === DRAIN && this.inFlight === 0) this.finish();
    if (--this.alive > 0 || this.phase === DONE) return;
    // Every connection is gone: nothing more can happen.
    if (this.phase === WARMUP) this.beginMeasure();
    if (this.phase === MEASURE) this.endMeasure();
    this.finish();
  }

  finish(): void {
    if (this.phase === DONE) return;
    this.phase = DONE;
    this.counts.failure ??= this.mismatch;
    this.close();
    this.done();
  }

  private close(): void {
    for (const t of this.timers) clearTimeout(t);
    if (this.tickTimer !== null) clearTimeout(this.tickTimer);
    if (this.tickImmediate !== null) clearImmediate(this.tickImmediate);
    for (const c of this.conns) {
      c.dead = true;
      c.socket?.destroy();
    }
  }

  result(): LoadResult {
    return { ...this.counts, latency: this.latency, uncorrected: this.uncorrected, sendLag: this.sendLag };
  }

  /** Free the histograms (WebAssembly memory) when the result is not handed on. */
  destroy(): void {
    this.latency.destroy();
    this.uncorrected?.destroy();
    this.sendLag?.destroy();
  }
}

