/**
 * The server's listeners: a TCP one and/or a Unix socket one, each a
 * `net.Server`. A single server binds them exclusively (no port sharing with
 * another process); a worker (workers.ts) shares them with its siblings, by
 * SO_REUSEPORT or through the cluster module's primary.
 */
import { readFileSync } from 'node:fs';
import { type ListenOptions, type Server, type Socket, createServer } from 'node:net';
import type { Logger } from '../cli/log.js';
import { claimUnixPath } from './unix.js';

/** How a worker's listeners are shared with its siblings' (workers.ts): SO_REUSEPORT, or the cluster primary's one listener. */
export type Distribution = 'reuseport' | 'cluster';

/** Node's listen queue length when none is given (net.Server.listen's backlog). */
export const DEFAULT_BACKLOG = 511;

/**
 * Warn, in one line, of a --backlog the kernel will not give: Linux caps
 * every listen queue at net.core.somaxconn. Nothing when it fits, or when
 * that cannot be read.
 */
export function warnIfBacklogCapped(log: Logger, backlog: number): void {
  let somaxconn: number;
  try {
    somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  } catch {
    return;
  }
  if (backlog <= somaxconn) return;
  log.warn(
    'backlog-capped',
    { backlog, somaxconn },
    `warning: --backlog ${backlog} is above net.core.somaxconn (${somaxconn}): the kernel queues ${somaxconn} connections; raise it with sysctl -w net.core.somaxconn=${backlog}`,
  );
}

export interface Listener {
  transport: 'tcp' | 'unix' | 'udp';
  /** `tcp://HOST:PORT`, `unix:PATH` or `udp://HOST:PORT` */
  url: string;
  host?: string;
  port?: number;
  path?: string;
  /** UDP: the path that carries its datagrams (src/io/datagrams.ts). */
  io?: 'handles' | 'sockets';
}

/**
 * A `net.Server` that hands each accepted socket to `onSocket`, not yet
 * reading. allowHalfOpen: a peer that half-closes still gets every reply it
 * is owed (some may be held back by the output bound); then we close.
 * pauseOnConnect: nothing is read before the connection is set up.
 */
export function createListener(onSocket: (socket: Socket) => void): Server {
  return createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, onSocket);
}

/**
 * Bind `server` to a TCP address (port 0: an ephemeral one); resolves with
 * the endpoint it got. `share`, in a worker: its own listener in the port's
 * SO_REUSEPORT group ('reuseport'), or the cluster primary's ('cluster').
 * `backlog`: the listen queue's length (Node's default, 511, when undefined).
 */
export async function listenTcp(server: Server, host: string, port: number, share?: Distribution, backlog?: number): Promise<Listener> {
  // reusePort is Node 22.12+; @types/node 20 does not name it.
  await bind(server, { host, port, backlog, exclusive: share !== 'cluster', ...(share === 'reuseport' ? { reusePort: true } : {}) } as ListenOptions);
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('TCP listener has no address');
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { transport: 'tcp', url: `tcp://${shown}:${addr.port}`, host: addr.address, port: addr.port };
}

/**
 * Bind `server` to a Unix socket at `path`, replacing a stale socket file
 * (claimUnixPath), with the file's permission bits `mode` from its birth.
 * `shared`, in a worker: the cluster primary binds it (having claimed the
 * path and set the umask itself) and every worker accepts from it.
 */
export async function listenUnix(server: Server, path: string, mode: number, shared = false, backlog?: number): Promise<Listener> {
  if (shared) {
    await bind(server, { path, backlog, exclusive: false });
    return { transport: 'unix', url: `unix:${path}`, path };
  }
  await claimUnixPath(path);
  // The socket file is created with 0777 & ~umask: set the umask so that it
  // is born with `mode`, with no window in which others may connect.
  const umask = process.umask(0o777 & ~mode);
  try {
    await bind(server, { path, backlog, exclusive: true });
  } finally {
    process.umask(umask);
  }
  return { transport: 'unix', url: `unix:${path}`, path };
}

function bind(server: Server, options: ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
