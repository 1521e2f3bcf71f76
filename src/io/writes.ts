/**
 * Writes straight to a socket's handle, without `socket.write`.
 *
 * Every `socket.write` goes through the Writable state machine and makes a
 * new `WriteWrap` request object: about 215 bytes of garbage per call on
 * Node 20 (the server's garbage went from 274 to 57 bytes a round trip
 * without it; docs/PERFORMANCE.md, "Garbage"), even when the kernel takes
 * the bytes at once, which on loopback is nearly always. Underneath, the handle's
 * `writeBuffer(req, buf)` tries a synchronous write first and only uses
 * `req` when it has to queue. So this module keeps one spare request and
 * hands it to `writeBuffer` again and again; only a write that is queued
 * (the kernel took less than all of it) takes the spare away and gets a new
 * one made. Nothing else of Node's write path runs.
 *
 * It needs two things Node does not document: the `WriteWrap` constructor
 * and the shared state array that says whether the last write was queued,
 * both from `process.binding('stream_wrap')`. They are looked up once, on
 * first use; when either is missing (another Node), `writesAvailable()` is
 * false and `createWriter` returns a writer that uses `socket.write`, as it
 * does when asked for 'stream'. `process.binding` is deprecated (DEP0111, a
 * warning only under --pending-deprecation); with 'stream' it is never
 * called.
 *
 * Rules for callers, which the connection and the probe keep:
 * - all of a socket's data goes through its writer (a `socket.write` while a
 *   direct write is queued could overtake it); `socket.end()` is fine, as the
 *   handle shuts down only after its queued writes;
 * - a buffer handed to `write` is not modified until `pending()` is 0
 *   (the request keeps it alive meanwhile).
 */
import type { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';

export type WritePath = 'direct' | 'stream';

/** A completion callback, as `socket.write` takes. */
export type WriteDone = (err?: Error | null) => void;

export interface Writer {
  readonly path: WritePath;
  /** Bytes handed to `write` and not yet taken by the kernel. */
  pending(): number;
  /**
   * Send `data`. `done`, when given, is called once the bytes are taken by
   * the kernel, never synchronously (as with `socket.write`). A failed write
   * destroys the socket with the error.
   */
  write(data: Buffer, done: WriteDone | null): void;
  cork(): void;
  uncork(): void;
}

interface Request {
  /** Called by Node when a queued write completes. */
  oncomplete: (this: Request, status: number) => void;
  /** Node reads this on completion and passes it to `oncomplete`. */
  error: unknown;
  /** Keeps a queued write's bytes alive until it completes. */
  buffer: Buffer | null;
  socket: Socket | null;
  done: WriteDone | null;
}

interface Handle {
  writeBuffer(req: Request, data: Buffer): number;
  readonly writeQueueSize: number;
}

interface StreamWrap {
  WriteWrap: new () => Request;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

function lookup(): StreamWrap | null {
  try {
    const binding = (process as unknown as { binding(name: string): Partial<StreamWrap> }).binding('stream_wrap');
    const { WriteWrap, streamBaseState, kLastWriteWasAsync } = binding;
    if (typeof WriteWrap !== 'function' || !(streamBaseState instanceof Int32Array) || typeof kLastWriteWasAsync !== 'number') return null;
    return { WriteWrap, streamBaseState, kLastWriteWasAsync };
  } catch {
    return null;
  }
}

/** Looked up on first use, so that `--writes stream` never touches `process.binding`. */
let wrap: StreamWrap | null | undefined;

function streamWrap(): StreamWrap | null {
  if (wrap === undefined) wrap = lookup();
  return wrap;
}

/** Whether direct writes are possible on this Node. */
export function writesAvailable(): boolean {
  return streamWrap() !== null;
}

function writeError(status: number): Error {
  const code = getSystemErrorName(status);
  return Object.assign(new Error(`write ${code}`), { errno: status, code, syscall: 'write' });
}

/** A queued write completed (`this` is its request). */
function onComplete(this: Request, status: number): void {
  const { socket, done } = this;
  this.socket = null;
  this.done = null;
  this.buffer = null;
  const err = status < 0 ? writeError(status) : null;
  if (err !== null && socket !== null && !socket.destroyed) socket.destroy(err);
  if (done !== null) done(err);
}

function newRequest(w: StreamWrap): Request {
  const req = new w.WriteWrap();
  req.oncomplete = onComplete;
  req.error = null;
  req.buffer = null;
  req.socket = null;
  req.done = null;
  return req;
}

/** The one spare request; replaced only when a write is queued with it. */
let spare: Request | null = null;

function callLater(done: WriteDone): void {
  process.nextTick(done, null);
}

class DirectWriter implements Writer {
  readonly path = 'direct' as const;
  private readonly socket: Socket;
  private readonly w: StreamWrap;

  constructor(socket: Socket, w: StreamWrap) {
    this.socket = socket;
    this.w = w;
  }

  private handle(): Handle | null {
    return (this.socket as unknown as { _handle: Handle | null })._handle;
  }

  pending(): number {
    const handle = this.handle();
    return handle === null ? 0 : handle.writeQueueSize;
  }

  write(data: Buffer, done: WriteDone | null): void {
    const handle = this.handle();
    if (handle === null || this.socket.destroyed) {
      if (done !== null) callLater(done);
      return;
    }
    const req = spare ?? (spare = newRequest(this.w));
    const status = handle.writeBuffer(req, data);
    if (status < 0) {
      this.socket.destroy(writeError(status));
      if (done !== null) callLater(done);
      return;
    }
    if (this.w.streamBaseState[this.w.kLastWriteWasAsync] !== 0) {
      // Queued: the request is libuv's until it completes; the next write gets a new one.
      spare = null;
      req.buffer = data;
      req.socket = this.socket;
      req.done = done;
      return;
    }
    if (done !== null) callLater(done);
  }

  cork(): void {}
  uncork(): void {}
}

class StreamWriter implements Writer {
  readonly path = 'stream' as const;
  private readonly socket: Socket;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  pending(): number {
    return this.socket.writableLength;
  }

  write(data: Buffer, done: WriteDone | null): void {
    if (done === null) this.socket.write(data);
    else this.socket.write(data, done);
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }
}

/** A writer for a connected socket: direct when asked and possible, else `socket.write`. */
export function createWriter(socket: Socket, path: WritePath): Writer {
  const w = path === 'direct' ? streamWrap() : null;
  return w !== null ? new DirectWriter(socket, w) : new StreamWriter(socket);
}
