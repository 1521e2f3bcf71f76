/**
 * What a server connection needs of its byte stream, whichever carries it:
 * a `net.Socket` (which has all of this already) or a bare accepted handle
 * (handles.ts).
 */
export interface Transport {
  readonly destroyed: boolean;
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
