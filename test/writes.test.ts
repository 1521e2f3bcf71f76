/** src/io/writes.ts over real socket pairs: both write paths behave as socket.write does. */
import assert from 'node:assert/strict';
import { Socket, connect } from 'node:net';
import { once } from 'node:events';
import { type TestContext, describe, it } from 'node:test';
import { StreamWriter, type Writer, createWriter } from '../src/io/writes.js';
import { ioPath } from '../src/io/binding.js';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, closed, listenRaw, onTeardown, waitUntil, withDeadline } from './helpers.js';

/** A connected pair: `ours` (written with a writer) and `peer` (its other end, paused); both closed when test `t` ends. */
async function pair(t: TestContext): Promise<{ ours: Socket; peer: Socket }> {
  let accept!: (s: Socket) => void;
  const accepted = new Promise<Socket>((resolve) => (accept = resolve));
  const { port } = await listenRaw(t, (s) => {
    s.pause();
    accept(s);
  });
  const ours = connect({ port, host: '127.0.0.1', noDelay: true });
  onTeardown(t, () => ours.destroy());
  await withDeadline(once(ours, 'connect'), 'the connection');
  const peer = await withDeadline(accepted, 'the accepted connection');
  return { ours, peer };
}

/** Read exactly `n` bytes from a paused socket. */
function readAll(s: Socket, n: number): Promise<Buffer> {
  return withDeadline(
    new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      let got = 0;
      s.on('data', (c: Buffer) => {
        parts.push(c);
        got += c.length;
        if (got >= n) resolve(Buffer.concat(parts));
      });
      s.once('error', reject);
      s.resume();
    }),
    `${n} bytes`,
  );
}

describe('writes', () => {
  it("Node's internals are there on this Node: the 'handles' path, with direct writes", () => {
    // Node 20, 22 and 24 have them; elsewhere every program falls back to net.Socket (test/fallback.test.ts).
    assert.equal(ioPath(), 'handles');
    assert.equal(createWriter(new Socket()).path, 'direct');
  });

  it('the public path forced never calls the deprecated process.binding; otherwise it is called once', () => {
    // Node warns about process.binding (DEP0111) only under --pending-deprecation.
    const warnings = (forced: boolean) => {
      const dist = (m: string) => JSON.stringify(join(ROOT, `dist/io/${m}.js`));
      const code =
        `Promise.all([import(${dist('binding')}), import(${dist('writes')})]).then(([b, w]) => {` +
        `${forced ? 'b.chooseIo("sockets");' : ''} const net = require('node:net');` +
        `for (let i = 0; i < 2; i++) console.log(w.createWriter(new net.Socket()).path); })`;
      const r = spawnSync(process.execPath, ['--pending-deprecation', '-e', code], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, forced ? 'stream\nstream\n' : 'direct\ndirect\n');
      return r.stderr.split('DEP0111').length - 1;
    };
    assert.equal(warnings(true), 0);
    assert.equal(warnings(false), 1);
  });

  const writers: Record<'direct' | 'stream', (s: Socket) => Writer> = { direct: createWriter, stream: (s) => new StreamWriter(s) };
  for (const path of ['direct', 'stream'] as const) {
    it(`${path}: a peer that does not read makes writes queue; every byte arrives in order and every callback runs once, never synchronously`, async (t) => {
      const { ours, peer } = await pair(t);
      const w = writers[path](ours);
      assert.equal(w.path, path);
      // 64 KiB chunks, each filled with its number (mod 256), until the socket buffers are full.
      const CHUNK = 64 * 1024;
      let calls = 0;
      const done: Array<Promise<void>> = [];
      for (let i = 0; w.pending() === 0 && i < 4096; i++) {
        done.push(
          new Promise<void>((resolve, reject) =>
            w.write(Buffer.alloc(CHUNK, i & 0xff), (err) => {
              if (err) return reject(err);
              calls++;
              resolve();
            }),
          ),
        );
      }
      assert.equal(calls, 0, 'no callback runs synchronously');
      assert.ok(w.pending() > 0, `writes queued after ${done.length} chunks`);
      let got = 0;
      let wrong = -1;
      peer.on('data', (c: Buffer) => {
        for (let k = 0; k < c.length; k += 997) if (wrong < 0 && c[k] !== (Math.floor((got + k) / CHUNK) & 0xff)) wrong = got + k;
        got += c.length;
      });
      peer.resume();
      await withDeadline(Promise.all(done), 'every write callback');
      assert.equal(calls, done.length);
      assert.equal(w.pending(), 0);
      await waitUntil(() => got >= done.length * CHUNK, `the peer to read ${done.length * CHUNK} bytes`);
      assert.equal(got, done.length * CHUNK);
      assert.equal(wrong, -1, `byte ${wrong} is out of order`);
    });

    it(`${path}: small writes the kernel takes at once leave nothing pending and arrive intact`, async (t) => {
      const { ours, peer } = await pair(t);
      const w = writers[path](ours);
      const msg = Buffer.from('respuesta');
      for (let i = 0; i < 1000; i++) w.write(msg, null);
      assert.equal(w.pending(), 0);
      assert.deepEqual(await readAll(peer, 9000), Buffer.alloc(9000, msg));
    });

    it(`${path}: writing to a peer that has reset the connection destroys the socket with a write error`, async (t) => {
      const { ours, peer } = await pair(t);
      const w = writers[path](ours);
      const errors: Error[] = [];
      ours.on('error', (e) => errors.push(e));
      // The peer's close means its reset has left: over loopback it is in our kernel by then.
      peer.resetAndDestroy();
      await closed(peer);
      const big = Buffer.alloc(1024 * 1024);
      // Write until the socket learns of the reset: each write waits for its callback (or the close), not for a while.
      for (let i = 0; i < 8 && !ours.destroyed; i++) {
        const gone = new Promise<void>((resolve) => ours.once('close', () => resolve()));
        await withDeadline(Promise.race([gone, new Promise<void>((resolve) => w.write(big, () => resolve()))]), 'a write to complete or fail');
      }
      await closed(ours);
      assert.ok(ours.destroyed);
      assert.ok(errors.length >= 1, 'an error was emitted');
      assert.match(String((errors[0] as NodeJS.ErrnoException).code), /^(EPIPE|ECONNRESET)$/);
      // A write after the socket is gone is dropped; its callback still runs.
      await withDeadline(new Promise<void>((resolve) => w.write(big, () => resolve())), 'the callback of a write after the close');
    });
  }
});
