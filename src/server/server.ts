import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { codecs, type Framing, type Mode, type ProtocolError } from '../protocol/index.js';
import { GcMonitor, type GcStats } from '../stats/gc.js';
import { Connection, type ConnectionOwner, EchoConnection, FixedConnection, SockperfConnection } from './connection.js';
import { FrameTable } from '../protocol/batch.js';
import { claimUnixPath } from './unix.js';
import { BusyPoll } from '../io/busy-poll.js';
import { readInto, readsAvailable } from './reads.js';
import { type WritePath, type Writer, createWriter, writesAvailable } from '../io/writes.js';
import { type AcceptedHandle, HandleStream, handlesAvailable, takeConnections } from '../io/handles.js';
import type { Transport } from '../io/transport.js';

/** The one read buffer of all connections, when reads are shared (see reads.ts). */
const READ_BUFFER = 64 * 1024;
/** Idle sweeps per --idle-timeout: a silent connection is closed after 1 to 1.25 times the timeout. */
const IDLE_TICKS = 4;

export type IoPath = 'handles' | 'sockets';

export interface ServerOptions {
  host: string;
  /** TCP port; undefined for no TCP listener. 0 picks an ephemeral port. */
  port?: number;
  /** Unix socket path; undefined for none. */
  unix?: string;
  framing: Framing;
  mode: Mode;
  response: string;
  maxFrame: number;
  /** How long shutdown waits for connections to close before destroying them. */
  graceMs: number;
  /** Connections beyond this many are closed at once and counted. */
  maxConnections: number;
  /** Close a connection silent for this long; 0 for never. */
  idleTimeoutMs: number;
  /** Unsent reply bytes at which a connection stops reading (see Connection). */
  maxPending: number;
  /** Permission bits of the Unix socket file (0o600: the owner only). */
  unixMode: number;
  /** Keep the event loop polling while any connection is open (BusyPoll). */
  busyPoll?: boolean;
  /** 'handles': serve accepted handles without net.Socket (src/io/handles.ts); 'sockets': net.Socket, read and written as below. */
  io?: IoPath;
  /** 'shared': read every connection into one reused buffer (reads.ts); 'per-read': Node's 'data' events. */
  reads?: 'shared' | 'per-read';
  /** 'direct': write to the socket's handle (src/io/writes.ts); 'stream': `socket.write`. */
  writes?: WritePath;
}

export interface Listener {
  transport: 'tcp' | 'unix';
  /** `tcp://HOST:PORT` or `unix:PATH` */
  url: string;
  host?: string;
  port?: number;
  path?: string;
}

export interface ServerSummary {
  connections: number;
  messages: number;
  /** sockperf messages that, as with sockperf's server, get no reply (warm-up, no PONG). */
  ignored: number;
  bytesIn: number;
  bytesOut: number;
  protocolErrors: number;
  socketErrors: number;
  /** Connections still open when the grace period ended, destroyed then. */
  forcedCloses: number;
  /** Connections refused because --max-connections were open. */
  rejectedConnections: number;
  /** Connections closed by --idle-timeout. */
  idleTimeouts: number;
  /** Times a connection stopped reading because its unsent replies reached --max-pending. */
  outputPauses: number;
  gc: GcStats;
  uptimeMs: number;
}

export interface ProtocolErrorEvent {
  peer: string;
  code: string;
  reason: string;
  limit: number;
  actual: number;
}

const kConn = Symbol('connection');
type TaggedSocket = Socket & { [kConn]: Connection };

/** A connection refused or closed because a limit was reached. */
export interface LimitEvent {
  peer: string;
  limit: number;
}

/**
 * The responder: one or two `net` listeners (TCP and/or Unix socket) sharing
 * one set of connections, limits and counters. Events: 'protocol-error'
 * (ProtocolErrorEvent), 'connection-rejected' and 'idle-timeout' (LimitEvent).
 */
