/**
 * The one I/O decision of a process, made here, once: Node's internals or
 * its public API.
 *
 * - 'handles': the pieces of Node's own stream code (the `stream_wrap`
 *   binding) that bare accepted handles (handles.ts) and direct writes
 *   (writes.ts) use in place of `net.Socket`: one shared read buffer, one
 *   reused write request, no Duplex per connection.
 * - 'sockets': only the public API, `net.Socket` (sockets.ts), as any Node
 *   program would do it.
 *
 * None of the internals is documented, so every piece is checked on first
 * use; when any is missing (another Node, or `process.binding` refused, as
 * under the permission model: ERR_ACCESS_DENIED), the process uses
 * 'sockets'. `--io sockets` forces it (`chooseIo`), for A/B runs and
 * tests. `process.binding` is deprecated (DEP0111, a warning only under
 * --pending-deprecation) and is never called once 'sockets' is forced.
 */
import { getSystemErrorMap, getSystemErrorName } from 'node:util';

/** A write request: `oncomplete(status)` runs when libuv completes a queued write. */
export interface WriteRequest {
  oncomplete: (this: WriteRequest, status: number) => void;
  /** Node reads this on completion. */
  error: unknown;
}

/** A shutdown request: `oncomplete(status)` runs once the queued writes are out and the write side is shut. */
export interface ShutdownRequest {
  oncomplete: (this: ShutdownRequest, status: number) => void;
}

export interface StreamBinding {
  WriteWrap: new () => WriteRequest;
  ShutdownWrap: new () => ShutdownRequest;
  /** Shared state Node's stream handles report into (read byte count, whether a write was queued). */
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

/** libuv's codes for the end of input, and for a shutdown of a socket no longer connected (0 if this Node does not list them). */
export const UV_EOF = uvErrno('EOF');
export const UV_ENOTCONN = uvErrno('ENOTCONN');

function lookup(): StreamBinding | null {
  if (UV_EOF === 0 || UV_ENOTCONN === 0) return null;
  try {
    const b = (process as unknown as { binding(name: string): Partial<StreamBinding> }).binding('stream_wrap');
    const { WriteWrap, ShutdownWrap, streamBaseState, kReadBytesOrError, kLastWriteWasAsync } = b;
    if (typeof WriteWrap !== 'function' || typeof ShutdownWrap !== 'function' || !(streamBaseState instanceof Int32Array)) return null;
    if (typeof kReadBytesOrError !== 'number' || typeof kLastWriteWasAsync !== 'number') return null;
    return { WriteWrap, ShutdownWrap, streamBaseState, kReadBytesOrError, kLastWriteWasAsync };
  } catch {
    return null;
  }
}

/** What carries this process's connections; see the top of this file. */
export type IoPath = 'handles' | 'sockets';

let binding: StreamBinding | null | undefined;
let publicOnly = false;

/**
 * The path a program asked for (`--io`), before it makes a connection:
 * 'sockets' forces the public API, 'handles' takes the internals when this
 * Node has them. A program run in-process (main(argv)) sets it on every
 * run, so that one run's --io sockets does not outlive it.
 */
export function chooseIo(path: IoPath): void {
  publicOnly = path === 'sockets';
  binding = undefined;
}

/** The binding, looked up on the first call; null when this Node lacks any of it, or the public API is forced. */
export function streamBinding(): StreamBinding | null {
  if (binding === undefined) binding = publicOnly ? null : lookup();
  return binding;
}

/** The path this process uses: 'handles' when the internals are there and not refused, else 'sockets'. */
export function ioPath(): IoPath {
  return streamBinding() === null ? 'sockets' : 'handles';
}

/** A libuv status as the Error Node would make of it. */
export function uvError(status: number, syscall: string): Error {
  const code = getSystemErrorName(status);
  return Object.assign(new Error(`${syscall} ${code}`), { errno: status, code, syscall });
}

/** libuv's (negative) number for an error name such as 'EOF'; 0 when this Node does not list it. */
function uvErrno(name: string): number {
  for (const [code, [n]] of getSystemErrorMap()) if (n === name) return code;
  return 0;
}
