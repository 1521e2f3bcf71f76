/** The server as a real process over real sockets. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { codecs, FLAG_CLIENT, FLAG_PONG, FLAG_WARMUP, sockperfMessage } from '../src/protocol/index.js';
import {
  BIN,
  IO_PATHS,
  WAIT_MS,
  closed,
  delay,
  onTeardown,
  rawConnect,
  readBytes,
  runBin,
  type RunningServer,
  staleSocket,
  startServer,
  tempDir,
  waitUntil,
  withDeadline,
  textServer,
} from './helpers.js';

const RESPONSE = 'respuesta';
const lengthFrame = (s: string | Buffer) => codecs.length.frame(Buffer.from(s));

type Case = { framing: string; mode: string; send: readonly Buffer[]; expect: Buffer };
/** The expected reply to message `i` of a case. */
function replyOf(c: Case, i: number): Buffer {
  if (c.mode === 'fixed') return c.framing === 'line' ? Buffer.from(`${RESPONSE}\n`) : lengthFrame(RESPONSE);
  if (c.framing === 'line') return Buffer.from(c.send[i].toString().replace(/\r?\n$/, '') + '\n');
  return c.send[i];
}

describe('framing x mode over TCP and a Unix socket', () => {
  const cases = [
    {
      framing: 'length',
      mode: 'fixed',
      send: [lengthFrame('a'), lengthFrame(''), lengthFrame('hola')],
      expect: Buffer.concat([lengthFrame(RESPONSE), lengthFrame(RESPONSE), lengthFrame(RESPONSE)]),
    },
    { framing: 'length', mode: 'echo', send: [lengthFrame('a'), lengthFrame(''), lengthFrame('hola')], expect: Buffer.concat([lengthFrame('a'), lengthFrame(''), lengthFrame('hola')]) },
    { framing: 'line', mode: 'fixed', send: [Buffer.from('uno\n'), Buffer.from('dos\r\n'), Buffer.from('\n')], expect: Buffer.from(`${RESPONSE}\n${RESPONSE}\n${RESPONSE}\n`) },
    { framing: 'line', mode: 'echo', send: [Buffer.from('uno\n'), Buffer.from('dos\r\n'), Buffer.from('\n')], expect: Buffer.from('uno\ndos\n\n') },
  ] as const;
  for (const c of cases) {
    for (const transport of ['tcp', 'unix'] as const) {
      for (const io of IO_PATHS) {
        it(`${c.framing} ${c.mode} over ${transport}, ${io.name}`, async (t) => {
          const server = await startServer(['--port', '0', '--unix', join(tempDir(), 's.sock'), '--framing', c.framing, '--mode', c.mode], io);
          try {
            const config = server.events.find((e) => e.event === 'config')!;
            assert.equal(config.io, io.config);
            const s = await rawConnect(t, server, transport);
            for (const m of c.send) s.write(m);
            assert.deepEqual(await readBytes(s, c.expect.length), c.expect);
            // Two connections at once share the read buffer: neither sees the other's bytes.
            const u = await rawConnect(t, server, transport);
            s.write(c.send[0]);
            u.write(c.send[2]);
            s.write(c.send[2]);
            const both = Buffer.concat([replyOf(c, 0), replyOf(c, 2)]);
            const [a, b] = await Promise.all([readBytes(s, both.length), readBytes(u, replyOf(c, 2).length)]);
            assert.deepEqual(a, both);
            assert.deepEqual(b, replyOf(c, 2));
            s.destroy();
            u.destroy();
          } finally {
            assert.equal((await server.stop()).code, 0);
          }
        });
      }
    }
  }

  it('sockperf framing replies as sockperf does, in both modes', async (t) => {
    for (const mode of ['fixed', 'echo']) {
      const server = await startServer(['--port', '0', '--framing', 'sockperf', '--mode', mode]);
      const s = await rawConnect(t, server);
      const ping = sockperfMessage(7n, FLAG_CLIENT | FLAG_PONG, 20, Buffer.from('abcdef'));
      const warmup = sockperfMessage(8n, FLAG_CLIENT | FLAG_PONG | FLAG_WARMUP, 20);
      const noPong = sockperfMessage(9n, FLAG_CLIENT, 14);
      const ping2 = sockperfMessage(10n, FLAG_CLIENT | FLAG_PONG, 14);
      s.write(Buffer.concat([ping, warmup, noPong, ping2]));
      const got = await readBytes(s, 34);
      const pong = (m: Buffer) => {
        const r = Buffer.from(m);
        r[9] = FLAG_PONG;
        return r;
      };
      assert.deepEqual(got, Buffer.concat([pong(ping), pong(ping2)]));
      // Nothing more comes: the warm-up and no-PONG messages get no reply.
      // Replies leave in order, so the next bytes are exactly the reply to
      // one more ping: a count, where waiting a while for silence would be a guess.
      const ping3 = sockperfMessage(11n, FLAG_CLIENT | FLAG_PONG, 14);
      s.write(ping3);
      assert.deepEqual(await readBytes(s, 14), pong(ping3));
      s.destroy();
      const { summary } = await server.stop();
      assert.equal(summary?.messages, 3);
      assert.equal(summary?.ignored, 2);
    }
  });
});

