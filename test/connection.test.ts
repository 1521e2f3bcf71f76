/** Reply batching inside one connection, observed through a fake socket that records every write. */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { codecs } from '../src/protocol/index.js';
import { type ConnectionOwner, EchoConnection, FixedConnection } from '../src/server/connection.js';
import { FrameTable, tableCapacity } from '../src/protocol/batch.js';
import { SocketStream } from '../src/io/sockets.js';
import type { Transport } from '../src/io/transport.js';

class FakeSocket {
  /** The buffers passed to write(), by reference, as a pending write would hold them. */
  writes: Buffer[] = [];
  /** Bytes written but not taken by the "kernel". */
  writableLength = 0;
  paused = false;
  destroyed = false;
  /** When set, writes stay pending until drainAll(); otherwise the kernel takes them at once. */
  stuck = false;
  callbacks: Array<(err?: Error | null) => void> = [];
  write(b: Buffer, cb?: (err?: Error | null) => void): boolean {
    this.writes.push(b);
    if (this.stuck) this.writableLength += b.length;
    if (cb !== undefined) {
      if (this.stuck) this.callbacks.push(cb);
      else queueMicrotask(() => cb());
    }
    return this.writableLength < 16384;
  }
  /** The peer reads: every pending write completes. */
  drainAll() {
    this.writableLength = 0;
    for (const cb of this.callbacks.splice(0)) cb();
  }
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  end() {
    this.ended = true;
  }
  ended = false;
}

function owner(maxPending = 1 << 20): ConnectionOwner {
  return {
    stats: { messages: 0, ignored: 0, bytesIn: 0, bytesOut: 0, outputPauses: 0 },
    maxPending,
    onProtocolError: () => assert.fail('no protocol error expected'),
    onSocketError: () => {},
    forget: () => {},
  };
}

/** The connection's transport: the fake socket as the public path carries it (read by events, written with socket.write). */
function on(sock: FakeSocket): Transport {
  return new SocketStream(sock as unknown as Socket);
}

const frames = (n: number, prefix = 'm') => Buffer.concat(Array.from({ length: n }, (_, i) => codecs.length.frame(Buffer.from(`${prefix}${i}`))));

