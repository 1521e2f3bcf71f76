import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { codecs, type Framing, type Mode, type ProtocolError } from '../protocol/index.js';
import { GcMonitor, type GcStats } from '../stats/gc.js';
import { type Connection, type ConnectionOwner, EchoConnection, FixedConnection, SockperfConnection, fixedReplies } from './connection.js';
import { RespConnection } from './resp-connection.js';
import type { FrameTable } from '../protocol/batch.js';
import { BusyPoll } from '../io/busy-poll.js';
import { type IoPath, ioPath } from '../io/binding.js';
import { type AcceptedHandle, HandleStream, handlePeer, takeConnections } from '../io/handles.js';
import { SocketStream, socketPeer } from '../io/sockets.js';
import type { Transport } from '../io/transport.js';
import { IdleSweep } from './idle.js';
import { type Listener, createListener, listenTcp, listenUnix } from './listeners.js';
import { type DrainResult, type LimitEvent, type ProtocolErrorEvent, type ServerSummary, serverCounters } from './summary.js';
import { UdpResponder, type UdpOwner } from './udp.js';
import type { RemoteInfo } from 'node:dgram';
import type { Distribution } from './workers.js';

export type { Listener } from './listeners.js';

/** The one read buffer of all connections on bare handles: each read is decoded in full before the next lands. */
const READ_BUFFER = 64 * 1024;

export interface ServerOptions {
  host: string;
  /** TCP port; undefined for no TCP listener. 0 picks an ephemeral port. */
  port?: number;
  /** Unix socket path; undefined for none. */
  unix?: string;
  /** UDP address, each datagram one message (udp.ts); undefined for none. 0 picks an ephemeral port. */
  udp?: { host: string; port: number };
  /** With `udp`: send fixed replies longer than the request they answer (a reflector's amplification). */
  udpAmplify?: boolean;
  framing: Framing;
  mode: Mode;
  response: string;
  maxFrame: number;
  /** How long shutdown waits for connections to close before destroying them. */
  graceMs: number;
  /**
   * Before that: how long shutdown keeps answering open connections, the
   * listeners closed, for their peers to close them (0: end them at once).
   * Behind a load balancer this is the drain: readiness says 503, the
   * balancer sends no new connection, and the clients leave when they are
   * done, with no request caught in flight by our close.
   */
  drainMs?: number;
  /** Connections beyond this many are closed at once and counted. */
  maxConnections: number;
  /** Close a connection silent for this long; 0 for never. */
  idleTimeoutMs: number;
  /** Unsent reply bytes at which a connection stops reading (see Connection). */
  maxPending: number;
  /** Permission bits of the Unix socket file (0o600: the owner only). */
  unixMode: number;
  /** The listen queue: connections the kernel completes before we accept them (Node's default 511 when absent; Linux caps it at net.core.somaxconn). */
  backlog?: number;
  /** Keep the event loop polling while any connection is open (BusyPoll). */
  busyPoll?: boolean;
  /** In a worker (workers.ts): how the listeners are shared with the other workers; undefined for a server alone. */
  share?: Distribution;
}

/**
 * The responder: one or two `net` listeners (TCP and/or Unix socket) sharing
 * one set of connections, limits and counters, and a UDP socket (udp.ts)
 * sharing the counters. Connections arrive as bare
 * handles or as `net.Socket`s, as binding.ts decided for the process; each
 * becomes a Transport, and from there on both paths are one. Events:
 * 'protocol-error' (ProtocolErrorEvent), 'connection-rejected' and
 * 'idle-timeout' (LimitEvent), 'datagram-dropped' (reason, sender, size).
 */