export class ResponderServer extends EventEmitter implements ConnectionOwner {
  readonly options: ServerOptions;
  readonly stats = {
    connections: 0, messages: 0, ignored: 0, bytesIn: 0, bytesOut: 0, protocolErrors: 0, socketErrors: 0, forcedCloses: 0,
    rejectedConnections: 0, idleTimeouts: 0, outputPauses: 0,
  };
  readonly maxPending: number;
  /** What carries connections: 'handles' when asked for (the default) and available. */
  readonly io: IoPath;
  /** How replies are written: 'direct' when asked for (the default) and available; always 'direct' with handles. */
  readonly writes: WritePath;
  readonly endpoints: Listener[] = [];
  private readonly servers: Server[] = [];
  private readonly live = new Set<Connection>();
  private readonly replies: FrameTable | null;
  private readonly gc = new GcMonitor();
  private readonly busy: BusyPoll | null;
  /** Set when connections read into one shared buffer. */
  private readonly readBuffer: Buffer | null;
  private readonly startedAt = Date.now();
  private sweeper: NodeJS.Timeout | null = null;
  private nextId = 0;
  private closing: Promise<ServerSummary> | null = null;
  /** Set during shutdown; called when the last connection closes. */
  private onIdle: (() => void) | null = null;

  constructor(options: ServerOptions) {
    super();
    this.options = options;
    this.maxPending = options.maxPending;
    this.io = options.io !== 'sockets' && handlesAvailable() ? 'handles' : 'sockets';
    this.writes = this.io === 'handles' || (options.writes !== 'stream' && writesAvailable()) ? 'direct' : 'stream';
    this.busy = options.busyPoll === true ? new BusyPoll() : null;
    const shared = this.io === 'handles' || (options.reads !== 'per-read' && readsAvailable());
    this.readBuffer = shared ? Buffer.allocUnsafe(READ_BUFFER) : null;
    const codec = codecs[options.framing];
    // Framed once, here; the hot path only ever writes views of it.
    this.replies = options.framing !== 'sockperf' && options.mode === 'fixed' ? new FrameTable(codec.frame(Buffer.from(options.response))) : null;
  }

  /** Start every listener the options ask for; resolves once all are bound. */
  async listen(): Promise<Listener[]> {
    this.gc.start();
    if (this.options.idleTimeoutMs > 0) {
      this.sweeper = setInterval(() => this.sweep(), Math.ceil(this.options.idleTimeoutMs / IDLE_TICKS));
      this.sweeper.unref();
    }
    const { host, port, unix } = this.options;
    if (port !== undefined) {
      const server = this.createNetServer();
      await bind(server, { host, port });
      this.takeHandles(server);
      const addr = server.address();
      if (addr === null || typeof addr === 'string') throw new Error('TCP listener has no address');
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      this.endpoints.push({ transport: 'tcp', url: `tcp://${shown}:${addr.port}`, host: addr.address, port: addr.port });
    }
    if (unix !== undefined) {
      await claimUnixPath(unix);
      const server = this.createNetServer();
      // The socket file is created with 0777 & ~umask: set the umask so that it
      // is born with --unix-mode, with no window in which others may connect.
      const umask = process.umask(0o777 & ~this.options.unixMode);
      try {
        await bind(server, { path: unix });
      } finally {
        process.umask(umask);
      }
      this.takeHandles(server);
      this.endpoints.push({ transport: 'unix', url: `unix:${unix}`, path: unix });
    }
    return this.endpoints;
  }

  private createNetServer(): Server {
    // allowHalfOpen: a peer that half-closes still gets every reply it is
    // owed (some may be held back by the output bound); then we close.
    // pauseOnConnect: nothing is read before accept() has chosen how to read.
    const server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
    this.servers.push(server);
    return server;
  }

  /** With handles, accepted connections come to acceptHandle, and net.Server makes no sockets. */
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

  private serve(transport: Transport, writer: Writer, peer: string): Connection {
    const { framing, mode, maxFrame } = this.options;
    const codec = codecs[framing];
    let conn: Connection;
    if (framing === 'sockperf') conn = new SockperfConnection(this, transport, writer, peer, codec, maxFrame);
    else if (mode === 'echo') conn = new EchoConnection(this, transport, writer, peer, codec, maxFrame);
    else conn = new FixedConnection(this, transport, writer, peer, codec, maxFrame, this.replies!);
    this.stats.connections++;
    this.live.add(conn);
    this.busy?.acquire();
    return conn;
  }

