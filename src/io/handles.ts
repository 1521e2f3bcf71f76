/**
 * Serving accepted connections as bare libuv handles, with no `net.Socket`.
 *
 * `net.Server` wraps every accepted handle in a `net.Socket`: a Duplex with
 * its two stream states, buffers, timers and listeners. For a responder that
 * reads into one shared buffer and writes straight to the handle, none of
 * that runs on the hot path, but it costs about 2 KiB per connection: 10 000
 * idle connections add 31 MiB to a bare `net.createServer`, and 11.8 MiB
 * when only the handles are kept (docs/RELIABILITY.md, idle memory). So the server can
 * take the handles itself: `takeConnections` replaces the listening
 * handle's `onconnection`, which Node calls with each accepted handle, and
 * a `HandleStream` does what `net.Socket` did for it, and only that:
 *
 * - reads into the one buffer it is given (`useUserBuffer`), reporting the
 *   byte count, the peer's end (EOF) or a read error;
 * - writes through a `DirectWriter` (writes.ts), as sockets do by default;
 * - pauses and resumes reading (`readStop`/`readStart`);
 * - `end()` asks libuv to shut the write side down after the queued writes;
 *   the handle is closed once that is done and the peer has ended too, as
 *   Node closes a half-open socket (`allowHalfOpen`);
 * - `destroy()` closes the handle at once; libuv cancels queued writes.
 *
 * Nothing else of Node's socket runs: no timers (the server sweeps for idle
 * connections itself), no events. It relies on what Node does not document:
 * the listening handle's `onconnection`, the stream handle's methods, and
 * the `stream_wrap` binding (binding.ts, which decides, once, whether this
 * path is used at all; `net.Socket` otherwise, sockets.ts).
 */
import type { Server } from 'node:net';
import { type ShutdownRequest, type StreamBinding, UV_ENOTCONN, UV_EOF, streamBinding, uvError } from './binding.js';
import type { Transport, TransportEvents } from './transport.js';
import { DirectWriter, type WritableHandle, type WriteTarget } from './writes.js';

/** An accepted TCP or Pipe handle, as Node's `onconnection` receives it. */
export interface AcceptedHandle extends WritableHandle {
  onread: (this: AcceptedHandle) => void;
  readStart(): number;
  readStop(): number;
  shutdown(req: ShutdownRequest): number;
  close(callback: (this: AcceptedHandle) => void): void;
  useUserBuffer(buf: Uint8Array): void;
  /** TCP only. */
  setNoDelay?(on: boolean): number;
  /** TCP only: fills `out` with the peer's address. */
  getpeername?(out: { address?: string; port?: number }): number;
  /** Set while a HandleStream owns the handle. */
  stream?: HandleStream | null;
}

interface Shutdown extends ShutdownRequest {
  stream: HandleStream | null;
}

/** Set by `takeConnections`, which runs before any HandleStream exists. */
let b: StreamBinding;

/** The handle's read callback; `this` is the handle, and the byte count (or error) is in the shared state. */
function onHandleRead(this: AcceptedHandle): void {
  const n = b.streamBaseState[b.kReadBytesOrError];
  const stream = this.stream!;
  if (n > 0) stream.events.onData(stream.input, 0, n);
  else if (n < 0) stream.readFailed(n);
}

function onShutdown(this: Shutdown, status: number): void {
  const stream = this.stream!;
  this.stream = null;
  stream.shutDown(status);
}

function onHandleClose(this: AcceptedHandle): void {
  const stream = this.stream!;
  this.stream = null;
  stream._handle = null;
  stream.events.onClose();
}

/** A connection's stream on a bare accepted handle; see the top of this file. */
export class HandleStream implements Transport, WriteTarget {
  /** The handle; null once closed. (Named as `net.Socket` names it, for DirectWriter.) */
  _handle: AcceptedHandle | null;
  destroyed = false;
  readonly writer: DirectWriter;
  /** Where every read lands; shared by all streams. */
  readonly input: Buffer;
  events!: TransportEvents;
  private reading = false;
  /** The peer has ended: no more reads. */
  private peerEnded = false;
  /** `end()` was called. */
  private ending = false;
  /** Our write side is shut down. */
  private ended = false;

  constructor(handle: AcceptedHandle, input: Buffer) {
    this._handle = handle;
    this.input = input;
    this.writer = new DirectWriter(this, b);
  }

  /** Start reading, reporting to `events`. */
  open(events: TransportEvents): void {
    const handle = this._handle!;
    this.events = events;
    handle.stream = this;
    handle.onread = onHandleRead;
    handle.setNoDelay?.(true);
    handle.useUserBuffer(this.input);
    this.resume();
  }

  pause(): void {
    if (!this.reading) return;
    this.reading = false;
    this._handle!.readStop();
  }

  resume(): void {
    if (this.reading || this.peerEnded || this.destroyed) return;
    const status = this._handle!.readStart();
    if (status < 0) this.destroy(uvError(status, 'read'));
    else this.reading = true;
  }

  end(): void {
    if (this.ending || this.destroyed) return;
    this.ending = true;
    const req = new b.ShutdownWrap() as Shutdown;
    req.oncomplete = onShutdown as ShutdownRequest['oncomplete'];
    req.stream = this;
    const status = this._handle!.shutdown(req);
    // As net.Socket: 1 means done at once (nothing was queued), ENOTCONN that the peer is gone.
    if (status === 1 || status === UV_ENOTCONN) {
      req.stream = null;
      this.shutDown(0);
    } else if (status < 0) {
      req.stream = null;
      this.destroy(uvError(status, 'shutdown'));
    }
  }

  /** The write side is shut down (or failed to be). */
  shutDown(status: number): void {
    if (this.destroyed) return;
    if (status < 0 && status !== UV_ENOTCONN) {
      this.destroy(uvError(status, 'shutdown'));
      return;
    }
    this.ended = true;
    if (this.peerEnded) this.destroy();
  }

  /** A read reported the peer's end or an error. */
  readFailed(status: number): void {
    this.reading = false;
    if (status !== UV_EOF) {
      this.destroy(uvError(status, 'read'));
      return;
    }
    this.peerEnded = true;
    if (this.ended) this.destroy();
    else this.events.onPeerEnd();
  }

  destroy(err?: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.reading = false;
    if (err !== undefined) this.events.onError(err);
    this._handle!.close(onHandleClose);
  }
}

/**
 * Have `server` (listening) hand its accepted handles to `accept` instead of
 * wrapping them in `net.Socket`s. Returns false, changing nothing, when this
 * Node does not allow it (binding.ts chose the 'sockets' path, or the
 * listening handle has no `onconnection`). On an accept error (`EMFILE`,
 * say) `accept` gets the status and no handle.
 */
export function takeConnections(server: Server, accept: (status: number, handle: AcceptedHandle | undefined) => void): boolean {
  const listening = (server as unknown as { _handle: { onconnection?: unknown } | null })._handle;
  const binding = streamBinding();
  if (listening === null || typeof listening.onconnection !== 'function' || binding === null) return false;
  b = binding;
  listening.onconnection = accept;
  return true;
}

/** The peer as the server names it in its log: `address:port`, or `unix#id` for a Unix socket. */
export function handlePeer(handle: AcceptedHandle, id: number): string {
  const addr: { address?: string; port?: number } = {};
  return handle.getpeername !== undefined && handle.getpeername(addr) === 0 ? `${addr.address}:${addr.port}` : `unix#${id}`;
}
