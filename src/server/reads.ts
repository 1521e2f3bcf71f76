/**
 * Reads into one reused buffer for accepted sockets.
 *
 * `net.connect({ onread })` makes Node read into a buffer the caller owns
 * instead of allocating a new one for every read; Node 20 offers no way to
 * ask the same for the sockets `net.Server` accepts. The machinery is there
 * all the same: a socket whose (internal) user-buffer fields are set, and
 * whose handle was told to use that buffer before reading started, is read
 * exactly as `onread` sockets are. This module does that, and only that.
 *
 * It is detected once, at start-up, from a socket built with `onread`: if
 * the fields cannot be found (another Node), `readsAvailable()` is false and
 * the server uses 'data' events, as it does with `--reads per-read`.
 *
 * One buffer serves every connection. That is safe because each read is
 * decoded in full before the next one lands, and nothing keeps a view of it:
 * a message split across reads is copied into its connection's partial
 * buffer, echo replies are copied into the connection's output buffer, and
 * fixed replies never reference input.
 */
import { Socket } from 'node:net';

type Fields = { buffer: symbol; callback: symbol; generator: symbol };

function detect(): Fields | null {
  // The constructor takes `onread` as net.connect does; the typings only list it for connect.
  const probe = new Socket({ onread: { buffer: Buffer.alloc(1), callback: () => true } } as ConstructorParameters<typeof Socket>[0]);
  const byName = new Map(Object.getOwnPropertySymbols(probe).map((s) => [s.description, s]));
  probe.destroy();
  const buffer = byName.get('kBuffer');
  const callback = byName.get('kBufferCb');
  const generator = byName.get('kBufferGen');
  return buffer && callback && generator ? { buffer, callback, generator } : null;
}

const fields = detect();

/** Whether accepted sockets can read into a shared buffer on this Node. */
export function readsAvailable(): boolean {
  return fields !== null;
}

type Handle = { useUserBuffer?: (b: Uint8Array) => void; reading?: boolean };

/**
 * Make `socket` (accepted with `pauseOnConnect`, not yet reading) read into
 * `buffer`, calling `callback` with `this` = the socket and the byte count.
 * Returns false, changing nothing, when it cannot.
 */
export function readInto(socket: Socket, buffer: Buffer, callback: (this: Socket, n: number, buf: Buffer) => void): boolean {
  const handle = (socket as unknown as { _handle: Handle | null })._handle;
  if (fields === null || handle === null || typeof handle.useUserBuffer !== 'function' || handle.reading === true) return false;
  handle.useUserBuffer(buffer);
  const s = socket as unknown as Record<symbol, unknown>;
  s[fields.buffer] = buffer;
  s[fields.callback] = callback;
  s[fields.generator] = null;
  return true;
}