describe('streams', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--port', '0', '--mode', 'echo', '--max-frame', '1000']);
  });
  after(async () => {
    await server.stop();
  });

  it('answers thousands of pipelined messages in order', async (t) => {
    const s = await rawConnect(t, server);
    const frames = Array.from({ length: 5000 }, (_, i) => lengthFrame(`m${i}`));
    const all = Buffer.concat(frames);
    s.write(all);
    assert.deepEqual(await readBytes(s, all.length), all);
    s.destroy();
  });

  it('buffers a message sent one byte at a time', async (t) => {
    const s = await rawConnect(t, server);
    const frame = lengthFrame('byte by byte');
    for (const byte of frame) {
      s.write(Buffer.from([byte]));
      // Pacing is what is tested: each byte on its own, most likely in a read of its own.
      await delay(2);
    }
    assert.deepEqual(await readBytes(s, frame.length), frame);
    s.destroy();
  });

  it('closes an oversize peer, logs it, and keeps serving another connection', async (t) => {
    const good = await rawConnect(t, server);
    good.write(lengthFrame('before'));
    assert.deepEqual(await readBytes(good, 10), lengthFrame('before'));

    const bad = await rawConnect(t, server);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1001);
    // A complete message first: it is still answered before the close.
    bad.write(Buffer.concat([lengthFrame('ok'), header]));
    const got = await readBytes(bad, 1000);
    assert.deepEqual(got, lengthFrame('ok'));
    await closed(bad);
    const logged = await server.waitFor('protocol-error');
    assert.equal(logged.code, 'ERR_FRAME_TOO_LARGE');
    assert.equal(logged.limit, 1000);
    assert.equal(logged.actual, 1001);
    assert.match(String(logged.peer), /^127\.0\.0\.1:\d+$/);

    good.write(lengthFrame('after'));
    assert.deepEqual(await readBytes(good, 9), lengthFrame('after'));
    good.destroy();
  });

  it('survives random bytes, resets mid-frame and half-closed sockets', async (t) => {
    const junk = await rawConnect(t, server);
    junk.write(Buffer.from('\xff\xff\xff\xff garbage that is not a frame', 'latin1'));
    await closed(junk);

    const reset = await rawConnect(t, server);
    // One write: a whole message and the start of another. Its echo says the
    // server has read the write (one loopback segment), partial frame and all.
    reset.write(Buffer.concat([lengthFrame('x'), Buffer.from([0, 0, 0, 50, 1, 2, 3])]));
    assert.deepEqual(await readBytes(reset, 5), lengthFrame('x'));
    reset.resetAndDestroy();

    // Half-close after sending: every complete message is answered, then the server closes.
    const half = await rawConnect(t, server);
    const msgs = Buffer.concat([lengthFrame('one'), lengthFrame('two'), lengthFrame('three')]);
    half.end(msgs);
    assert.deepEqual(await readBytes(half, msgs.length + 1), msgs);
    await closed(half);

    const still = await rawConnect(t, server);
    still.write(lengthFrame('alive'));
    assert.deepEqual(await readBytes(still, 9), lengthFrame('alive'));
    still.destroy();
  });
});

