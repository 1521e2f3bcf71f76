/**
 * What a server connection needs of its byte stream, whichever path carries
 * it (binding.ts decides): a bare accepted handle (handles.ts) or a
 * `net.Socket` (sockets.ts). The connection never learns which.
 */
import type { Writer } from './writes.js';

export interface Transport {
  readonly destroyed: boolean;
  /** Every byte the connection sends goes through it. */
  readonly writer: Writer;
  /** Start reading, reporting to `events` until the close. */
  open(events: TransportEvents): void;
  /** Stop reading (the output bound is reached). */
  pause(): void;
  /** Read again. */
  resume(): void;
  /** Shut down the write side once every queued write is out; close when the peer has closed too. */
  end(): void;
  /** Close at once; `err`, when given, is reported. */
  destroy(err?: Error): void;
}

/** What a transport reports, in order: data and the peer's end, then at most one error, then the close. */
export interface TransportEvents {
  /** Bytes `buf[start, end)` arrived; valid only during the call. */
  onData(buf: Buffer, start: number, end: number): void;
  /** The peer half-closed: no more data will arrive. */
  onPeerEnd(): void;
  onError(err: Error): void;
  /** Closed: the last event. */
  onClose(): void;
}
