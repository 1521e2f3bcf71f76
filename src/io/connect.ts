import { type Socket, type OnReadOpts, connect } from 'node:net';

/** Where a client connects: TCP host and port, a Unix socket path, or UDP host and port (src/load/udp-connection.ts). */
export type Target = { transport: 'tcp'; host: string; port: number } | { transport: 'unix'; path: string } | { transport: 'udp'; host: string; port: number };

/** A stream target: what connectTo opens. */
export type StreamTarget = Exclude<Target, { transport: 'udp' }>;

export function targetUrl(t: Target): string {
  if (t.transport === 'unix') return `unix:${t.path}`;
  return t.host.includes(':') ? `${t.transport}://[${t.host}]:${t.port}` : `${t.transport}://${t.host}:${t.port}`;
}

/**
 * Connect with Nagle off. With `onread`, replies land in a buffer the caller
 * owns and reuses (no allocation per read); Node honours it for connections
 * it initiates.
 */
export function connectTo(t: StreamTarget, onread?: OnReadOpts): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = t.transport === 'unix' ? connect({ path: t.path, onread }) : connect({ host: t.host, port: t.port, noDelay: true, onread });
    const onError = (err: Error) => {
      socket.destroy();
      // The socket's error as the cause: its code (ECONNREFUSED, ENOENT) tells what to advise (src/cli/hints.ts).
      reject(new Error(`cannot connect to ${targetUrl(t)}: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
