/**
 * The public path ('sockets', binding.ts): a connection's stream is the
 * `net.Socket` that `net.Server` accepted, read with 'data' events and
 * written with `socket.write`, as any Node program does. It is the fallback
 * when Node's internals are missing or refused, and what `--io sockets`
 * forces; the server's guarantees hold on it too (test/hardening.test.ts
 * runs them on both paths).
 */
import type { Socket } from 'node:net';
import type { Transport, TransportEvents } from './transport.js';
import { StreamWriter, type Writer } from './writes.js';

const kStream = Symbol('stream');
type TaggedSocket = Socket & { [kStream]: SocketStream };

/** A `net.Socket` (accepted with `pauseOnConnect`, `allowHalfOpen`) as a Transport. */
export class SocketStream implements Transport {
  readonly socket: Socket;
  readonly writer: Writer;
  events!: TransportEvents;

  constructor(socket: Socket) {
    this.socket = socket;
    this.writer = new StreamWriter(socket);
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  open(events: TransportEvents): void {
    this.events = events;
    const socket = this.socket as TaggedSocket;
    socket[kStream] = this;
    socket.setNoDelay(true);
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    socket.resume();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    this.socket.end();
  }

  destroy(err?: Error): void {
    this.socket.destroy(err);
  }
}

// Named handlers, attached once per socket; `this` is the socket.
function onSocketData(this: TaggedSocket, chunk: Buffer): void {
  this[kStream].events.onData(chunk, 0, chunk.length);
}

function onSocketEnd(this: TaggedSocket): void {
  this[kStream].events.onPeerEnd();
}

function onSocketError(this: TaggedSocket, err: Error): void {
  this[kStream].events.onError(err);
}

function onSocketClose(this: TaggedSocket): void {
  this[kStream].events.onClose();
}

/** The peer as the server names it in its log: `address:port`, or `unix#id` for a Unix socket. */
export function socketPeer(socket: Socket, id: number): string {
  return socket.remoteAddress !== undefined ? `${socket.remoteAddress}:${socket.remotePort}` : `unix#${id}`;
}
