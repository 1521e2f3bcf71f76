/**
 * Hardening, against the real server process: limits, slow readers, peers
 * that break the protocol (fuzzed), many connections, shutdown under load,
 * bad command lines, and the Unix socket's permissions. Assertions are on
 * counts, order, and memory bounds stated up front; never on speed.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { type TestContext, describe, it } from 'node:test';
import fc from 'fast-check';
import { codecs } from '../src/protocol/index.js';
import { processRssBytes } from '../src/machine/proc.js';
import { IO_PATHS, type RunningServer, closed, delay, numbered, rawConnect, readBytes, readNumbered, startServer, tempDir, usageErrorTests, waitUntil } from './helpers.js';

const frame = (s: string | Buffer) => codecs.length.frame(typeof s === 'string' ? Buffer.from(s) : s);
const RESPUESTA = frame('respuesta');

const mib = (bytes: number) => (bytes / 1048576).toFixed(1);

/** One round trip on a fresh connection: proof that the server still serves. */
async function pingOnce(t: TestContext, server: { port?: number; path?: string }, transport: 'tcp' | 'unix' = 'tcp', expected = RESPUESTA): Promise<void> {
  const s = await rawConnect(t, server, transport);
  s.write(frame('ping'));
  assert.deepEqual(await readBytes(s, expected.length), expected);
  s.destroy();
}

/** How often a server started with STATS logs its counters (a `stats` event): what the tests below wait on. */
const STATS = ['--stats-interval', '100'];

function statsEvents(server: RunningServer, from = 0) {
  return server.events
    .slice(from)
    .filter((e) => e.event === 'stats')
    .map((e) => ({ open: e.open as number, messages: e.messages as number }));
}

/**
 * Resolves once the server has stopped reading a peer that sends without
 * reading: two stats events in a row (100 ms apart) count the same messages,
 * more than none. A server that could read would have read in between (a
 * timer and a read take turns in its event loop); this one is paused at its
 * output bound. The server must run with STATS.
 */
function readingStops(server: RunningServer): Promise<void> {
  return waitUntil(() => {
    const [a, b] = statsEvents(server).slice(-2);
    return b !== undefined && b.messages > 0 && a.messages === b.messages;
  }, 'the server stops reading (two stats events with the same message count)');
}

describe('limits', () => {
  for (const io of IO_PATHS) {
    it(`--max-connections: one more is closed at once, logged and counted; the others carry on (${io.name})`, async (t) => {
      const server = await startServer(['--port', '0', '--max-connections', '3', ...STATS], io);
      const open = await Promise.all([1, 2, 3].map(() => rawConnect(t, server)));
      for (const s of open) {
        s.write(frame('x'));
        assert.deepEqual(await readBytes(s, RESPUESTA.length), RESPUESTA);
      }
      const extra = await rawConnect(t, server);
      extra.on('error', () => {}); // closed at once: our write may meet a reset
      extra.write(frame('refused?'));
      assert.equal((await readBytes(extra, 1)).length, 0, 'the fourth connection gets no reply, only a close');
      const e = await server.waitFor('connection-rejected');
      assert.equal(e.limit, 3);
      assert.match(String(e.peer), /^127\.0\.0\.1:\d+$/);
      for (const s of open) {
        s.write(frame('still'));
        assert.deepEqual(await readBytes(s, RESPUESTA.length), RESPUESTA);
      }
      // Once one closes there is room again: as soon as the server counts 2 open.
      const mark = server.events.length;
      open[0].destroy();
      await closed(open[0]);
      await waitUntil(() => statsEvents(server, mark).some((s) => s.open === 2), 'the server counts 2 connections open');
      await pingOnce(t, server);
      for (const s of open) s.destroy();
      const { summary } = await server.stop();
      assert.equal(summary!.rejectedConnections, 1);
    });

    it(`--idle-timeout: a silent connection is closed and logged; a chatty one is not (${io.name})`, async (t) => {
      const IDLE_MS = 1000;
      const server = await startServer(['--port', '0', '--idle-timeout', String(IDLE_MS)], io);
      const silent = await rawConnect(t, server);
      const chatty = await rawConnect(t, server);
      let chattyClosed = false;
      chatty.on('close', () => (chattyClosed = true));
      chatty.on('data', () => {});
      // Chatting every 50 ms is what is tested: 20 times within the timeout,
      // so only a stall of a whole second could make it look silent. It goes
      // on until the silent one is closed, however late that comes.
      const chat = setInterval(() => chatty.write(frame('hi')), 50);
      try {
        await closed(silent);
      } finally {
        clearInterval(chat);
      }
      assert.equal(chattyClosed, false);
      const e = await server.waitFor('idle-timeout');
      assert.equal(e.limit, IDLE_MS);
      chatty.destroy();
      const { summary } = await server.stop();
      assert.equal(summary!.idleTimeouts, 1);
    });
  }
});

