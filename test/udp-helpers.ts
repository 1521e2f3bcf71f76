/**
 * A UDP peer for the tests of the server's --udp: a dgram socket on an
 * ephemeral loopback port that sends datagrams and collects the replies in
 * order, closed when the test ends. Waiting is for a reply, never for a
 * while; "no reply" is shown by the reply to the next good datagram coming
 * first (datagrams between two loopback sockets arrive in order).
 */
import { type Socket, createSocket } from 'node:dgram';
import type { TestContext } from 'node:test';
import { WAIT_MS, onTeardown, withDeadline } from './helpers.js';

export interface UdpPeer {
  socket: Socket;
  /** Every reply so far, in order. */
  replies: Buffer[];
  /** Send one datagram to the server's `port`; resolves once the kernel has it. */
  send(port: number, data: Buffer | string): Promise<void>;
  /** The next reply not yet taken by `next`. */
  next(timeoutMs?: number): Promise<Buffer>;
  /** Send `data` and resolve with the reply to it (the next one). */
  ask(port: number, data: Buffer | string): Promise<Buffer>;
}

export async function udpPeer(t: TestContext, host = '127.0.0.1'): Promise<UdpPeer> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  onTeardown(t, () => new Promise<void>((resolve) => socket.close(() => resolve())));
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  const replies: Buffer[] = [];
  let taken = 0;
  let wake: (() => void) | null = null;
  socket.on('message', (m) => {
    replies.push(m);
    wake?.();
  });
  const send = (port: number, data: Buffer | string) =>
    new Promise<void>((resolve, reject) => socket.send(typeof data === 'string' ? Buffer.from(data) : data, port, host, (err) => (err ? reject(err) : resolve())));
  const next = (timeoutMs = WAIT_MS) =>
    withDeadline(
      new Promise<Buffer>((resolve) => {
        const check = () => {
          if (taken < replies.length) {
            wake = null;
            resolve(replies[taken++]);
          }
        };
        wake = check;
        check();
      }),
      `reply ${taken + 1} from the server`,
      timeoutMs,
    );
  const ask = async (port: number, data: Buffer | string) => {
    await send(port, data);
    return next();
  };
  return { socket, replies, send, next, ask };
}
