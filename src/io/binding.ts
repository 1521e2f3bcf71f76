/**
 * Node's `stream_wrap` binding: the pieces of Node's own stream code that
 * direct writes (writes.ts) and bare handles (handles.ts) use in place of
 * `net.Socket`. None of it is documented, so every piece is checked here,
 * once, on first use; when any is missing (another Node), `streamBinding()`
 * returns null and the callers fall back to `net.Socket`. `process.binding`
 * is deprecated (DEP0111, a warning only under --pending-deprecation), so it
 * is called only when one of those paths is asked for.
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

function lookup(): StreamBinding | null {
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

let binding: StreamBinding | null | undefined;

/** The binding, looked up on the first call; null when this Node lacks any of it. */
export function streamBinding(): StreamBinding | null {
  if (binding === undefined) binding = lookup();
  return binding;
}

/** A libuv status as the Error Node would make of it. */
export function uvError(status: number, syscall: string): Error {
  const code = getSystemErrorName(status);
  return Object.assign(new Error(`${syscall} ${code}`), { errno: status, code, syscall });
}

/** libuv's (negative) number for an error name such as 'EOF'; 0 when this Node does not list it. */
export function uvErrno(name: string): number {
  for (const [code, [n]] of getSystemErrorMap()) if (n === name) return code;
  return 0;
}