describe('limits per framing', () => {
  it('closes a sockperf peer whose length is under the header, and a line over the limit', async (t) => {
    const sp = await startServer(['--port', '0', '--framing', 'sockperf']);
    const s = await rawConnect(t, sp);
    const short = sockperfMessage(1n, FLAG_CLIENT | FLAG_PONG, 14);
    short.writeUInt32BE(13, 10);
    s.write(short);
    await closed(s);
    assert.equal((await sp.waitFor('protocol-error')).code, 'ERR_SOCKPERF_TOO_SHORT');
    await sp.stop();

    const ln = await startServer(['--port', '0', '--framing', 'line', '--max-frame', '16']);
    const l = await rawConnect(t, ln);
    l.write('x'.repeat(17));
    await closed(l);
    assert.equal((await ln.waitFor('protocol-error')).code, 'ERR_LINE_TOO_LONG');
    const { summary } = await ln.stop();
    assert.equal(summary?.protocolErrors, 1);
  });
});

describe('shutdown', () => {
  it('on SIGTERM answers every message received, removes the socket file and prints the summary', async (t) => {
    const path = join(tempDir(), 'shut.sock');
    const server = await startServer(['--unix', path, '--mode', 'echo']);
    const s = await rawConnect(t, server, 'unix');
    const frames = Buffer.concat(Array.from({ length: 20_000 }, (_, i) => lengthFrame(`n${i}`)));
    const reading = readBytes(s, frames.length + 1);
    s.write(frames, () => server.proc.kill('SIGTERM'));
    const got = await reading;
    assert.deepEqual(got, frames, 'every message written before the signal is answered, in order');
    const { code, summary } = await server.stop();
    assert.equal(code, 0);
    assert.equal(existsSync(path), false, 'the Unix socket file is removed');
    assert.ok(summary);
    for (const key of ['connections', 'messages', 'bytesIn', 'bytesOut', 'protocolErrors']) assert.equal(typeof summary[key], 'number', key);
    assert.equal(summary.messages, 20_000);
    assert.equal(summary.bytesIn, frames.length);
    const gc = summary.gc as { count: number; pauseMs: number };
    assert.equal(typeof gc.count, 'number');
    assert.equal(typeof gc.pauseMs, 'number');
  });

  // hardening.test.ts has the other forced close: a peer that never reads,
  // so the server still holds replies when the grace period ends. Here every
  // reply has arrived and so has the server's FIN; only the peer's own close
  // is missing.
  for (const io of IO_PATHS) {
    it(`a client that reads everything but never closes its side is destroyed when --grace-ms ends, counted as forced; exit 0 (${io.name})`, async (t) => {
      // Shorter than the 5 s a connection lingers for its peer's close
      // (LINGER_MS, src/server/connection.ts): otherwise the linger would
      // destroy the connection first, and it would not count as forced.
      const GRACE_MS = 1000;
      const server = await startServer(['--port', '0', '--grace-ms', String(GRACE_MS)], io);
      // Truly half-open: on the server's FIN our side stays open, and we keep reading.
      const s = await rawConnect(t, server, 'tcp', { allowHalfOpen: true });
      let got = Buffer.alloc(0);
      s.on('data', (c: Buffer) => (got = Buffer.concat([got, c])));
      s.write(lengthFrame('hi'));
      await waitUntil(() => got.length >= 13, 'the reply');
      assert.deepEqual(got, lengthFrame(RESPONSE));

      const finned = once(s, 'end');
      const stopped = server.stop();
      await withDeadline(finned, "the server's FIN");
      // A server that waited for the peer would never exit: the deadline makes that a failure that says so.
      const { code, summary } = await withDeadline(stopped, 'the server to exit when --grace-ms ends', GRACE_MS + WAIT_MS);
      assert.equal(code, 0);
      assert.equal(summary?.forcedCloses, 1);
      assert.equal(summary?.messages, 1);
      assert.equal(got.length, 13, 'nothing but the one reply came');
      assert.equal(s.writableEnded, false, "we never ended our side: the close was the server's doing");
      // The server waited out the grace period, by its own clock: from its
      // shutdown event to its summary. A lower bound only, which load can
      // only lengthen; 50 ms under it covers a timer counted from the event
      // loop's cached clock and the logger's whole milliseconds, and is
      // still far from the ~0 ms of a server that did not wait.
      const shutdown = server.events.find((e) => e.event === 'shutdown')!;
      const waited = (summary!.time as number) - (shutdown.time as number);
      assert.ok(waited >= GRACE_MS - 50, `the server exited ${waited} ms after its shutdown began; --grace-ms is ${GRACE_MS}`);
    });
  }
});