describe('slow readers', () => {
  for (const io of IO_PATHS) {
    it(`a peer that pipelines 1 000 000 messages without reading: memory stays bounded, others are served, every reply arrives in order (${io.name})`, async (t) => {
      const server = await startServer(['--port', '0', '--mode', 'echo', ...STATS], io);
      const pid = server.proc.pid!;
      const before = processRssBytes(pid);
      const slow = await rawConnect(t, server);
      slow.pause();
      const N = 1_000_000;
      slow.write(numbered(N));
      // Let the server read until its output bound stops it, then look at its memory.
      await readingStops(server);
      const stalled = processRssBytes(pid);
      // Another connection is answered normally meanwhile.
      for (let i = 0; i < 50; i++) await pingOnce(t, server, 'tcp', frame('ping'));
      const later = processRssBytes(pid);
      // 12 MB of requests and 12 MB of replies in flight; the server keeps at most
      // --max-pending (256 KiB) plus one read of replies. 32 MiB allows for the heap's own movement.
      const bound = 32 * 1024 * 1024;
      assert.ok(stalled - before < bound, `server RSS grew ${(stalled - before) / 1048576} MiB`);
      assert.ok(later - before < bound, `server RSS grew ${(later - before) / 1048576} MiB`);
      t.diagnostic(`slow reader, echo: server RSS ${mib(before)} MiB before, ${mib(stalled)} MiB stalled, ${mib(later)} MiB while serving others`);
      assert.equal(await readNumbered(slow, N), N);
      slow.destroy();
      const { summary } = await server.stop();
      assert.ok((summary!.outputPauses as number) > 0, 'the server paused reading at least once');
    });

    it(`fixed mode does not amplify: 4 KiB replies to 50 000 empty messages are held back, not buffered (${io.name})`, async (t) => {
      const big = 'r'.repeat(4096);
      const server = await startServer(['--port', '0', '--response', big, ...STATS], io);
      const pid = server.proc.pid!;
      const before = processRssBytes(pid);
      const slow = await rawConnect(t, server);
      slow.pause();
      const N = 50_000;
      slow.write(Buffer.alloc(4 * N)); // N messages of length 0
      await readingStops(server);
      // Unbounded, this would be 205 MB of replies in the server.
      const grown = processRssBytes(pid) - before;
      assert.ok(grown < 32 * 1024 * 1024, `server RSS grew ${grown / 1048576} MiB`);
      t.diagnostic(`slow reader, fixed 4 KiB replies: server RSS grew ${mib(grown)} MiB while holding back replies`);
      const reply = frame(big);
      let got = 0;
      let bytes = 0;
      await new Promise<void>((resolve) => {
        slow.on('data', (c: Buffer) => {
          bytes += c.length;
          got = Math.floor(bytes / reply.length);
          if (got >= N) resolve();
        });
        slow.resume();
      });
      assert.equal(bytes, N * reply.length);
      slow.destroy();
      await server.stop();
    });

    it(`a peer that resets with replies queued is counted and let go; others are served (${io.name})`, async (t) => {
      const server = await startServer(['--port', '0', '--mode', 'echo', ...STATS], io);
      const slow = await rawConnect(t, server);
      slow.on('error', () => {});
      slow.pause();
      slow.write(numbered(200_000));
      // Let the server fill the socket buffers and stop at its output bound, then reset.
      await readingStops(server);
      slow.resetAndDestroy();
      await closed(slow);
      for (let i = 0; i < 10; i++) await pingOnce(t, server, 'tcp', frame('ping'));
      const { code, summary } = await server.stop('SIGTERM');
      assert.equal(code, 0);
      assert.ok((summary!.socketErrors as number) >= 1, 'the failed write or read is counted');
      assert.equal(summary!.forcedCloses, 0, 'the reset connection was already closed and forgotten');
      assert.ok((summary!.messages as number) > 0);
    });
  }
});

