import { lstatSync, rmSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * Make `path` free for a new Unix socket listener. A socket file left by a
 * dead process (nobody accepts on it) is removed; one a live server answers
 * on, or a path that is not a socket at all, is refused with a clear message.
 */
export async function claimUnixPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  const live = await new Promise<boolean>((resolve, reject) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(err);
    });
  });
  if (live) throw new Error(`unix:${path} is in use by a live server`);
  rmSync(path, { force: true });
}