describe('--drain-ms', () => {
  for (const io of IO_PATHS) {
    it(`after SIGTERM answers its open connections until their peers close them, refuses new ones, then exits 0 (${io.name})`, async (t) => {
      const server = await startServer(['--port', '0', '--drain-ms', '60000', '--grace-ms', '1000'], io);
      const s = await rawConnect(t, server);
      s.write(lengthFrame('before'));
      await readBytes(s, 13);
      const stopped = server.stop();
      await withDeadline(server.waitFor('shutdown'), 'the shutdown event');
      // Still answered, well after the signal, message by message.
      for (let i = 0; i < 20; i++) {
        s.write(lengthFrame(`during ${i}`));
        assert.deepEqual(await readBytes(s, 13), lengthFrame(RESPONSE));
      }
      // The listener is closed: a new connection is refused, for a balancer to send it elsewhere.
      const refused = await new Promise<string>((resolve) => {
        const c = net.connect(server.port!, '127.0.0.1');
        c.on('connect', () => resolve('connected'));
        c.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      assert.equal(refused, 'ECONNREFUSED');
      // The peer leaves: the drain ends at once (not after 60 s), and nothing was forced.
      s.end();
      await closed(s);
      const { code, summary } = await withDeadline(stopped, 'the server to exit once its last peer closed');
      assert.equal(code, 0);
      assert.equal(summary?.messages, 21);
      assert.equal(summary?.forcedCloses, 0);
      const drained = server.events.find((e) => e.event === 'drained');
      assert.equal(drained?.open, 1);
      assert.equal(drained?.left, 0);
    });
  }

  it('ends the connections still open when --drain-ms runs out, as a stop without it does', async (t) => {
    const server = await startServer(['--port', '0', '--drain-ms', '300', '--grace-ms', '5000']);
    const s = await rawConnect(t, server);
    s.write(lengthFrame('x'));
    await readBytes(s, 13);
    const finned = once(s, 'end');
    const stopped = server.stop();
    await withDeadline(finned, "the server's FIN after the drain");
    s.end();
    const { code, summary } = await withDeadline(stopped, 'the server to exit');
    assert.equal(code, 0);
    assert.equal(summary?.forcedCloses, 0);
    const drained = server.events.find((e) => e.event === 'drained');
    assert.equal(drained?.open, 1);
    assert.equal(drained?.left, 1);
  });
});

describe('listening', () => {
  it('reports readiness once, with every endpoint, after all are bound', async (t) => {
    const path = join(tempDir(), 'r.sock');
    const server = await startServer(['--port', '0', '--unix', path]);
    const ready = server.events.filter((e) => e.event === 'ready');
    assert.equal(ready.length, 1);
    assert.deepEqual(
      server.endpoints.map((e) => e.url),
      [`tcp://127.0.0.1:${server.port}`, `unix:${path}`],
    );
    // Both answer as soon as the event is out.
    for (const transport of ['tcp', 'unix'] as const) {
      const s = await rawConnect(t, server, transport);
      s.write(lengthFrame('x'));
      assert.equal((await readBytes(s, 13)).length, 13);
      s.destroy();
    }
    await server.stop();
  });

  it('prints one ready line naming every endpoint in text form, and exits 0 on SIGTERM', async (t) => {
    const path = join(tempDir(), 't.sock');
    const proc = spawn(BIN('server'), ['--port', '0', '--unix', path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(proc, 'exit');
    onTeardown(t, () => proc.kill('SIGKILL'));
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    await waitUntil(() => /^ready: .*\n/m.test(out), 'the ready line');
    proc.kill('SIGTERM');
    const [code] = await withDeadline(exited, 'the server to exit on SIGTERM');
    assert.equal(code, 0, out);
    const ready = out.split('\n').filter((l) => l.startsWith('ready: '));
    assert.equal(ready.length, 1, out);
    assert.match(ready[0], new RegExp(`^ready: tcp://127\\.0\\.0\\.1:\\d+ unix:${path}$`));
  });

  it('keeps serving, and shuts down cleanly, when whoever read its log has gone (EPIPE)', async (t) => {
    const proc = spawn(BIN('server'), ['--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(proc, 'exit');
    onTeardown(t, () => proc.kill('SIGKILL'));
    let out = '';
    let err = '';
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    await waitUntil(() => out.includes('"event":"ready"'), 'the ready event');
    const ready = JSON.parse(out.split('\n').find((l) => l.includes('"event":"ready"'))!);
    const port = ready.endpoints[0].port as number;
    proc.stdout.destroy(); // the reader goes: the server's next log line meets EPIPE
    const s = await rawConnect(t, { port });
    s.write(Buffer.concat([lengthFrame('a'), lengthFrame('b'), Buffer.from([0xff, 0xff, 0xff, 0xff])]));
    // Two replies, then the oversize frame's protocol error: a log line to the closed pipe.
    assert.equal((await readBytes(s, 26)).length, 26);
    await closed(s);
    const again = await rawConnect(t, { port });
    again.write(lengthFrame('c'));
    assert.equal((await readBytes(again, 13)).length, 13, 'still serving after the failed log line');
    again.destroy();
    proc.kill('SIGTERM');
    const [code] = await withDeadline(exited, 'the server to exit on SIGTERM');
    assert.equal(code, 0, err);
  });

  it('replaces a stale Unix socket file but refuses one a live server uses', async (t) => {
    const dir = tempDir();
    const path = join(dir, 'stale.sock');
    await staleSocket(path);
    assert.ok(existsSync(path), 'the stale socket file is there');

    const server = await startServer(['--unix', path]);
    const s = await rawConnect(t, server, 'unix');
    s.write(lengthFrame('x'));
    assert.equal((await readBytes(s, 13)).length, 13);
    s.destroy();

    const second = await runBin('server', ['--unix', path]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /in use by a live server/);
    assert.equal(second.stderr.trim().split('\n').length, 1);
    await server.stop();

    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'data');
    const refused = await runBin('server', ['--unix', file]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not a socket/);
  });

  it('reports an address in use in one line and exits non-zero', async () => {
    const server = await startServer(['--port', '0']);
    const r = await runBin('server', ['--port', String(server.port)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /EADDRINUSE/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    await server.stop();
  });

  it('rejects bad option values with exit status 2', async () => {
    for (const args of [
      ['--port', '70000'],
      ['--framing', 'xml'],
      ['--mode', 'loud'],
      ['--max-frame', '0'],
      ['--port', '-1'],
      ['--framing', 'line', '--response', 'a\nb'],
    ]) {
      const r = await runBin('server', args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

describe('a peer with another framing: the log says what to check', () => {
  it("printf 'hola\\n' to a length server: the protocol error carries a hint to use --framing line", async (t) => {
    const server = await startServer(['--port', '0']);
    const s = await rawConnect(t, server);
    s.write('hola\n');
    await closed(s);
    const e = await server.waitFor('protocol-error');
    assert.equal(e.code, 'ERR_FRAME_TOO_LARGE');
    assert.equal(e.actual, 0x686f6c61); // "hola" read as a length
    assert.match(String(e.hint), /reads as text \("hola"\).*--framing line/);
    await server.stop();
  });

  it('the same in the text log, on one line', async (t) => {
    const { proc, exited, out, err } = await textServer(t, ['--port', '0']);
    const port = Number(/^ready: tcp:\/\/127\.0\.0\.1:(\d+)/m.exec(out())![1]);
    const s = await rawConnect(t, { port });
    s.write('hola\n');
    await closed(s);
    await waitUntil(() => err().includes('\n'), 'the protocol error on stderr');
    proc.kill('SIGTERM');
    await withDeadline(exited, 'the server to exit');
    const lines = err().trim().split('\n');
    assert.equal(lines.length, 1, err());
    assert.match(lines[0], /^protocol error from 127\.0\.0\.1:\d+: frame length 1752132705 exceeds max-frame \d+ \(ERR_FRAME_TOO_LARGE\); connection closed; hint: .*"hola".*--framing line/);
  });

  it('an HTTP request to a length server: the hint says this is not HTTP', async (t) => {
    const server = await startServer(['--port', '0']);
    const s = await rawConnect(t, server);
    s.on('error', () => {}); // closed on us: the rest of the request may meet a reset
    s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed(s);
    assert.match(String((await server.waitFor('protocol-error')).hint), /speaks HTTP/);
    await server.stop();
  });

  it('binary frames to a line server: a line over max-frame without a newline names --framing', async (t) => {
    const server = await startServer(['--port', '0', '--framing', 'line', '--max-frame', '64']);
    const s = await rawConnect(t, server);
    s.on('error', () => {});
    s.write(Buffer.concat([lengthFrame('a'.repeat(60)), lengthFrame('b'.repeat(60))]));
    await closed(s);
    const e = await server.waitFor('protocol-error');
    assert.equal(e.code, 'ERR_LINE_TOO_LONG');
    assert.match(String(e.hint), /length-prefixed or sockperf frames.*--framing/);
    await server.stop();
  });

  it('a length frame to a sockperf server: the hint names --framing', async (t) => {
    const server = await startServer(['--port', '0', '--framing', 'sockperf']);
    const s = await rawConnect(t, server);
    s.on('error', () => {});
    s.write(lengthFrame('abcdefghijklmnopqrstuvwxyz'));
    await closed(s);
    const e = await server.waitFor('protocol-error');
    assert.match(String(e.code), /^ERR_SOCKPERF_TOO_/);
    assert.match(String(e.hint), /sockperf messages.*--framing/);
    await server.stop();
  });

  it('a protocol error with nothing to guess from has no hint', async (t) => {
    const server = await startServer(['--port', '0', '--max-frame', '16']);
    const s = await rawConnect(t, server);
    s.on('error', () => {});
    s.write(Buffer.from([0, 0, 1, 0])); // a length of 256: binary, only too large
    await closed(s);
    assert.equal((await server.waitFor('protocol-error')).hint, null);
    await server.stop();
  });
});

describe('help', () => {
  it('shows the --unix-mode default in octal, as the config line and the command-line reference (docs/OPERATIONS.md) write it (0600)', async () => {
    const r = await runBin('server', ['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--unix-mode <octal> +permission bits of the Unix socket file \(default: 0600\)/);
    assert.match(readFileSync(new URL('../docs/OPERATIONS.md', import.meta.url), 'utf8'), /--unix-mode OCTAL` \| `0600` \|/);
  });
});