describe('peers that break the protocol', () => {
  for (const io of IO_PATHS) {
    it(`a half-close after 10 000 pipelined messages gets every reply, then the close (${io.name})`, async (t) => {
      const server = await startServer(['--port', '0', '--mode', 'echo'], io);
      const s = await rawConnect(t, server);
      s.pause();
      s.end(numbered(10_000));
      assert.equal(await readNumbered(s, Infinity), 10_000);
      await server.stop();
    });
  }

  it('fuzz: random streams cut into random chunks; every complete valid message before the junk is answered, and the server stays up', async (t) => {
    const server = await startServer(['--port', '0', '--mode', 'echo', '--max-frame', '4096']);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 10 }),
        fc.boolean(),
        async (payloads, junk, cuts, reset) => {
          const valid = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
          const stream = Buffer.concat([valid, Buffer.from(junk)]);
          const s = await rawConnect(t, server);
          const replies: Buffer[] = [];
          let replied = 0;
          s.on('data', (c: Buffer) => {
            replies.push(c);
            replied += c.length;
          });
          s.on('error', () => {});
          let off = 0;
          for (let i = 0; off < stream.length; i++) {
            const n = cuts[i % cuts.length];
            s.write(stream.subarray(off, off + n));
            off += n;
            // Pacing is part of the input: some chunks reach the server in reads of their own.
            if (i % 3 === 0) await delay(1);
          }
          if (reset) {
            // A reset mid-stream, at whatever point the server has reached after a
            // moment (the moment is part of the input, not a wait): it must simply
            // forget the connection.
            await delay(5);
            s.resetAndDestroy();
          } else {
            // Replies to the valid prefix come first, whatever the junk then does.
            await waitUntil(() => replied >= valid.length || s.closed, `${valid.length} reply bytes or the close`);
            const got = Buffer.concat(replies);
            assert.ok(got.length >= valid.length, `got ${got.length} of ${valid.length} reply bytes`);
            assert.deepEqual(got.subarray(0, valid.length), valid);
            s.destroy();
          }
          await pingOnce(t, server, 'tcp', frame('ping'));
        },
      ),
      { numRuns: 60 },
    );
    const { code, summary } = await server.stop();
    assert.equal(code, 0);
    assert.ok((summary!.connections as number) >= 120);
  });
});

/** The open-file limit of this process, from /proc (soft limit). */
function openFileLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m === null || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

describe('many connections', () => {
  const limit = openFileLimit();
  // Each side holds one descriptor per connection; keep a margin for everything else.
  const N = Math.min(10_000, limit - 300);
  const note = N < 10_000 ? ` (${N}: the open-file limit here is ${limit})` : '';
  it(`${N} concurrent connections, each with occasional round trips, all answered${note}`, { skip: N < 100 && `open-file limit ${limit} is too low` }, async (t) => {
    const server = await startServer(['--port', '0', '--max-connections', String(N + 10)]);
    const pid = server.proc.pid!;
    // Measured as soon as the server is ready: only for the diagnostic below, nothing asserts on it.
    const before = processRssBytes(pid);
    const socks: Socket[] = [];
    for (let i = 0; i < N; i += 500) {
      socks.push(...(await Promise.all(Array.from({ length: Math.min(500, N - i) }, () => rawConnect(t, server)))));
    }
    let answered = 0;
    for (let round = 0; round < 2; round++) {
      // A round trip on every connection, a batch at a time, as sparse clients would.
      for (let i = 0; i < N; i += 1000) {
        const batch = socks.slice(i, i + 1000);
        const got = await Promise.all(
          batch.map((s) => {
            s.write(frame('tick'));
            return readBytes(s, RESPUESTA.length);
          }),
        );
        for (const g of got) if (g.equals(RESPUESTA)) answered++;
      }
    }
    assert.equal(answered, 2 * N);
    const after = processRssBytes(pid);
    const perConn = (after - before) / N;
    t.diagnostic(`${N} connections: server RSS ${(before / 1048576).toFixed(1)} -> ${(after / 1048576).toFixed(1)} MiB, ${(perConn / 1024).toFixed(2)} KiB per connection`);
    for (const s of socks) s.destroy();
    const { summary } = await server.stop();
    assert.equal(summary!.connections, N);
    assert.equal(summary!.messages, 2 * N);
  });
});

