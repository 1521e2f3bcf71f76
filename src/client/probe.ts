import type { Socket } from 'node:net';
import { codecs, type Decoder, type MessageHandler } from '../protocol/index.js';
import { nowNs } from '../stats/clock.js';
import { createHistogram, type Histogram } from '../stats/histogram.js';
import { GcMonitor, type GcStats, gcSince } from '../stats/gc.js';
import { BusyPoll } from '../io/busy-poll.js';
import { type WritePath, type Writer, createWriter } from '../io/writes.js';
import { Exchange, type RequestSpec } from '../protocol/exchange.js';
import { type Target, connectTo, targetUrl } from '../io/connect.js';

export interface ProbeOptions extends RequestSpec {
  target: Target;
  /** Measured round trips. */
  count: number;
  /** Round trips before measuring starts. */
  warmup: number;
  targetUs: number;
  /** A reply that takes longer than this fails the run. */
  timeoutMs: number;
  maxFrame: number;
  /** Keep the event loop polling for the whole run (BusyPoll). */
  busyPoll?: boolean;
}

export interface ProbeResult {
  transport: Target['transport'];
  address: string;
  sent: number;
  received: number;
  /** Wrong replies, plus the reply that never came when the run was cut short. */
  errors: number;
  /** Measured round trips at or under the target. */
  underTarget: number;
  /** Measured phase, first send to last reply. */
  durationNs: number;
  /** Round-trip times of the measured phase, nanoseconds. The caller destroys it. */
  histogram: Histogram;
  /** Why the run stopped early, or what the first wrong reply was. */
  failure: string | null;
  /** Garbage collections in this process during the measured phase. */
  gc: GcStats;
  /** How requests were written: 'direct' on the 'handles' I/O path, 'stream' on 'sockets' (src/io/binding.ts). */
  writes: WritePath;
}

const READ_BUFFER = 64 * 1024;

/**
 * Ping-pong: one message in flight, each round trip timed from just before
 * the write to the moment its reply is decoded. One clock read per reply
 * serves as both the end of that round trip and the start of the next, so
 * the small cost of recording is charged to the next round trip rather than
 * hidden. Replies are read into one reused buffer.
 */
class Probe implements MessageHandler {
  private readonly exchange: Exchange;
  private readonly decoder: Decoder;
  private readonly total: number;
  private readonly warmup: number;
  private readonly targetNs: number;
  readonly histogram = createHistogram();
  socket!: Socket;
  writer!: Writer;
  sent = 0;
  received = 0;
  errors = 0;
  underTarget = 0;
  sentAt = 0;
  measureStart = 0;
  measureEnd = 0;
  failure: string | null = null;
  readonly gc = new GcMonitor();
  gcAtStart: GcStats | null = null;
  /** What was wrong with the first wrong reply. */
  mismatch: string | null = null;
  private done!: () => void;
  readonly finished = new Promise<void>((resolve) => {
    this.done = resolve;
  });

  constructor(o: ProbeOptions) {
    this.exchange = new Exchange(o);
    this.decoder = codecs[o.framing].createDecoder(this, o.maxFrame);
    this.total = o.warmup + o.count;
    this.warmup = o.warmup;
    this.targetNs = o.targetUs * 1000;
  }

  /** `onread` callback: returning true keeps reading. */
  onRead(buf: Buffer, end: number): boolean {
    const err = this.decoder.push(buf, 0, end);
    if (err !== null) this.fail(`bad reply stream: ${err.message}`);
    return true;
  }

  onMessage(buf: Buffer, start: number, end: number): void {
    const now = nowNs();
    if (this.received === this.sent) {
      this.errors++;
      this.fail('a reply arrived with no request outstanding');
      return;
    }
    this.received++;
    if (!this.exchange.matches(buf, start, end, this.received)) {
      if (this.errors++ === 0) this.mismatch = this.exchange.describeMismatch(buf, start, end, this.received);
    } else if (this.received > this.warmup) {
      const rtt = now - this.sentAt;
      this.histogram.recordValue(rtt);
      if (rtt <= this.targetNs) this.underTarget++;
    }
    if (this.received === this.warmup) {
      this.measureStart = now;
      this.gcAtStart = this.gc.snapshot();
    }
    if (this.sent < this.total) this.send(now);
    else this.finish(now);
  }

  send(now: number): void {
    if (this.exchange.sockperf) this.exchange.setSeq(this.sent + 1); // numbered from 1, as sockperf does
    this.sent++;
    this.sentAt = now;
    this.writer.write(this.exchange.request, null);
  }

  finish(now: number): void {
    if (this.measureEnd !== 0) return;
    this.measureEnd = now;
    this.socket.setTimeout(0);
    this.socket.destroy();
    this.done();
  }

  fail(reason: string): void {
    if (this.measureEnd !== 0) return;
    this.failure ??= reason;
    this.errors += this.sent - this.received; // the replies that never came
    this.finish(nowNs());
  }
}

/** Run one ping-pong probe to completion. Rejects only when it cannot connect. */
export async function runProbe(o: ProbeOptions): Promise<ProbeResult> {
  const probe = new Probe(o);
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER);
  let socket: Socket;
  try {
    socket = await connectTo(o.target, { buffer: readBuffer, callback: (n) => probe.onRead(readBuffer, n) });
  } catch (err) {
    probe.histogram.destroy();
    throw err;
  }
  probe.socket = socket;
  probe.writer = createWriter(socket);
  const busy = o.busyPoll === true ? new BusyPoll() : null;
  busy?.acquire();
  probe.gc.start();
  if (o.warmup === 0) probe.gcAtStart = probe.gc.snapshot();
  socket.setTimeout(o.timeoutMs, () => probe.fail(`no reply within ${o.timeoutMs} ms (message ${probe.sent})`));
  socket.on('error', (err) => probe.fail(`connection lost after ${probe.received} replies: ${err.message}`));
  socket.on('close', () => probe.fail(`server closed the connection after ${probe.received} replies`));
  socket.on('end', () => probe.fail(`server closed the connection after ${probe.received} replies`));
  probe.measureStart = nowNs();
  probe.send(probe.measureStart);
  await probe.finished;
  busy?.release();
  await new Promise((r) => setImmediate(r)); // let the last GC entries arrive
  const gcEnd = probe.gc.stop();
  return {
    transport: o.target.transport,
    address: targetUrl(o.target),
    sent: probe.sent,
    received: probe.received,
    errors: probe.errors,
    underTarget: probe.underTarget,
    durationNs: probe.measureEnd - probe.measureStart,
    histogram: probe.histogram,
    failure: probe.failure ?? probe.mismatch,
    writes: probe.writer.path,
    gc: gcSince(probe.gcAtStart ?? gcEnd, gcEnd),
  };
}
