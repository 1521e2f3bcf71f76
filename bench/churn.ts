/**
 * RSS of bin/server under connection churn: 80 000 connections, 50 at a
 * time, each one round trip (echo mode by default) and a close; the
 * server's RSS after every 10 000. A server that leaves something behind per
 * closed connection (or leaves it for a GC that rarely comes) shows a rising
 * line; a sound one, a flat line once warm.
 *
 *   node --import tsx bench/churn.ts [handles|sockets] [server options...]    (after ./run.sh build)
 */
import { connect } from 'node:net';
import { codecs } from '../src/protocol/index.js';
import { processRssBytes } from '../src/machine/proc.js';
import { startServerProcess } from '../src/launch/server.js';
import { tcpPort } from './lib.js';

const io = process.argv[2] === 'sockets' ? 'sockets' : 'handles';
const extra = process.argv.slice(3);
const TOTAL = 80_000;
const STEP = 10_000;
const AT_ONCE = 50;

const server = await startServerProcess(['--port', '0', '--mode', 'echo', '--io', io, ...extra]);
const port = tcpPort(server);
const ping = codecs.length.frame(Buffer.from('ping'));

/** Connect, one round trip, close; resolves once closed. */
function once(): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port }, () => c.write(ping));
    c.once('data', () => c.end());
    c.once('error', reject);
    c.once('close', () => resolve());
  });
}

const rss: string[] = [];
for (let done = 0; done < TOTAL; ) {
  for (const end = done + STEP; done < end; done += AT_ONCE) await Promise.all(Array.from({ length: AT_ONCE }, once));
  rss.push((processRssBytes(server.pid) / 1048576).toFixed(1));
}
await server.stop();
console.log(`bin/server --io ${io} ${extra.join(' ')}`.trim() + `: RSS (MiB) after every ${STEP} connections: ${rss.join(' ')}`);