describe('shutdown with nothing lost', () => {
  for (const [transport, io] of [['unix', IO_PATHS[0]], ...IO_PATHS.map((p) => ['tcp', p] as const)] as const) {
    it(`SIGTERM during a pipelined burst over ${transport} (${io.name}): every message the server took is answered before the close; exit 0`, async (t) => {
      const path = join(tempDir(), 'burst.sock');
      const listen = transport === 'unix' ? ['--unix', path] : ['--port', '0'];
      const server = await startServer([...listen, '--mode', 'echo'], io);
      const s = await rawConnect(t, server, transport);
      s.on('error', () => {}); // the server closes while we are still sending
      const N = 300_000;
      const counted = readNumbered(s, N);
      s.write(numbered(N));
      // Signal once the first replies are back: mid-burst.
      await new Promise((r) => s.once('data', r));
      const stopped = server.stop('SIGTERM');
      const got = await counted;
      const { code, summary } = await stopped;
      assert.equal(code, 0);
      assert.ok(got > 0);
      // What the server says it answered is exactly what arrived, in order (readNumbered checks order).
      assert.equal(summary!.messages, got);
      if (transport === 'unix') assert.equal(existsSync(path), false, 'the socket file is removed');
      s.destroy();
    });
  }

  for (const io of IO_PATHS) {
    // server.test.ts has the other forced close: a peer that has read every
    // reply and the server's FIN, but never closes its side. Here the server
    // still holds replies the peer will not take when the grace period ends.
    it(`a peer that never reads is closed when --grace-ms ends, counted as forced, replies still held; exit 0 (${io.name})`, async (t) => {
      const server = await startServer(['--port', '0', '--grace-ms', '300', ...STATS], io);
      const slow = await rawConnect(t, server);
      slow.on('error', () => {});
      slow.pause();
      slow.write(Buffer.alloc(4 * 2_000_000)); // 2 000 000 empty messages, replies never read
      await readingStops(server);
      const { code, summary } = await server.stop('SIGTERM');
      assert.equal(code, 0);
      assert.equal(summary!.forcedCloses, 1);
      assert.ok((summary!.outputPauses as number) > 0, 'the server was holding replies at its output bound');
      assert.ok((summary!.messages as number) < 2_000_000, 'the grace period ended before the server could take every message');
      slow.destroy();
    });
  }
});

describe('least privilege', () => {
  it('the Unix socket is created 0600 by default, and --unix-mode widens it', async (t) => {
    const dir = tempDir();
    const a = await startServer(['--unix', join(dir, 'a.sock')]);
    assert.equal(statSync(join(dir, 'a.sock')).mode & 0o777, 0o600);
    await pingOnce(t, a, 'unix');
    await a.stop();
    const b = await startServer(['--unix', join(dir, 'b.sock'), '--unix-mode', '660']);
    assert.equal(statSync(join(dir, 'b.sock')).mode & 0o777, 0o660);
    await b.stop();
  });

  it('TCP listens on loopback unless --host says otherwise', async () => {
    const server = await startServer(['--port', '0']);
    assert.equal(server.endpoints[0].host, '127.0.0.1');
    await server.stop();
  });
});

describe('bad command lines exit 2 with one line naming the option, before listening', () => {
  const longPath = join('/tmp', 'x'.repeat(120));
  const cases: Array<[string[], RegExp]> = [
    [['--port', '65536'], /--port/],
    [['--port', 'eighty'], /--port/],
    [['--port', '-1'], /--port/],
    [['--framing', 'xml'], /--framing/],
    [['--mode', 'loud'], /--mode/],
    [['--io', 'bare'], /--io/],
    // Removed: --io alone chooses the path.
    [['--reads', 'shared'], /unknown option '--reads'/],
    [['--writes', 'stream'], /unknown option '--writes'/],
    [['--cpu', '4095'], /option --cpu: taskset could not pin to CPUs 4095/],
    [['--max-frame', '0'], /--max-frame/],
    [['--max-frame', '-5'], /--max-frame/],
    [['--max-connections', '0'], /--max-connections/],
    [['--idle-timeout', '-1'], /--idle-timeout/],
    [['--idle-timeout', '1.5'], /--idle-timeout/],
    [['--max-pending', 'lots'], /--max-pending/],
    [['--grace-ms', 'soon'], /--grace-ms/],
    [['--unix-mode', '999'], /--unix-mode/],
    [['--unix', '/nonexistent-dir/s.sock'], /--unix: cannot create a socket in \/nonexistent-dir/],
    [['--unix', longPath], /--unix: the path is \d+ bytes/],
    [['--framing', 'line', '--response', 'a\nb'], /--response/],
  ];
  usageErrorTests('server', cases);
});
