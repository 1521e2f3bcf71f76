/**
 * Writes straight to a socket's handle, without `socket.write`.
 *
 * Every `socket.write` goes through the Writable state machine and makes a
 * new `WriteWrap` request object: about 215 bytes of garbage per call on
 * Node 20 (the server's garbage went from 274 to 57 bytes a round trip
 * without it; docs/lab/2026-12-04-performance.md, "Where the time and the garbage go"), even when the kernel takes
 * the bytes at once, which on loopback is nearly always. Underneath, the handle's
 * `writeBuffer(req, buf)` tries a synchronous write first and only uses
 * `req` when it has to queue. So this module keeps one spare request and
 * hands it to `writeBuffer` again and again; only a write that is queued
 * (the kernel took less than all of it) takes the spare away and gets a new
 * one made. Nothing else of Node's write path runs.
 *
 * It needs two things Node does not document: the `WriteWrap` constructor
 * and the shared state array that says whether the last write was queued
 * (binding.ts). On the 'sockets' path (binding.ts decides: they are missing,
 * or `--io sockets` forced it) `createWriter` returns a writer that uses
 * `socket.write`.
 *
 * Rules for callers, which the connection and the probe keep:
 * - all of a socket's data goes through its writer (a `socket.write` while a
 *   direct write is queued could overtake it); `socket.end()` is fine, as the
 *   handle shuts down only after its queued writes;
 * - a buffer handed to `write` is not modified until `pending()` is 0
 *   (the request keeps it alive meanwhile).
 */
import type { Socket } from 'node:net';
import { type StreamBinding, type WriteRequest, streamBinding, uvError } from './binding.js';

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
}

/** The part of a libuv stream handle that writing uses. */
export interface WritableHandle {
  writeBuffer(req: WriteRequest, data: Buffer): number;
  readonly writeQueueSize: number;
}

/**
 * What a direct writer writes to: a `net.Socket` (whose internal `_handle`
 * is its libuv stream) or a bare handle's stream (handles.ts), which keeps
 * the same field name so that sockets need no adapter.
 */
export interface WriteTarget {
  /** The libuv stream, or null once closed. */
  readonly _handle: WritableHandle | null;
  readonly destroyed: boolean;
  /** Close at once, reporting `err`. */
  destroy(err?: Error): void;
}

interface Request extends WriteRequest {
  /** Keeps a queued write's bytes alive until it completes. */
  buffer: Buffer | null;
  target: WriteTarget | null;
  done: WriteDone | null;
}

/** A queued write completed (`this` is its request). */
function onComplete(this: Request, status: number): void {
  const { target, done } = this;
  this.target = null;
  this.done = null;
  this.buffer = null;
  const err = status < 0 ? uvError(status, 'write') : null;
  if (err !== null && target !== null && !target.destroyed) target.destroy(err);
  if (done !== null) done(err);
}

function newRequest(b: StreamBinding): Request {
  const req = new b.WriteWrap() as Request;
  req.oncomplete = onComplete as WriteRequest['oncomplete'];
  req.error = null;
  req.buffer = null;
  req.target = null;
  req.done = null;
  return req;
}

/** The one spare request; replaced only when a write is queued with it. */
let spare: Request | null = null;

function callLater(done: WriteDone): void {
  process.nextTick(done, null);
}

/** Writes to a target's handle with the spare request (see the top of this file). */
export class DirectWriter implements Writer {
  readonly path = 'direct' as const;
  private readonly target: WriteTarget;
  private readonly b: StreamBinding;

  constructor(target: WriteTarget, b: StreamBinding) {
    this.target = target;
    this.b = b;
  }

  pending(): number {
    const handle = this.target._handle;
    return handle === null ? 0 : handle.writeQueueSize;
  }

  write(data: Buffer, done: WriteDone | null): void {
    const handle = this.target._handle;
    if (handle === null || this.target.destroyed) {
      if (done !== null) callLater(done);
      return;
    }
    if (spare === null) spare = newRequest(this.b);
    const req = spare;
    const status = handle.writeBuffer(req, data);
    if (status < 0) {
      this.target.destroy(uvError(status, 'write'));
      if (done !== null) callLater(done);
      return;
    }
    if (this.b.streamBaseState[this.b.kLastWriteWasAsync] !== 0) {
      // Queued: the request is libuv's until it completes; the next write gets a new one.
      spare = null;
      req.buffer = data;
      req.target = this.target;
      req.done = done;
      return;
    }
    if (done !== null) callLater(done);
  }
}

/** `socket.write`, on the 'sockets' path. */
export class StreamWriter implements Writer {
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
}

/** A writer for a connected socket: direct on the 'handles' path, else `socket.write` (binding.ts decides). */
export function createWriter(socket: Socket): Writer {
  const b = streamBinding();
  return b !== null ? new DirectWriter(socket as unknown as WriteTarget, b) : new StreamWriter(socket);
}
