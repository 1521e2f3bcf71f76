/**
 * One write per read on the default path: bare accepted handles (src/io/handles.ts)
 * written directly (src/io/writes.ts), as the server runs them, over a real
 * loopback connection. Every write request the writer issues is counted at
 * the handle.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { type AcceptedHandle, HandleStream, takeConnections } from '../src/io/handles.js';
import type { WriteRequest } from '../src/io/binding.js';
import { codecs } from '../src/protocol/index.js';
import { type ConnectionOwner, EchoConnection, FixedConnection, fixedReplies } from '../src/server/connection.js';
import { createListener, listenTcp } from '../src/server/listeners.js';

const MAX_PENDING = 256 * 1024; // the server's default
const frames = (n: number) => Buffer.concat(Array.from({ length: n }, (_, i) => codecs.length.frame(Buffer.from(`m${i}`))));

function owner(): ConnectionOwner {
  return {
    stats: { messages: 0, ignored: 0, bytesIn: 0, bytesOut: 0, outputPauses: 0 },
    maxPending: MAX_PENDING,
    onProtocolError: () => assert.fail('no protocol error expected'),
    onSocketError: () => assert.fail('no socket error expected'),
    forget: () => {},
  };
}

/**
 * Serve one connection on a bare handle with the connection `make` builds;
 * send `input` in one write; resolve with the reads the server made and the
 * writes it issued (bytes each), once `expect` reply bytes have arrived.
 */
async function exchange(make: (stream: HandleStream) => FixedConnection | EchoConnection, input: Buffer, expect: number) {
  const server = createListener(() => assert.fail('no net.Socket on this path'));
  await listenTcp(server, '127.0.0.1', 0);
  const reads: number[] = [];
  const writes: number[] = [];
  const taken = takeConnections(server, (status, handle?: AcceptedHandle) => {
    assert.equal(status, 0);
    const h = handle!;
    const writeBuffer = h.writeBuffer;
    h.writeBuffer = function (this: AcceptedHandle, req: WriteRequest, data: Buffer) {
      writes.push(data.length);
      return writeBuffer.call(this, req, data);
    };
    const stream = new HandleStream(h, Buffer.allocUnsafe(64 * 1024));
    const conn = make(stream);
    const onData = conn.onData;
    conn.onData = function (buf, start, end) {
      reads.push(end - start);
      onData.call(this, buf, start, end);
    };
    stream.open(conn);
  });
  assert.ok(taken, 'this Node hands over accepted handles');
  const { port } = server.address() as { port: number };
  const client = connect({ host: '127.0.0.1', port, noDelay: true });
  try {
    await once(client, 'connect');
    client.write(input);
    let got = 0;
    for await (const chunk of client) {
      got += (chunk as Buffer).length;
      if (got >= expect) break;
    }
    assert.equal(got, expect);
  } finally {
    client.destroy();
    server.close();
  }
  return { reads, writes };
}

describe('one write per read, on bare handles with direct writes', () => {
  it('fixed mode: the replies to 1 000 messages leave in as many writes as there were reads (not one per 64)', async () => {
    const replies = fixedReplies(codecs.length, 'respuesta', MAX_PENDING);
    const { reads, writes } = await exchange((s) => new FixedConnection(owner(), s, 'peer', codecs.length, 1024, replies), frames(1000), 1000 * replies.frameSize);
    // The 1 000 messages (about 6 KB) nearly always arrive in one read; however
    // many reads they took, each that completed a message made exactly one write.
    assert.ok(writes.length <= reads.length, `${writes.length} writes for ${reads.length} reads`);
    assert.equal(
      writes.reduce((a, b) => a + b, 0),
      1000 * replies.frameSize,
    );
  });

  it('echo mode: the same', async () => {
    const input = frames(1000);
    const { reads, writes } = await exchange((s) => new EchoConnection(owner(), s, 'peer', codecs.length, 1024), input, input.length);
    assert.ok(writes.length <= reads.length, `${writes.length} writes for ${reads.length} reads`);
    assert.equal(
      writes.reduce((a, b) => a + b, 0),
      input.length,
    );
  });
});
