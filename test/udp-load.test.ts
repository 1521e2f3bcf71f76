/**
 * The client and the benchmark over UDP (--udp) against responders written
 * here with node:dgram: an echo for length and line framing, and ones that
 * misbehave as UDP may (a datagram dropped, a reply late, twice, or out of
 * order), so that each is seen counted, never mis-measured, never a hang.
 * The responders decide by message number, not by time: a late reply is
 * held until the client has given its request up and sent the next.
 */
import assert from 'node:assert/strict';
import { type Socket, createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { type Run, onTeardown, runBin, tempDir, usageErrorTests } from './helpers.js';
import { readIntervals } from './hlog-helpers.js';
import { DatagramExchange, readSeqDigits, writeSeqDigits } from '../src/protocol/datagram.js';

const SEQ_DIGITS = 16;

/** What a responder does with request number `seq` (read from its payload): reply with `send`, now or later. */
type Policy = (seq: number, msg: Buffer, send: (b: Buffer) => void) => void;

/** The request's number: 16 digits at the start of the payload (after the 4-byte header with length framing). */
function seqOf(msg: Buffer, framing: 'length' | 'line'): number {
  const off = framing === 'length' ? 4 : 0;
  return Number(msg.subarray(off, off + SEQ_DIGITS).toString('latin1'));
}

/** A UDP echo responder on an ephemeral loopback port that applies `policy`; closed after the test. */
async function responder(t: TestContext, framing: 'length' | 'line', policy: Policy = (_seq, msg, send) => send(msg)): Promise<{ port: number; socket: Socket }> {
  const socket = createSocket('udp4');
  let open = true;
  socket.on('close', () => {
    open = false;
  });
  onTeardown(t, () => open && socket.close());
  socket.on('message', (msg, rinfo) => {
    policy(seqOf(msg, framing), msg, (b) => open && socket.send(b, rinfo.port, rinfo.address));
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, socket };
}

/** The run's --json output (the fields the tests read are checked, not typed). */
// biome-ignore lint/suspicious/noExplicitAny: a report read back from JSON, field by field.
function json(r: Run): Record<string, any> {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
  }
}

describe('the sequence number in a length or line payload', () => {
  it('16 decimal digits, zero-padded, read back exactly up to 2^53 - 1; anything else reads as none', () => {
    const buf = Buffer.alloc(18, 0x2e);
    for (const n of [0, 1, 42, 1e15 + 7, Number.MAX_SAFE_INTEGER]) {
      writeSeqDigits(buf, 1, n);
      assert.equal(buf.toString('latin1', 1, 17), String(n).padStart(16, '0'));
      assert.equal(readSeqDigits(buf, 1), n);
      assert.equal(buf[0], 0x2e); // nothing written around it
      assert.equal(buf[17], 0x2e);
    }
    assert.equal(readSeqDigits(Buffer.from('000000000000004x'), 0), -1);
    assert.equal(readSeqDigits(Buffer.from('00000000000000\n2'), 0), -1);
  });

  it('numbered on the wire where the echo brings it back, the rest checked', () => {
    const x = new DatagramExchange({ framing: 'length', mode: 'echo', size: 20, response: '' });
    const wire = Buffer.from(x.request);
    x.number(wire, 0, 7);
    assert.equal(wire.toString('latin1', 4), '0000000000000007qrst');
    const reply = wire.subarray(4);
    assert.equal(x.seqOf(reply, 0, reply.length), 7);
    assert.ok(x.matches(reply, 0, reply.length));
    reply[19] = 0x21;
    assert.ok(!x.matches(reply, 0, reply.length));
    assert.throws(() => new DatagramExchange({ framing: 'line', mode: 'fixed', size: 64, response: 'respuesta' }), /no sequence number/);
  });
});

describe('the client over UDP', () => {
  for (const framing of ['length', 'line'] as const) {
    it(`${framing} framing: every numbered echo matched, nothing lost`, async (t) => {
      const { port } = await responder(t, framing);
      const r = await runBin('client', ['--udp', '--port', String(port), '--framing', framing, '--mode', 'echo', '--count', '500', '--warmup', '20', '--json']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const j = json(r);
      assert.equal(j.transport, 'udp');
      assert.equal(j.address, `udp://127.0.0.1:${port}`);
      assert.equal(j.sent, 520);
      assert.equal(j.received, 520);
      assert.deepEqual([j.wrong, j.lost, j.late, j.duplicates, j.outOfOrder], [0, 0, 0, 0, 0]);
      assert.equal(j.writes, 'datagram');
    });
  }

  it("an echo one request behind: every reply after the first is late, none taken as the next one's answer", async (t) => {
    // Answers each request with the reply to the one before it.
    let previous: Buffer | null = null;
    const { port } = await responder(t, 'length', (_seq, msg, send) => {
      send(previous ?? msg);
      previous = Buffer.from(msg);
    });
    const r = await runBin('client', ['--udp', '--port', String(port), '--mode', 'echo', '--count', '20', '--warmup', '0', '--timeout-ms', '150', '--json']);
    const j = json(r);
    assert.equal(r.code, 1);
    // 1 is answered; 2 brings 1 again (a duplicate) and is lost; from then on each brings the one before, lost already: late.
    assert.deepEqual([j.received, j.lost, j.duplicates, j.late, j.wrong], [1, 19, 1, 18, 0]);
  });

  it('a datagram dropped every 10th: lost counted, the run ends, the rest recorded (text, --json, --hlog)', async (t) => {
    const { port } = await responder(t, 'length', (seq, msg, send) => {
      if (seq % 10 !== 0) send(msg);
    });
    const dir = tempDir();
    const hlog = join(dir, 'rtt.hlog');
    const r = await runBin('client', ['--udp', '--port', String(port), '--mode', 'echo', '--count', '50', '--warmup', '0', '--timeout-ms', '150', '--interval', '0.2', '--hlog', hlog, '--json']);
    assert.equal(r.code, 1, r.stdout + r.stderr); // a lost request is an error, as over TCP
    const j = json(r);
    // --count counts round trips done, lost ones included: 50 sent, 5 of them dropped.
    assert.equal(j.sent, 50);
    assert.equal(j.received, 45);
    assert.deepEqual([j.lost, j.late, j.wrong, j.errors], [5, 0, 0, 5]);
    const intervals = j.histograms.intervals as Array<{ errors: number }>;
    assert.equal(
      intervals.reduce((n, iv) => n + iv.errors, 0),
      5,
    );
    // The log holds the 45 answered round trips and nothing for the lost ones.
    assert.equal(
      readIntervals(hlog, 'rtt').reduce((a, b) => a + b, 0),
      45,
    );

    const text = await runBin('client', ['--udp', '--port', String(port), '--mode', 'echo', '--count', '20', '--warmup', '0', '--timeout-ms', '150']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^messages +sent 20 +received 18 +errors 2 .* lost 2 +late 0 +duplicates 0 +out of order 0$/m);
    assert.match(text.stdout, /^result +FAILED/m);
  });

  it('a reply after its timeout is late: not recorded, not taken as the answer to the next message', async (t) => {
    // Request 5 is answered only once request 7 is in, which the client sends only after giving 5 up.
    let held: Buffer | null = null;
    const { port } = await responder(t, 'line', (seq, msg, send) => {
      if (seq === 5) {
        held = Buffer.from(msg);
        return;
      }
      if (seq === 7 && held !== null) send(held);
      send(msg);
    });
    const dir = tempDir();
    const hlog = join(dir, 'rtt.hlog');
    const r = await runBin('client', ['--udp', '--port', String(port), '--framing', 'line', '--mode', 'echo', '--count', '30', '--warmup', '0', '--timeout-ms', '150', '--hlog', hlog, '--json']);
    const j = json(r);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual([j.sent, j.received, j.lost, j.late, j.wrong, j.duplicates], [30, 29, 1, 1, 0, 0]);
    // 7's own reply, which came right after the late one, is its answer: nothing else is recorded for 7.
    assert.equal(
      readIntervals(hlog, 'rtt').reduce((a, b) => a + b, 0),
      29,
    );
  });

  it('a reply sent twice is a duplicate, counted and not recorded twice', async (t) => {
    const { port } = await responder(t, 'length', (seq, msg, send) => {
      send(msg);
      if (seq === 3) send(msg);
    });
    const r = await runBin('client', ['--udp', '--port', String(port), '--mode', 'echo', '--count', '40', '--warmup', '0', '--rate', '500', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const j = json(r);
    assert.deepEqual([j.sent, j.received, j.duplicates, j.late, j.lost, j.wrong], [40, 40, 1, 0, 0, 0]);
    assert.equal(j.count, 40);
    assert.equal(j.rate, 500);
  });

  it('nothing listens on the port: fails at once (the kernel refuses), no hang', async (t) => {
    const { port, socket } = await responder(t, 'length');
    socket.close();
    const r = await runBin('client', ['--udp', '--port', String(port), '--mode', 'echo', '--count', '10', '--timeout-ms', '60000', '--json']);
    assert.equal(r.code, 1);
    assert.match(json(r).error, /ECONNREFUSED/);
    // The hint starts a UDP server there, as a refused TCP connection's does a TCP one.
    assert.equal(json(r).hint, `nothing listens there: start a server (bin/server --udp ${port} --mode echo)`);
  });
});

describe('the benchmark over UDP', () => {
  it('-c 4 -P 4 with replies swapped in pairs: every one matched by its number, out of order counted', async (t) => {
    // Holds every other datagram and sends it after the next one's reply; a lone one goes after 20 ms.
    let held: { msg: Buffer; send: (b: Buffer) => void; timer: NodeJS.Timeout } | null = null;
    const { port } = await responder(t, 'length', (_seq, msg, send) => {
      if (held === null) {
        const h = {
          msg: Buffer.from(msg),
          send,
          timer: setTimeout(() => {
            if (held !== h) return;
            held = null;
            send(h.msg);
          }, 20),
        };
        held = h;
        return;
      }
      const h = held;
      held = null;
      clearTimeout(h.timer);
      send(msg);
      h.send(h.msg);
    });
    const dir = tempDir();
    const hlog = join(dir, 'run.hlog');
    const r = await runBin('benchmark', ['--udp', '--port', String(port), '--mode', 'echo', '-c', '4', '-P', '4', '-d', '0.5', '-w', '0.2', '--hlog', hlog, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const j = json(r);
    assert.equal(j.transport, 'udp');
    const s = j.scenarios[0];
    assert.deepEqual([s.wrong, s.lost, s.late, s.duplicates], [0, 0, 0, 0]);
    assert.ok(s.outOfOrder > 0, `out of order: ${s.outOfOrder}`);
    assert.ok(s.messages > 0);
    assert.equal(
      readIntervals(hlog, 'c4-p4-closed').reduce((a, b) => a + b, 0),
      s.messages,
    );
  });

  it('drops every 10th datagram, 2 threads: lost counted, the run ends', async (t) => {
    const { port } = await responder(t, 'length', (seq, msg, send) => {
      if (seq % 10 !== 0) send(msg);
    });
    const dir = tempDir();
    const page = join(dir, 'run.html');
    const r = await runBin('benchmark', [
      '--udp',
      '--port',
      String(port),
      '--mode',
      'echo',
      '-c',
      '4',
      '-P',
      '4',
      '-T',
      '2',
      '-d',
      '0.5',
      '-w',
      '0.2',
      '--timeout-ms',
      '150',
      '--report',
      page,
      '--json',
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const s = json(r).scenarios[0];
    assert.ok(s.lost > 0, `lost: ${s.lost}`);
    assert.equal(s.errors, s.lost);
    assert.equal(s.wrong, 0);
    assert.ok(s.messages > 0);
    assert.match(readFileSync(page, 'utf8'), /scenario 1: lost \d+, late 0, duplicates 0, out of order 0/);
  });

  it('the text report says what came late, twice or out of order', async (t) => {
    const { port } = await responder(t, 'length', (seq, msg, send) => {
      send(msg);
      if (seq % 50 === 0) send(msg);
    });
    const r = await runBin('benchmark', ['--udp', '--port', String(port), '--mode', 'echo', '-c', '2', '-d', '0.3', '-w', '0.1', '--no-progress']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^benchmark +udp:\/\/127\.0\.0\.1:\d+ /m);
    assert.match(r.stdout, /^datagrams: scenario 1: 0 late replies, [1-9][\d,]* duplicates, 0 out of order$/m);
  });
});

describe('UDP usage errors', () => {
  usageErrorTests('client', [
    [['--udp'], /^client: error: option --udp needs --mode echo with --framing length: a fixed reply carries no sequence number/],
    [['--udp', '--mode', 'echo', '--size', '15'], /^client: error: option --size must be at least 16 with --udp and --framing length/],
    [['--udp', '--framing', 'sockperf', '--size', '65508'], /^client: error: option --size: 65508 bytes do not fit in one UDP datagram/],
    [['--udp', '--unix', '/tmp/x.sock', '--mode', 'echo'], /^client: error: options --udp and --unix: give one, not both/],
  ]);
  usageErrorTests('benchmark', [
    [['--udp', '--framing', 'line'], /^benchmark: error: option --udp needs --mode echo with --framing line/],
    [['--udp', '--framing', 'sockperf', '-c', '100', '-P', '256', '--size', '65000'], /^benchmark: error: option --udp: connections x pipeline x datagram bytes comes to 1587 MiB/],
  ]);
});

describe('UDP with a spawned server', () => {
  it('benchmark --spawn-server --udp measures our own UDP server, and the server answered every message', async () => {
    const r = await runBin('benchmark', ['--spawn-server', '--udp', '--framing', 'sockperf', '-c', '2', '-P', '2', '-d', '0.5', '-w', '0.2', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const j = json(r);
    assert.equal(j.transport, 'udp');
    assert.match(j.address, /^udp:\/\/127\.0\.0\.1:\d+$/);
    const s = j.scenarios[0];
    assert.deepEqual([s.wrong, s.lost, s.late], [0, 0, 0]);
    assert.ok(s.messages > 0);
    // The spawned server's own summary: it answered at least every reply the load recorded.
    assert.ok(j.server.messages >= s.messages, `server ${j.server.messages}, load ${s.messages}`);
  });
});