export class ResponderServer extends EventEmitter implements ConnectionOwner, UdpOwner {
  readonly options: ServerOptions;
  readonly stats = serverCounters();
  readonly maxPending: number;
  /** What carries connections (binding.ts decides, for the whole process). */
  readonly io: IoPath = ioPath();
  readonly endpoints: Listener[] = [];
  private readonly servers: Server[] = [];
  private udp: UdpResponder | null = null;
  private readonly live = new Set<Connection>();
  private readonly replies: FrameTable | null;
  private readonly gc = new GcMonitor();
  private readonly busy: BusyPoll | null;
  /** On bare handles, where every connection reads. */
  private readonly readBuffer: Buffer | null;
  private readonly startedAt = Date.now();
  private sweeper: IdleSweep<Connection> | null = null;
  private nextId = 0;
  private closing: Promise<ServerSummary> | null = null;
  /** Set during shutdown; called when the last connection closes. */
  private onIdle: (() => void) | null = null;
  /** After a shutdown's drain (`drainMs`): how long it took, connections open at its start and left at its end. */
  drained: DrainResult | null = null;

  constructor(options: ServerOptions) {
    super();
    this.options = options;
    this.maxPending = options.maxPending;
    this.busy = options.busyPoll === true ? new BusyPoll() : null;
    this.readBuffer = this.io === 'handles' ? Buffer.allocUnsafe(READ_BUFFER) : null;
    this.replies = (options.framing === 'length' || options.framing === 'line') && options.mode === 'fixed' ? fixedReplies(codecs[options.framing], options.response, options.maxPending) : null;
  }

  /** Start every listener the options ask for; resolves once all are bound. */
  async listen(): Promise<Listener[]> {
    this.gc.start();
    if (this.options.idleTimeoutMs > 0) this.sweeper = new IdleSweep(this.live, this.options.idleTimeoutMs, (conn) => this.onIdleTimeout(conn));
    const { host, port, unix, unixMode, share, backlog } = this.options;
    if (port !== undefined) {
      const server = this.listener();
      this.endpoints.push(await listenTcp(server, host, port, share, backlog));
      this.takeHandles(server);
    }
    if (unix !== undefined) {
      const server = this.listener();
      this.endpoints.push(await listenUnix(server, unix, unixMode, share !== undefined, backlog));
      this.takeHandles(server);
    }
    if (this.options.udp !== undefined) await this.listenUdp(this.options.udp);
    return this.endpoints;
  }

  private async listenUdp(at: { host: string; port: number }): Promise<void> {
    const { framing, mode, response, maxFrame, udpAmplify, share } = this.options;
    const o = { ...at, framing, mode, response, maxFrame, amplify: udpAmplify === true, share };
    this.udp = new UdpResponder(this, o);
    const socket = await this.udp.listen(o, this.io === 'handles');
    const shown = socket.address.includes(':') ? `[${socket.address}]` : socket.address;
    this.endpoints.push({ transport: 'udp', url: `udp://${shown}:${socket.port}`, host: socket.address, port: socket.port, io: socket.io });
  }

  onDatagramDropped(reason: number, from: RemoteInfo, size: number): void {
    this.emit('datagram-dropped', reason, from, size);
  }

  private listener(): Server {
    const server = createListener((socket) => this.acceptSocket(socket));
    this.servers.push(server);
    return server;
  }

  /** On bare handles, accepted connections come to acceptHandle, and net.Server makes no sockets. */
  private takeHandles(server: Server): void {
    if (this.io === 'handles' && !takeConnections(server, (status, handle) => this.acceptHandle(status, handle))) {
      throw new Error('this Node does not hand over accepted handles; use --io sockets');
    }
  }

  /** Whether a new connection may be served; counts and reports one that may not. */
  private admit(peer: string): boolean {
    if (this.closing !== null) return false;
    if (this.live.size < this.options.maxConnections) return true;
    this.stats.rejectedConnections++;
    this.emit('connection-rejected', { peer, limit: this.options.maxConnections } satisfies LimitEvent);
    return false;
  }

  private serve(transport: Transport, peer: string): void {
    const { framing, mode, maxFrame } = this.options;
    const codec = codecs[framing];
    let conn: Connection;
    if (framing === 'sockperf') conn = new SockperfConnection(this, transport, peer, codec, maxFrame);
    else if (framing === 'resp') conn = new RespConnection(this, transport, peer, maxFrame);
    else if (mode === 'echo') conn = new EchoConnection(this, transport, peer, codec, maxFrame);
    else conn = new FixedConnection(this, transport, peer, codec, maxFrame, this.replies!);
    this.stats.connections++;
    this.live.add(conn);
    this.busy?.acquire();
    transport.open(conn);
  }

