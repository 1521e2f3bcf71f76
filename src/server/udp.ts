/**
 * `--udp`: the responder's UDP side. Each datagram is one message
 * (src/protocol/datagram.ts), answered with one datagram to its sender;
 * there are no connections, so nothing is kept per peer, and a datagram
 * that is not exactly one frame within --max-frame is counted and dropped,
 * with no reply and no effect on any other datagram.
 *
 * Replies never amplify by default: an echo is the datagram itself, changed
 * in place (sockperf's CLIENT flag cleared, a line's `\r\n` made `\n`), and
 * a fixed reply longer than the smallest request is refused at start
 * (plan.ts) unless --udp-amplify allows it; here, a fixed reply longer than
 * the datagram it answers is not sent either without it (counted). A UDP
 * source address is not checked by anyone: a larger reply to a spoofed one
 * lands on whoever was named.
 */
import type { RemoteInfo } from 'node:dgram';
import { Datagram, datagramVerdict, echoLineInPlace, endsWithNewline } from '../protocol/datagram.js';
import { codecs, type Framing, type Mode, markSockperfReply, sockperfWantsReply } from '../protocol/index.js';
import { type DatagramEvents, type DatagramPort, bindDatagrams } from '../io/datagrams.js';
import type { Distribution } from './listeners.js';
import { notLoopbackWarning } from '../admin/address.js';
import type { ServerSummary } from './summary.js';

/** Why a datagram was dropped, in the order of the counters below. */
export const DropReason = {
  TOO_LARGE: Datagram.TOO_LARGE,
  MALFORMED: Datagram.MALFORMED,
  SEVERAL_FRAMES: Datagram.SEVERAL_FRAMES,
  /** A fixed reply longer than its request, without --udp-amplify. */
  REPLY_TOO_LONG: 4,
} as const;

/** The server's counters (ResponderServer.stats) that the UDP side counts into. */
export type UdpCounters = Pick<
  ServerSummary,
  | 'messages'
  | 'ignored'
  | 'bytesIn'
  | 'bytesOut'
  | 'socketErrors'
  | 'datagrams'
  | 'datagramsDropped'
  | 'datagramsTooLarge'
  | 'datagramsMalformed'
  | 'datagramsSeveralFrames'
  | 'datagramsReplyTooLong'
>;

/** What the UDP side reports to the server that owns it. */
export interface UdpOwner {
  readonly stats: UdpCounters;
  /** A datagram was dropped (the server logs it, rate-limited: event-log.ts). */
  onDatagramDropped(reason: number, from: RemoteInfo, size: number): void;
}

export interface UdpOptions {
  host: string;
  port: number;
  framing: Framing;
  mode: Mode;
  response: string;
  maxFrame: number;
  /** Send fixed replies longer than their request. */
  amplify: boolean;
  share?: Distribution;
}

/** The UDP listener: binds, answers each datagram, and closes once what it received is answered. */
export class UdpResponder implements DatagramEvents {
  private readonly owner: UdpOwner;
  private readonly stats: UdpCounters;
  private readonly framing: Framing;
  private readonly echo: boolean;
  private readonly maxFrame: number;
  private readonly amplify: boolean;
  /** The fixed reply, framed; for line framing, `bare` is it without its `\n`, for a request that came without one. */
  private readonly fixed: Buffer;
  private readonly bare: Buffer;
  private socket: DatagramPort | null = null;

  constructor(owner: UdpOwner, o: UdpOptions) {
    this.owner = owner;
    this.stats = owner.stats;
    this.framing = o.framing;
    this.echo = o.framing === 'sockperf' || o.mode === 'echo';
    this.maxFrame = o.maxFrame;
    this.amplify = o.amplify;
    this.fixed = this.echo ? EMPTY : codecs[o.framing].frame(Buffer.from(o.response));
    this.bare = o.framing === 'line' ? this.fixed.subarray(0, Math.max(0, this.fixed.length - 1)) : this.fixed;
  }

  /** Bind at `o.host:o.port`, on the bare handle when `handles`; resolves with the socket. */
  async listen(o: UdpOptions, handles: boolean): Promise<DatagramPort> {
    this.socket = await bindDatagrams({ host: o.host, port: o.port, share: o.share }, this, handles);
    return this.socket;
  }

  onDatagram(buf: Buffer, from: RemoteInfo): void {
    const stats = this.stats;
    const len = buf.length;
    stats.datagrams++;
    stats.bytesIn += len;
    const verdict = datagramVerdict(this.framing, buf, len, this.maxFrame);
    if (verdict !== Datagram.OK) {
      this.drop(verdict, from, len);
      return;
    }
    let reply: Buffer;
    if (this.framing === 'sockperf') {
      // As sockperf's server: only CLIENT|PONG without WARMUP gets a reply, the same bytes with CLIENT cleared.
      if (!sockperfWantsReply(buf, 0)) {
        stats.ignored++;
        return;
      }
      markSockperfReply(buf, 0);
      reply = buf;
    } else if (this.echo) {
      const n = this.framing === 'line' ? echoLineInPlace(buf, len) : len;
      reply = n === len ? buf : buf.subarray(0, n);
    } else {
      reply = this.framing === 'line' && !endsWithNewline(buf, len) ? this.bare : this.fixed;
      if (reply.length > len && !this.amplify) {
        this.drop(DropReason.REPLY_TOO_LONG, from, len);
        return;
      }
    }
    stats.messages++;
    stats.bytesOut += reply.length;
    this.socket!.send(reply, from);
  }

  onSocketError(): void {
    this.stats.socketErrors++;
  }

  private drop(reason: number, from: RemoteInfo, size: number): void {
    const stats = this.stats;
    stats.datagramsDropped++;
    if (reason === DropReason.TOO_LARGE) stats.datagramsTooLarge++;
    else if (reason === DropReason.MALFORMED) stats.datagramsMalformed++;
    else if (reason === DropReason.SEVERAL_FRAMES) stats.datagramsSeveralFrames++;
    else stats.datagramsReplyTooLong++;
    this.owner.onDatagramDropped(reason, from, size);
  }

  /**
   * The drain (--drain-ms) of a side with no connections to wait for: go on
   * answering until its peers have left, taken to be when no datagram has
   * come for UDP_QUIET_MS, or until `deadline` (ms since the epoch).
   */
  async quiet(deadline: number): Promise<void> {
    for (;;) {
      const seen = this.stats.datagrams;
      const wait = Math.min(UDP_QUIET_MS, deadline - Date.now());
      if (wait <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (this.stats.datagrams === seen) return;
    }
  }

  /**
   * Answer what the kernel has already received: turn the event loop until
   * a turn reads no datagram (libuv reads at most 32 per turn), and the
   * replies handed over have left; up to `graceMs`. Then close the socket.
   */
  async close(graceMs: number): Promise<void> {
    const socket = this.socket;
    if (socket === null) return;
    const deadline = Date.now() + graceMs;
    let seen = -1;
    while ((this.stats.datagrams !== seen || socket.queued() > 0) && Date.now() < deadline) {
      seen = this.stats.datagrams;
      await turn();
    }
    await socket.close();
  }
}

const EMPTY = Buffer.alloc(0);
/** In a drain, this long without a datagram means the UDP peers have left. */
export const UDP_QUIET_MS = 1000;

/** The warning of a UDP address beyond loopback (as the admin port's), or null on loopback. */
export function exposedUdpWarning(at: { host: string; port: number }): string | null {
  return notLoopbackWarning('--udp', at, 'UDP replies go to whatever source address a datagram names, so anyone who reaches it can aim them at someone else (a reflector)');
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
