/** Small helpers shared by the scripts in bench/. */
import { createSocket } from 'node:dgram';
import { type Socket, connect } from 'node:net';
import type { ServerProcess } from '../src/launch/server.js';
import { fewestRuns } from '../src/results/noise-compare.js';
import { CONFIDENCE, type RatioEstimate } from '../src/stats/noise.js';

/** Resolves once something accepts connections on 127.0.0.1:`port` (for servers that print no readiness line, such as sockperf's). */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/**
 * Resolves once a sockperf responder answers on UDP 127.0.0.1:`port`: UDP has
 * no connection to wait for, so a ping (sockperf framing, CLIENT|PONG) is
 * sent every 50 ms until its reply comes back.
 */
export async function waitForUdp(port: number, timeoutMs = 10_000): Promise<void> {
  const ping = Buffer.alloc(64);
  ping.writeUInt16BE(3, 8);
  ping.writeUInt32BE(64, 10);
  const s = createSocket('udp4');
  try {
    const answered = new Promise<void>((resolve) => s.once('message', () => resolve()));
    s.on('error', () => {}); // ECONNREFUSED while nothing is bound yet: try again
    s.connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      s.send(ping);
      const ok = await Promise.race([answered.then(() => true), new Promise<boolean>((r) => setTimeout(r, 50, false))]);
      if (ok) return;
    }
    throw new Error(`nothing answers on UDP port ${port}`);
  } finally {
    s.close();
  }
}

/** Open `n` connections to 127.0.0.1:`port`, 500 at a time (more at once could overflow the accept backlog). */
export async function openConnections(port: number, n: number): Promise<Socket[]> {
  const socks: Socket[] = [];
  for (let i = 0; i < n; i += 500) {
    const batch = Array.from(
      { length: Math.min(500, n - i) },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const c = connect({ host: '127.0.0.1', port }, () => resolve(c));
          c.once('error', reject);
        }),
    );
    socks.push(...(await Promise.all(batch)));
  }
  return socks;
}

/** Send `message` on every socket at once; resolves when each has had a first reply (rejects on a socket's error). */
export async function replyOnEach(socks: readonly Socket[], message: Buffer): Promise<void> {
  await Promise.all(
    socks.map(
      (s) =>
        new Promise<void>((resolve, reject) => {
          s.once('data', () => resolve());
          s.once('error', reject);
          s.write(message);
        }),
    ),
  );
}

/** The TCP port of a started server. */
export function tcpPort(s: ServerProcess): number {
  if (s.target.transport !== 'tcp') throw new Error('the server has no TCP listener');
  return s.target.port;
}

/** The median of a few figures (rounds of a measurement), as the statistics of repeated runs take it. */
export { median } from '../src/stats/noise.js';

/** A ratio or an interval's bound as the bench tables write it: two decimals, one from 10 up. */
export const fmtRatioBound = (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));

/**
 * A ratio's 95% interval as bench/ab.ts and bench/compare.ts print it,
 * `[1.19, 1.31]`; or, when the rounds are too few for one, why:
 * `(no interval: 3 rounds, 4 needed)` (`rounds` the fewer of the two sides').
 */
export function intervalText(e: RatioEstimate, rounds: number): string {
  if (e.low !== null && e.high !== null) return `[${fmtRatioBound(e.low)}, ${fmtRatioBound(e.high)}]`;
  return `(no interval: ${rounds} round${rounds === 1 ? '' : 's'}, ${fewestRuns(CONFIDENCE)} needed)`;
}