describe('fixed mode', () => {
  const reply = codecs.length.frame(Buffer.from('respuesta'));
  const table = new FrameTable(reply);

  it('answers the messages of one read with one write of the preallocated replies', () => {
    const sock = new FakeSocket();
    const o = owner();
    const conn = new FixedConnection(o, on(sock), 'peer', codecs.length, 1024, table);
    const input = frames(10);
    conn.onData(input, 0, input.length);
    assert.equal(sock.writes.length, 1);
    assert.deepEqual(sock.writes[0], Buffer.concat(Array(10).fill(reply)));
    assert.equal(o.stats.messages, 10);
    assert.equal(o.stats.bytesIn, input.length);
    assert.equal(o.stats.bytesOut, 10 * reply.length);
    // The same prebuilt view every time: nothing allocated per batch.
    conn.onData(input, 0, input.length);
    assert.equal(sock.writes[1], sock.writes[0]);
  });

  it('answers a read of more messages than a table holds with one write per table-full', () => {
    const sock = new FakeSocket();
    const small = new FrameTable(reply, 64);
    const conn = new FixedConnection(owner(), on(sock), 'peer', codecs.length, 1024, small);
    const n = 64 * 3 + 5;
    const input = frames(n);
    conn.onData(input, 0, input.length);
    assert.deepEqual(
      sock.writes.map((w) => w.length / reply.length),
      [64, 64, 64, 5],
    );
    assert.deepEqual(Buffer.concat(sock.writes), Buffer.concat(Array(n).fill(reply)));
  });

  it('a table sized to --max-pending answers 1 000 messages of one read in one write', () => {
    const sock = new FakeSocket();
    const maxPending = 256 * 1024;
    const big = new FrameTable(reply, tableCapacity(reply.length, maxPending));
    const conn = new FixedConnection(owner(maxPending), on(sock), 'peer', codecs.length, 1024, big);
    const input = frames(1000);
    conn.onData(input, 0, input.length);
    assert.equal(sock.writes.length, 1);
    assert.deepEqual(sock.writes[0], Buffer.concat(Array(1000).fill(reply)));
  });

  it('stops reading when unsent replies reach --max-pending, and reads again once they are out', () => {
    const sock = new FakeSocket();
    sock.stuck = true;
    const o = owner(3 * reply.length);
    const conn = new FixedConnection(o, on(sock), 'peer', codecs.length, 1024, table);
    const two = frames(2);
    conn.onData(two, 0, two.length);
    assert.equal(sock.paused, false, 'two replies pending: under the bound');
    const one = frames(1);
    conn.onData(one, 0, one.length);
    assert.equal(sock.paused, true, 'three replies pending: at the bound');
    assert.equal(o.stats.outputPauses, 1);
    sock.drainAll();
    assert.equal(sock.paused, false);
    assert.equal(Buffer.concat(sock.writes).length, 3 * reply.length);
  });

  it('holds back replies beyond the bound and sends every one, in order, as room appears', () => {
    const sock = new FakeSocket();
    sock.stuck = true;
    const o = owner(10 * reply.length);
    const conn = new FixedConnection(o, on(sock), 'peer', codecs.length, 1024, table);
    const input = frames(25);
    conn.onData(input, 0, input.length);
    // Only what fits under the bound was written; the read side is paused.
    assert.equal(Buffer.concat(sock.writes).length, 10 * reply.length);
    assert.equal(sock.paused, true);
    sock.drainAll();
    assert.equal(Buffer.concat(sock.writes).length, 20 * reply.length);
    assert.equal(sock.paused, true);
    sock.drainAll();
    assert.equal(Buffer.concat(sock.writes).length, 25 * reply.length);
    assert.equal(sock.paused, false);
    assert.equal(o.stats.messages, 25);
    assert.ok(sock.writableLength <= 10 * reply.length);
  });

  it('a half-closed peer is closed only after its held-back replies are out', () => {
    const sock = new FakeSocket();
    sock.stuck = true;
    let closedAt = -1;
    sock.end = () => {
      closedAt = Buffer.concat(sock.writes).length;
    };
    const conn = new FixedConnection(owner(4 * reply.length), on(sock), 'peer', codecs.length, 1024, table);
    const input = frames(10);
    conn.onData(input, 0, input.length);
    conn.onPeerEnd();
    assert.equal(closedAt, -1);
    sock.drainAll();
    sock.drainAll();
    assert.equal(closedAt, 10 * reply.length);
  });
});

describe('echo mode', () => {
  it('answers one read with one write, and never overwrites a buffer a pending write still holds, whichever connection writes next', () => {
    const sock = new FakeSocket();
    const conn = new EchoConnection(owner(), on(sock), 'peer', codecs.length, 1024);
    const other = new FakeSocket();
    const otherConn = new EchoConnection(owner(), on(other), 'other', codecs.length, 1024);
    const first = frames(50, 'a');
    conn.onData(first, 0, first.length);
    assert.equal(sock.writes.length, 1);
    assert.deepEqual(sock.writes[0], first);

    // Taken at once: the next batch, of either connection, reuses the buffer.
    const second = frames(50, 'b');
    otherConn.onData(second, 0, second.length);
    assert.deepEqual(other.writes[0], second);
    assert.equal(other.writes[0].buffer, sock.writes[0].buffer);

    // The kernel does not take this one: the write is pending and references the buffer.
    sock.stuck = true;
    const third = frames(50, 'c');
    conn.onData(third, 0, third.length);
    const fourth = frames(50, 'd');
    otherConn.onData(fourth, 0, fourth.length);
    conn.onData(fourth, 0, fourth.length);
    assert.deepEqual(sock.writes[1], third, 'the pending write still sees its own bytes');
    assert.deepEqual(other.writes[1], fourth);
    assert.deepEqual(sock.writes[2], fourth);
    assert.notEqual(other.writes[1].buffer, sock.writes[1].buffer);
  });

  it('echoes a message that straddles reads once it completes', () => {
    const sock = new FakeSocket();
    const conn = new EchoConnection(owner(), on(sock), 'peer', codecs.line, 1024);
    const input = Buffer.from('hola\r\nmun');
    conn.onData(input, 0, input.length);
    // Copied now: with nothing pending, the connection may reuse its buffer.
    const firstWrite = sock.writes[0].toString();
    const rest = Buffer.from('do\n');
    conn.onData(rest, 0, rest.length);
    assert.equal(firstWrite, 'hola\n');
    assert.equal(sock.writes[1].toString(), 'mundo\n');
  });
});
