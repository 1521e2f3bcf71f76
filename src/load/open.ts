/**
 * Opening a load's connections: streams (TCP, Unix sockets) with Nagle off
 * and replies read into one buffer the thread's connections share, or one
 * connected datagram socket each for UDP (udp-connection.ts).
 */
import { connectTo } from '../io/connect.js';
import { createWriter } from '../io/writes.js';
import { DatagramExchange } from '../protocol/datagram.js';
import { LoadConnection } from './connection.js';
import { requestWriters } from './requests.js';
import { SpinConnection } from './spin.js';
import type { LoadState } from './state.js';
import { Datagrams, UdpConnection, UdpSpinConnection, openDatagrams } from './udp-connection.js';

/** One read buffer per thread, shared by its connections: each read is decoded in full before the next. */
const READ_BUFFER = 64 * 1024;
/** Connections opened at once; more could overflow the server's accept backlog. */
const CONNECT_BATCH = 128;

/**
 * Make the load's connections into `conns` and open them. Rejects when one
 * cannot connect; the caller closes the ones made.
 */
export async function openConnections(load: LoadState, conns: LoadConnection[]): Promise<void> {
  const spec = load.spec;
  // Spinning (spin.ts): the wait for each due time is the connection's own.
  const spin = spec.spin === true && load.open;
  const target = spec.target;
  if (target.transport === 'udp') {
    const exchange = new DatagramExchange(spec);
    const Connection = spin ? UdpSpinConnection : UdpConnection;
    const made: UdpConnection[] = [];
    for (let i = 0; i < spec.connections; i++) made.push(new Connection(load, spec.firstConnection + i, new Datagrams(exchange, spec.pipeline)));
    conns.push(...made);
    await openDatagrams(made, target);
    return;
  }
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER);
  const writerFor = requestWriters(load.exchange.request, load.exchange.sockperf, spec.pipeline);
  const Connection = spin ? SpinConnection : LoadConnection;
  for (let i = 0; i < spec.connections; i++) conns.push(new Connection(load, spec.firstConnection + i, writerFor()));
  for (let i = 0; i < conns.length; i += CONNECT_BATCH) {
    await Promise.all(
      conns.slice(i, i + CONNECT_BATCH).map(async (c) => {
        c.socket = await connectTo(target, { buffer: readBuffer, callback: (n) => c.onRead(readBuffer, n) });
        if (c.dead) return void c.socket.destroy(); // the load was closed while this one connected
        c.out = createWriter(c.socket);
        c.socket.on('error', (err) => c.fail('lost', err.message));
        c.socket.on('end', () => c.fail('closed'));
        c.socket.on('close', () => c.fail('closed'));
      }),
    );
  }
}