  private acceptHandle(status: number, handle: AcceptedHandle | undefined): void {
    if (status < 0 || handle === undefined) {
      // EMFILE and the like: the listener goes on; the peer sees a reset.
      this.stats.socketErrors++;
      return;
    }
    const peer = handlePeer(handle, ++this.nextId);
    if (!this.admit(peer)) handle.close(closedQuietly);
    else this.serve(new HandleStream(handle, this.readBuffer!), peer);
  }

  private acceptSocket(socket: Socket): void {
    const peer = socketPeer(socket, ++this.nextId);
    if (!this.admit(peer)) socket.destroy();
    else this.serve(new SocketStream(socket), peer);
  }

  onProtocolError(conn: Connection, err: ProtocolError): void {
    this.stats.protocolErrors++;
    this.emit('protocol-error', { peer: conn.peer, code: err.code, reason: err.message, limit: err.limit, actual: err.actual } satisfies ProtocolErrorEvent);
    conn.close();
  }

  private onIdleTimeout(conn: Connection): void {
    this.stats.idleTimeouts++;
    this.emit('idle-timeout', { peer: conn.peer, limit: this.options.idleTimeoutMs } satisfies LimitEvent);
    conn.close();
  }

  /** Forget a connection; called once per connection, when it has closed. */
  forget(conn: Connection): void {
    if (this.live.delete(conn)) this.busy?.release();
    if (this.live.size === 0 && this.onIdle !== null) this.onIdle();
  }

  onSocketError(): void {
    this.stats.socketErrors++;
  }

  get activeConnections(): number {
    return this.live.size;
  }

  /**
   * Graceful stop: stop accepting; with `drainMs`, go on answering the open
   * connections until their peers have closed them all (and UDP until no
   * datagram has come for a second: udp.ts) or `drainMs` has passed
   * (`drained` is then set); give reads already queued in the kernel
   * one more turn of the event loop to be read and answered; then end every
   * connection, which flushes its replies. Connections that have not closed
   * after `graceMs` are destroyed and counted. Idempotent.
   */
  close(): Promise<ServerSummary> {
    if (this.closing === null) this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<ServerSummary> {
    this.sweeper?.stop();
    const stopped = Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    const drainMs = this.options.drainMs ?? 0;
    if (drainMs > 0) {
      const began = Date.now();
      const open = this.live.size;
      await this.whenIdleOr(drainMs);
      await this.udp?.quiet(began + drainMs);
      this.drained = { ms: Date.now() - began, open, left: this.live.size };
    }
    const udpClosed = this.udp?.close(this.options.graceMs);
    await turn();
    await turn();
    for (const conn of this.live) conn.close();
    await this.whenIdleOr(this.options.graceMs);
    await udpClosed;
    for (const conn of this.live) {
      this.stats.forcedCloses++;
      conn.transport.destroy();
    }
    await stopped;
    // A worker's socket file is the primary's, removed once every worker has stopped.
    if (this.options.unix !== undefined && this.options.share === undefined) rmSync(this.options.unix, { force: true });
    await turn(); // let the last GC entries arrive
    return this.summary(this.gc.stop());
  }

  /** Resolves once no connection is open, or after `ms`, whichever comes first. */
  private async whenIdleOr(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const allClosed = new Promise<void>((resolve) => {
      this.onIdle = resolve;
      if (this.live.size === 0) resolve();
    });
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    await Promise.race([allClosed, expired]);
    clearTimeout(timer);
    this.onIdle = null;
  }

  /** Call `fn` with each GC's kind and pause (GcMonitor.onEntry); null to stop. */
  onGc(fn: ((kind: number, pauseMs: number) => void) | null): void {
    this.gc.onEntry = fn;
  }

  summary(gc: GcStats = this.gc.snapshot()): ServerSummary {
    return { ...this.stats, gc, uptimeMs: Date.now() - this.startedAt };
  }
}

function closedQuietly(): void {}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
