/**
 * The server's --udp: each datagram one message, answered to its sender, on
 * both I/O paths (the bare UDP handle, and dgram as a Node without the
 * internals takes it); bad datagrams dropped and counted while a good peer
 * goes on; the reflector rules (loopback by default, a warning beyond it, no
 * reply longer than its request without --udp-amplify); UDP beside TCP and a
 * Unix socket; the summary, the metrics and the shutdown.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { http, sample, waitForSample } from './admin-helpers.js';
import { IO_PATHS, onTeardown, rawConnect, readBytes, startServer, tempDir, usageErrorTests, withDeadline, textServer } from './helpers.js';
import { udpPeer } from './udp-helpers.js';
import { Datagram, datagramVerdict } from '../src/protocol/datagram.js';
import { codecs } from '../src/protocol/index.js';
import { FLAG_CLIENT, FLAG_PONG, sockperfMessage } from '../src/protocol/sockperf.js';
import { ResponderServer } from '../src/server/server.js';
import { reusePortAvailable } from '../src/server/workers.js';

const length = (text: string) => codecs.length.frame(Buffer.from(text));

for (const io of IO_PATHS) {
  describe(`UDP, ${io.name}`, () => {
    it('length framing: echo answers each datagram with itself, on the path the config names', async (t) => {
      const server = await startServer(['--udp', '0', '--framing', 'length', '--mode', 'echo'], io);
      const udp = server.endpoints.find((e) => e.transport === 'udp');
      assert.equal(udp?.host, '127.0.0.1');
      assert.equal((udp as { io?: string }).io, io.config);
      assert.equal(server.port, undefined, 'no TCP listener with --udp alone');
      const peer = await udpPeer(t);
      for (const text of ['hola', '', 'x'.repeat(1000)]) assert.deepEqual(await peer.ask(server.udp!.port, length(text)), length(text));
      const { summary } = await server.stop();
      assert.equal(summary?.messages, 3);
      assert.equal(summary?.datagrams, 3);
      assert.equal(summary?.bytesIn, summary?.bytesOut);
    });

    it('line framing: one line with or without its newline, answered in the same form; fixed with --udp-amplify', async (t) => {
      const echo = await startServer(['--udp', '0', '--framing', 'line', '--mode', 'echo'], io);
      const peer = await udpPeer(t);
      const port = echo.udp!.port;
      assert.equal((await peer.ask(port, 'hola\n')).toString(), 'hola\n');
      assert.equal((await peer.ask(port, 'hola')).toString(), 'hola');
      assert.equal((await peer.ask(port, 'hola\r\n')).toString(), 'hola\n');
      assert.equal((await peer.ask(port, '\n')).toString(), '\n');
      await echo.stop();
      const fixed = await startServer(['--udp', '0', '--framing', 'line', '--response', 'respuesta', '--udp-amplify'], io);
      assert.equal((await peer.ask(fixed.udp!.port, 'ping\n')).toString(), 'respuesta\n');
      assert.equal((await peer.ask(fixed.udp!.port, 'ping')).toString(), 'respuesta');
      const { summary } = await fixed.stop();
      assert.equal(summary?.messages, 2);
    });

    it("sockperf framing: CLIENT|PONG answered with CLIENT cleared, the rest ignored and counted, as sockperf's server", async (t) => {
      const server = await startServer(['--udp', '0', '--framing', 'sockperf'], io);
      const peer = await udpPeer(t);
      const port = server.udp!.port;
      await peer.send(port, sockperfMessage(1n, FLAG_CLIENT, 64));
      await peer.send(port, sockperfMessage(2n, FLAG_CLIENT | FLAG_PONG | 4, 64));
      const request = sockperfMessage(3n, FLAG_CLIENT | FLAG_PONG, 64, Buffer.from('payload'));
      const reply = await peer.ask(port, request);
      assert.deepEqual(reply, sockperfMessage(3n, FLAG_PONG, 64, Buffer.from('payload')));
      const { summary } = await server.stop();
      assert.equal(summary?.messages, 1);
      assert.equal(summary?.ignored, 2);
    });

    it('bad datagrams are dropped unanswered and counted by reason, logged at most once a second, while a good peer goes on', async (t) => {
      const began = performance.now();
      const server = await startServer(['--udp', '0', '--framing', 'length', '--mode', 'echo', '--max-frame', '100'], io);
      const port = server.udp!.port;
      const bad = await udpPeer(t);
      const good = await udpPeer(t);
      const header = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
      const kinds = [
        Buffer.concat([header(101), Buffer.alloc(101)]), // over --max-frame
        Buffer.from([0, 0]), // shorter than a header
        Buffer.concat([header(10), Buffer.from('short')]), // cut short
        Buffer.concat([length('one'), length('two')]), // two frames
      ];
      const rounds = 50;
      for (let i = 0; i < rounds; i++) {
        for (const k of kinds) await bad.send(port, k);
        assert.deepEqual(await good.ask(port, length(`good ${i}`)), length(`good ${i}`));
      }
      // The bad peer's next reply is the one to its first good datagram: none of its bad ones was answered.
      assert.deepEqual(await bad.ask(port, length('at last')), length('at last'));
      const elapsedS = (performance.now() - began) / 1000;
      const { summary } = await server.stop();
      assert.equal(summary?.messages, rounds + 1);
      assert.equal(summary?.datagrams, rounds * (kinds.length + 1) + 1);
      assert.equal(summary?.datagramsDropped, rounds * kinds.length);
      assert.equal(summary?.datagramsTooLarge, rounds);
      assert.equal(summary?.datagramsMalformed, 2 * rounds);
      assert.equal(summary?.datagramsSeveralFrames, rounds);
      assert.equal(summary?.protocolErrors, 0);
      const logged = server.events.filter((e) => e.event === 'datagram-dropped');
      assert.ok(logged.length >= 1 && logged.length <= 1 + Math.ceil(elapsedS), `${logged.length} drop lines in ${elapsedS.toFixed(1)} s`);
      assert.equal(logged[0].reason, 'too_large');
    });
  });
}

describe('UDP as a reflector', () => {
  it('binds loopback by default, and warns beyond it as the admin port does', async (t) => {
    const local = await startServer(['--udp', '0', '--mode', 'echo']);
    assert.equal(local.udp?.host, '127.0.0.1');
    assert.equal(
      local.events.find((e) => e.event === 'udp-exposed'),
      undefined,
    );
    await local.stop();
    // In text, as a person sees it: the warning on stderr, the UDP endpoint on the ready line, the datagrams in the summary.
    const { proc, exited, out, err } = await textServer(t, ['--udp', '0.0.0.0:0', '--mode', 'echo']);
    assert.match(err(), /^warning: --udp 0\.0\.0\.0:0 is not a loopback address; UDP replies go to whatever source address a datagram names/m);
    const port = Number(/^ready: udp:\/\/0\.0\.0\.0:(\d+)$/m.exec(out())?.[1]);
    const peer = await udpPeer(t);
    assert.deepEqual(await peer.ask(port, length('hola')), length('hola'));
    proc.kill('SIGTERM');
    const [code] = await withDeadline(exited, 'the server to exit');
    assert.equal(code, 0);
    assert.match(out(), /^summary: 0 connections, 1 messages answered, .*, 1 datagrams \(none dropped\), GC /m);
  });

  it('a fixed reply longer than the smallest request starts with --udp-amplify', async (t) => {
    const server = await startServer(['--udp', '0', '--framing', 'length', '--udp-amplify'], { env: undefined });
    const peer = await udpPeer(t);
    assert.deepEqual(await peer.ask(server.udp!.port, length('')), length('respuesta'));
    await server.stop();
  });

  it('at run time, a fixed reply longer than its datagram is not sent without --udp-amplify, and counted', async (t) => {
    // plan.ts refuses such a reply at start already; this is the check behind it, on the responder itself.
    const server = new ResponderServer({ ...inProcess, framing: 'line', response: 'ab', udp: { host: '127.0.0.1', port: 0 } });
    t.after(() => server.close());
    const [udp] = await server.listen();
    const peer = await udpPeer(t);
    await peer.send(udp.port!, 'x');
    assert.equal((await peer.ask(udp.port!, 'xyz')).toString(), 'ab');
    assert.equal(server.stats.datagramsReplyTooLong, 1);
    assert.equal(server.stats.datagramsDropped, 1);
    assert.equal(server.stats.messages, 1);
    assert.equal(server.stats.bytesOut, 2);
  });

  usageErrorTests('server', [
    [['--udp', '0'], /option --udp with --mode fixed: the reply is 13 bytes, more than the smallest length-framed request \(4 bytes\).*--udp-amplify/],
    [['--udp', '0', '--framing', 'line'], /the reply is 10 bytes, more than the smallest line-framed request \(1 bytes\)/],
    [['--udp-amplify', '--port', '0'], /option --udp-amplify needs --udp/],
    [['--udp', 'localhost'], /--udp.*expected PORT or HOST:PORT/],
  ]);
});

const inProcess = {
  host: '127.0.0.1',
  mode: 'fixed',
  maxFrame: 1024,
  graceMs: 1000,
  maxConnections: 10,
  idleTimeoutMs: 0,
  maxPending: 65536,
  unixMode: 0o600,
} as const;

describe('UDP beside TCP and a Unix socket', () => {
  it('one server answers all three, with one set of counters, in its summary and its metrics', async (t) => {
    const path = join(tempDir(), 'udp.sock');
    const server = await startServer(['--port', '0', '--unix', path, '--udp', '0', '--mode', 'echo', '--admin', '0'], { env: undefined });
    assert.deepEqual(server.endpoints.map((e) => e.transport).sort(), ['tcp', 'udp', 'unix']);
    const tcp = await rawConnect(t, server, 'tcp');
    tcp.write(length('tcp'));
    assert.deepEqual(await readBytes(tcp, 7), length('tcp'));
    const unix = await rawConnect(t, server, 'unix');
    unix.write(length('unix'));
    assert.deepEqual(await readBytes(unix, 8), length('unix'));
    const peer = await udpPeer(t);
    assert.deepEqual(await peer.ask(server.udp!.port, length('udp')), length('udp'));
    await peer.send(server.udp!.port, Buffer.concat([length('a'), length('b')]));
    const admin = `http://127.0.0.1:${server.admin!.port}`;
    const text = await waitForSample(admin, 'respuesta_datagrams_dropped_total', 1, 'reason="several_frames"');
    assert.equal(sample(text, 'respuesta_datagrams_received_total'), 2);
    assert.equal(sample(text, 'respuesta_messages_total'), 3);
    assert.equal(sample(text, 'respuesta_datagrams_dropped_total', 'reason="too_large"'), 0);
    const stats = JSON.parse((await http(`${admin}/stats.json`)).body);
    assert.deepEqual(stats.datagrams, { received: 2, dropped: { too_large: 0, malformed: 0, several_frames: 1, reply_too_long: 0 } });
    tcp.destroy();
    unix.destroy();
    const { summary } = await server.stop();
    assert.equal(summary?.messages, 3);
    assert.equal(summary?.connections, 2);
    assert.equal(summary?.datagrams, 2);
  });

  it('on SIGTERM it answers the datagrams it has received, then closes', async (t) => {
    const server = await startServer(['--udp', '0', '--mode', 'echo'], { env: undefined });
    const peer = await udpPeer(t);
    // Stopped, the server reads nothing: the datagrams wait in its socket's queue when the signal comes.
    // 30: what a loopback socket's default receive buffer (rmem_default) holds here, and libuv reads in one turn.
    const n = 30;
    process.kill(server.pid, 'SIGSTOP');
    onTeardown(t, () => server.proc.kill('SIGCONT'));
    for (let i = 0; i < n; i++) await peer.send(server.udp!.port, length(`m${i}`));
    server.proc.kill('SIGTERM');
    process.kill(server.pid, 'SIGCONT');
    const { code, summary } = await server.stop('SIGTERM');
    assert.equal(code, 0);
    assert.equal(summary?.messages, n);
    for (let i = 0; i < n; i++) assert.deepEqual(await peer.next(), length(`m${i}`));
  });
});

describe('UDP in a drain (--drain-ms)', () => {
  it('after SIGTERM it goes on answering while datagrams come, and stops once they have not for a second', async (t) => {
    const server = await startServer(['--udp', '0', '--mode', 'echo', '--drain-ms', '20000']);
    const peer = await udpPeer(t);
    const port = server.udp!.port;
    assert.deepEqual(await peer.ask(port, length('before')), length('before'));
    server.proc.kill('SIGTERM');
    await server.waitFor('shutdown'); // the stop is under way
    // Without a UDP drain the socket closes within a few turns of the loop and these go unanswered.
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(await peer.ask(port, length(`during ${i}`)), length(`during ${i}`));
    }
    // The peer leaves: the drain ends long before its 20 s, and the stop goes on.
    const { code, summary } = await server.stop('SIGTERM');
    assert.equal(code, 0);
    assert.equal(summary?.messages, 6);
  });
});

describe('UDP with --workers', () => {
  const distributions = [
    { name: 'reuseport', skip: reusePortAvailable() ? false : `reuseport needs Linux and Node 22.12+ or 23.1+; this is Node ${process.versions.node}` },
    { name: 'cluster', skip: false },
  ];
  for (const d of distributions) {
    it(`two workers answer on one UDP port (${d.name}), their counts summed`, { skip: d.skip }, async (t) => {
      const server = await startServer(['--workers', '2', '--distribution', d.name, '--udp', '0', '--mode', 'echo']);
      const config = server.events.find((e) => e.event === 'config');
      assert.equal(config?.distribution, d.name);
      // Several peers: SO_REUSEPORT spreads datagrams by their source address and port.
      const peers = await Promise.all([1, 2, 3, 4].map(() => udpPeer(t)));
      for (const [i, peer] of peers.entries()) for (let j = 0; j < 5; j++) assert.deepEqual(await peer.ask(server.udp!.port, length(`${i}.${j}`)), length(`${i}.${j}`));
      const { code, summary } = await server.stop();
      assert.equal(code, 0);
      assert.equal(summary?.messages, 20);
      assert.equal(summary?.datagrams, 20);
      assert.equal((summary?.workers as unknown[] | undefined)?.length, 2);
    });
  }
});

describe('one frame per datagram: the verdict of each framing (src/protocol/datagram.ts)', () => {
  const verdict = (framing: string, bytes: Buffer, maxFrame = 16) => datagramVerdict(framing, bytes, bytes.length, maxFrame);
  const sockperf = (total: number, size = total) => {
    const m = Buffer.alloc(size);
    m.writeUInt16BE(FLAG_CLIENT | FLAG_PONG, 8);
    m.writeUInt32BE(total, 10);
    return m;
  };

  it('length: exactly one frame within the limit', () => {
    assert.equal(verdict('length', length('hola')), Datagram.OK);
    assert.equal(verdict('length', length('x'.repeat(17))), Datagram.TOO_LARGE);
    assert.equal(verdict('length', Buffer.from([0, 0, 0])), Datagram.MALFORMED);
    assert.equal(verdict('length', length('hola').subarray(0, 6)), Datagram.MALFORMED);
    assert.equal(verdict('length', Buffer.concat([length('a'), length('b')])), Datagram.SEVERAL_FRAMES);
  });

  it('line: one line with or without its newline, the limit on the bytes before it', () => {
    assert.equal(verdict('line', Buffer.from('hola\n')), Datagram.OK);
    assert.equal(verdict('line', Buffer.from('hola')), Datagram.OK);
    assert.equal(verdict('line', Buffer.from(`${'x'.repeat(16)}\n`)), Datagram.OK);
    assert.equal(verdict('line', Buffer.from('x'.repeat(17))), Datagram.TOO_LARGE);
    assert.equal(verdict('line', Buffer.from(`${'x'.repeat(17)}\n`)), Datagram.TOO_LARGE);
    assert.equal(verdict('line', Buffer.from('a\nb')), Datagram.SEVERAL_FRAMES);
    assert.equal(verdict('line', Buffer.from('a\nb\n')), Datagram.SEVERAL_FRAMES);
    assert.equal(verdict('line', Buffer.alloc(0)), Datagram.MALFORMED);
  });

  it("sockperf: one message whose length field is the datagram's size", () => {
    assert.equal(verdict('sockperf', sockperf(14)), Datagram.OK);
    assert.equal(verdict('sockperf', sockperf(16), 64), Datagram.OK);
    assert.equal(verdict('sockperf', Buffer.alloc(13)), Datagram.MALFORMED);
    assert.equal(verdict('sockperf', sockperf(10, 14)), Datagram.MALFORMED);
    assert.equal(verdict('sockperf', sockperf(20, 16), 64), Datagram.MALFORMED);
    assert.equal(verdict('sockperf', sockperf(14, 20)), Datagram.SEVERAL_FRAMES);
    assert.equal(verdict('sockperf', sockperf(20)), Datagram.TOO_LARGE);
  });
});