  private acceptHandle(status: number, handle: AcceptedHandle | undefined): void {
    if (status < 0 || handle === undefined) {
      // EMFILE and the like: the listener goes on; the peer sees a reset.
      this.stats.socketErrors++;
      return;
    }
    const id = ++this.nextId;
    let peer = `unix#${id}`;
    if (handle.getpeername !== undefined) {
      const addr: { address?: string; port?: number } = {};
      if (handle.getpeername(addr) === 0) peer = `${addr.address}:${addr.port}`;
    }
    if (!this.admit(peer)) {
      handle.close(closedQuietly);
      return;
    }
    const stream = new HandleStream(handle, this.readBuffer!);
    stream.open(this.serve(stream, stream.writer, peer));
  }

  private accept(socket: Socket): void {
    const id = ++this.nextId;
    const peer = socket.remoteAddress !== undefined ? `${socket.remoteAddress}:${socket.remotePort}` : `unix#${id}`;
    if (!this.admit(peer)) {
      socket.destroy();
      return;
    }
    const conn = this.serve(socket, createWriter(socket, this.writes), peer);
    (socket as TaggedSocket)[kConn] = conn;
    socket.setNoDelay(true);
    if (this.readBuffer === null || !readInto(socket, this.readBuffer, onSocketRead)) socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.resume();
  }

  /**
   * Close connections silent for --idle-timeout. One sweep per quarter of
   * it, instead of a timer per connection that every read would re-arm: a
   * read costs one store (`idleTicks = 0`), and the sweep walks the open
   * connections, as redis's clientsCron does.
   */
  private sweep(): void {
    for (const conn of this.live) {
      if (++conn.idleTicks > IDLE_TICKS && !conn.closing) this.onIdleTimeout(conn);
    }
  }

  /** How connections read: 'shared' buffer or a new buffer 'per-read'. */
  get reads(): 'shared' | 'per-read' {
    return this.readBuffer === null ? 'per-read' : 'shared';
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
   * Graceful stop: stop accepting; give reads already queued in the kernel
   * one more turn of the event loop to be read and answered; then end every
   * connection, which flushes its replies. Connections that have not closed
   * after `graceMs` are destroyed and counted. Idempotent.
   */
  close(): Promise<ServerSummary> {
    if (this.closing === null) this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<ServerSummary> {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    const stopped = Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    await turn();
    await turn();
    for (const conn of this.live) conn.close();
    let timer: NodeJS.Timeout | undefined;
    const allClosed = new Promise<void>((resolve) => {
      this.onIdle = resolve;
      if (this.live.size === 0) resolve();
    });
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.graceMs);
    });
    await Promise.race([allClosed, grace]);
    clearTimeout(timer);
    for (const conn of this.live) {
      this.stats.forcedCloses++;
      conn.transport.destroy();
    }
    await stopped;
    if (this.options.unix !== undefined) rmSync(this.options.unix, { force: true });
    await turn(); // let the last GC entries arrive
    return this.summary(this.gc.stop());
  }

  summary(gc: GcStats = this.gc.snapshot()): ServerSummary {
    return { ...this.stats, gc, uptimeMs: Date.now() - this.startedAt };
  }
}

// Socket handlers (with --io sockets): named, attached once per socket, no closures.
function onSocketData(this: TaggedSocket, chunk: Buffer): void {
  this[kConn].onData(chunk, 0, chunk.length);
}

function onSocketRead(this: Socket, n: number, buf: Buffer): void {
  (this as TaggedSocket)[kConn].onData(buf, 0, n);
}

function onSocketEnd(this: TaggedSocket): void {
  this[kConn].onPeerEnd();
}

function onSocketError(this: TaggedSocket): void {
  this[kConn].onError();
}

function onSocketClose(this: TaggedSocket): void {
  this[kConn].onClose();
}

function closedQuietly(): void {}

function bind(server: Server, address: { host: string; port: number } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ ...address, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
