/**
 * RESP: the command decoder (inline and multibulk, every split point, each
 * limit and protocol error with Redis's text), the reply decoder of the
 * client's side, and the server's connection: its replies byte for byte as
 * redis-server 7 gives them, a pipelined batch answered in one write, a
 * protocol error answered after the commands before it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codecs, ErrorCodes, type ProtocolError } from '../src/protocol/index.js';
import { RespCommandDecoder } from '../src/protocol/resp.js';
import { Exchange } from '../src/protocol/exchange.js';
import { usageErrorTests } from './helpers.js';
import type { ConnectionOwner } from '../src/server/connection.js';
import { RespConnection } from '../src/server/resp-connection.js';
import type { Transport } from '../src/io/transport.js';

const b = (s: string) => Buffer.from(s, 'latin1');

/** The commands a decoder finds, as their arguments' text; and its error, if any. */
function decode(wire: Buffer, cuts: number[] = [], maxFrame = 1024) {
  const commands: string[][] = [];
  const decoder: RespCommandDecoder = new RespCommandDecoder(
    {
      onMessage(buf, start, end) {
        assert.ok(start >= 0 && start < end && end <= buf.length);
        const args: string[] = [];
        for (let i = 0; i < Math.min(decoder.argc, 64); i++) args.push(decoder.argBuf.toString('latin1', decoder.argStart[i], decoder.argEnd[i]));
        commands.push(args);
      },
    },
    maxFrame,
  );
  let err: ProtocolError | null = null;
  let prev = 0;
  for (const cut of [...cuts, wire.length]) {
    // Stale bytes around each chunk, as in a reused read buffer.
    const chunk = Buffer.concat([b('\r\n*$'), wire.subarray(prev, cut), b('\n\r"')]);
    err = decoder.push(chunk, 4, 4 + cut - prev);
    prev = cut;
    if (err) break;
  }
  return { commands, err, buffered: decoder.buffered };
}

describe('RESP commands', () => {
  const wire = b('*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\nPING\r\n  ping   a\tb \r\n\r\n*0\r\n*-1\r\nPING "a b" \'c\\\'d\' "\\x41\\n"\n*1\r\n$4\r\nping\r\n');
  const expected = [['ECHO', 'hello'], ['PING'], ['ping', 'a', 'b'], ['PING', 'a b', "c'd", 'A\n'], ['ping']];

  it('multibulk and inline (blanks, quotes and escapes as sdssplitargs), empty commands skipped', () => {
    assert.deepEqual(decode(wire), { commands: expected, err: null, buffered: 0 });
  });

  it('the same commands, the stream cut at every point, and byte by byte', () => {
    for (let cut = 0; cut <= wire.length; cut++) assert.deepEqual(decode(wire, [cut]), { commands: expected, err: null, buffered: 0 }, `cut at ${cut}`);
    const each = Array.from({ length: wire.length }, (_, i) => i);
    assert.deepEqual(decode(wire, each), { commands: expected, err: null, buffered: 0 });
  });

  it('as Redis: the two bytes after a bulk are skipped unchecked, a CR alone before LF ends an inline line', () => {
    assert.deepEqual(decode(b('*1\r\n$4\r\nPINGxx')).commands, [['PING']]);
    assert.deepEqual(decode(b('PING\r\r\n')).commands, [['PING']]);
  });

  it('protocol errors: the code, Redis text as the message, after the commands before them', () => {
    const cases: Array<[string, string, string]> = [
      ['PING\r\n*abc\r\n', ErrorCodes.RESP_MULTIBULK_LENGTH, 'Protocol error: invalid multibulk length'],
      ['*2147483648\r\n', ErrorCodes.RESP_MULTIBULK_LENGTH, 'Protocol error: invalid multibulk length'],
      ['*01\r\n', ErrorCodes.RESP_MULTIBULK_LENGTH, 'Protocol error: invalid multibulk length'],
      ['*1\r\n$abc\r\n', ErrorCodes.RESP_BULK_LENGTH, 'Protocol error: invalid bulk length'],
      ['*1\r\n$-1\r\n', ErrorCodes.RESP_BULK_LENGTH, 'Protocol error: invalid bulk length'],
      ['*1\r\nPING\r\n', ErrorCodes.RESP_EXPECTED_BULK, "Protocol error: expected '$', got 'P'"],
      ['PING "a\r\n', ErrorCodes.RESP_UNBALANCED_QUOTES, 'Protocol error: unbalanced quotes in request'],
      ["PING 'a'b\r\n", ErrorCodes.RESP_UNBALANCED_QUOTES, 'Protocol error: unbalanced quotes in request'],
    ];
    for (const [text, code, message] of cases) {
      const w = b(text);
      for (let cut = 0; cut <= w.length; cut++) {
        const { commands, err } = decode(w, [cut]);
        assert.equal(err?.code, code, `${JSON.stringify(text)} cut at ${cut}`);
        assert.equal(err?.message, message);
        assert.deepEqual(commands, text.startsWith('PING\r\n') ? [['PING']] : []);
      }
    }
  });

  it('limits: a bulk over max-frame fails at its header, an inline line at max-frame + 1 bytes, a count line at 65; exactly max-frame passes', () => {
    const max = 100;
    assert.equal(decode(b('*2\r\n$4\r\nECHO\r\n$101\r\n'), [], max).err?.code, ErrorCodes.RESP_BULK_LENGTH);
    const echo = Buffer.concat([b('*2\r\n$4\r\nECHO\r\n$100\r\n'), Buffer.alloc(100, 0x61), b('\r\n')]);
    assert.deepEqual(decode(echo, [30, 60], max).commands, [['ECHO', 'a'.repeat(100)]]);
    const inline = (n: number) => b(`${'x'.repeat(n)}\r\n`); // the CR counts: bytes before the LF
    assert.equal(decode(inline(99), [], max).err, null);
    assert.equal(decode(inline(100), [], max).err?.code, ErrorCodes.RESP_INLINE_TOO_BIG);
    const held = decode(b('y'.repeat(101)), [50], max);
    assert.equal(held.err?.code, ErrorCodes.RESP_INLINE_TOO_BIG, 'no newline yet: fails once past the limit');
    assert.equal(decode(b(`*${'1'.repeat(65)}`), [], max).err?.code, ErrorCodes.RESP_MULTIBULK_COUNT_TOO_BIG);
    assert.equal(decode(b(`*1\r\n$${'1'.repeat(65)}`), [], max).err?.code, ErrorCodes.RESP_BULK_COUNT_TOO_BIG);
  });

  it('a count line whose CR LF has come but too long for a number: an invalid length, as Redis 7; "too big" only while its end has not come', () => {
    const digits = '1'.repeat(70);
    const cases: Array<[string, string, string, string]> = [
      [`*${digits}\r\n`, ErrorCodes.RESP_MULTIBULK_LENGTH, 'invalid multibulk length', ErrorCodes.RESP_MULTIBULK_COUNT_TOO_BIG],
      [`*1\r\n$${digits}\r\n`, ErrorCodes.RESP_BULK_LENGTH, 'invalid bulk length', ErrorCodes.RESP_BULK_COUNT_TOO_BIG],
      [`*1\r\nX${digits}\r\n`, ErrorCodes.RESP_EXPECTED_BULK, "expected '$', got 'X'", ErrorCodes.RESP_BULK_COUNT_TOO_BIG],
    ];
    for (const [text, code, message, tooBig] of cases) {
      const w = b(text);
      const lineStart = text.lastIndexOf('\n', text.length - 2) + 1;
      const line = w.length - 2 - lineStart; // the count line's bytes before its CR
      for (let cut = 0; cut <= w.length; cut++) {
        const { err, buffered } = decode(w, [cut]);
        // Cut after more than 64 bytes of the line and before its CR: its end has not come.
        const early = cut - lineStart > 64 && cut - lineStart <= line;
        assert.equal(err?.code, early ? tooBig : code, `${JSON.stringify(text)} cut at ${cut}`);
        if (!early) assert.equal(err?.message, `Protocol error: ${message}`);
        assert.ok(buffered <= lineStart + 66, `held ${buffered} bytes`);
      }
      assert.equal(
        decode(
          w,
          Array.from({ length: w.length }, (_, i) => i),
        ).err?.code,
        tooBig,
        'byte by byte',
      );
    }
  });

  it("stale quotes past the line's end change nothing: the line is split where it lies, the scratch buffer untouched", () => {
    const buf = Buffer.alloc(64 * 1024, 0x22); // a reused read buffer: "" after the line
    buf.write('PING a\r\n', 'latin1');
    const seen: string[] = [];
    const d: RespCommandDecoder = new RespCommandDecoder({ onMessage: () => seen.push(`${d.argc} ${d.argBuf === buf}`) }, 1024);
    assert.equal(d.push(buf, 0, 8), null);
    assert.deepEqual(seen, ['2 true']);
    assert.equal(d.scratch.length, 0);
  });

  it('an inline command in a 64 KiB read buffer: every search stops at its line, none runs on through the stale bytes', () => {
    const buf = Buffer.alloc(64 * 1024);
    buf.write('PING\r\nPING\r\n', 'latin1');
    let examined = 0;
    const indexOf = buf.indexOf.bind(buf);
    // Bytes each search looks at: up to the byte it finds, or to the buffer's end.
    buf.indexOf = ((value: number, from: number) => {
      const i = indexOf(value, from);
      examined += (i < 0 ? buf.length : i + 1) - from;
      return i;
    }) as Buffer['indexOf'];
    let commands = 0;
    const d = new RespCommandDecoder({ onMessage: () => commands++ }, 1024);
    assert.equal(d.push(buf, 0, 12), null);
    assert.equal(commands, 2);
    assert.ok(examined <= 12, `searched ${examined} bytes for two 6-byte lines`);
  });

  it('a quoted inline command over 64 KiB: its scratch buffer is released after it; a small one keeps its own', () => {
    const arg = 'a'.repeat(70_000);
    let got = '';
    const d: RespCommandDecoder = new RespCommandDecoder({ onMessage: () => (got = d.argBuf.toString('latin1', d.argStart[1], d.argEnd[1])) }, 100_000);
    assert.equal(d.push(b(`ECHO "${arg}"\r\n`), 0, arg.length + 9), null);
    assert.equal(got, arg);
    assert.equal(d.scratch.length, 0);
    assert.equal(d.argBuf.length, 0, 'nor is it held as the last arguments');
    assert.equal(d.push(b('ECHO "hi"\r\n'), 0, 11), null);
    assert.equal(got, 'hi');
    assert.ok(d.scratch.length > 0 && d.scratch.length <= 64 * 1024, `scratch of ${d.scratch.length} bytes`);
  });

  it('a command past max-frame plus 1 KiB of headers fails before its payload is held', () => {
    // Three arguments of max-frame bytes each: the third header takes the command past 600 + 1024.
    const arg = `$600\r\n${'a'.repeat(600)}\r\n`;
    const many = b(`*4\r\n$4\r\nECHO\r\n${arg}${arg}$600\r\n`);
    const { err, buffered } = decode(many, [40], 600);
    assert.equal(err?.code, ErrorCodes.RESP_COMMAND_TOO_LARGE);
    assert.ok(buffered <= 1250, `held ${buffered}`);
  });
});

describe('RESP is refused over UDP: one line, exit 2', () => {
  usageErrorTests('server', [[['--framing', 'resp', '--udp', '0'], /^server: error: option --udp: --framing resp does not work one datagram at a time/]]);
  usageErrorTests('client', [[['--udp', '--framing', 'resp'], /^client: error: option --udp cannot be used with --framing resp: RESP runs over a stream/]]);
});

describe('RESP replies (the client side)', () => {
  function replies(wire: Buffer, cuts: number[] = [], maxFrame = 1024) {
    const out: string[] = [];
    const d = codecs.resp.createReplyDecoder({ onMessage: (buf, s, e) => out.push(buf.toString('latin1', s, e)) }, maxFrame);
    let prev = 0;
    for (const cut of [...cuts, wire.length]) {
      const err = d.push(wire, prev, cut);
      prev = cut;
      if (err) return { out, err: err.code };
    }
    return { out, err: null, buffered: d.buffered };
  }
  const wire = b('+PONG\r\n$5\r\nhello\r\n-ERR unknown command\r\n:42\r\n$-1\r\n$0\r\n\r\n');
  const all = ['+PONG\r\n', '$5\r\nhello\r\n', '-ERR unknown command\r\n', ':42\r\n', '$-1\r\n', '$0\r\n\r\n'];

  it('simple strings, bulk strings (null, empty), errors and integers, whole and cut at every point', () => {
    for (let cut = 0; cut <= wire.length; cut++) assert.deepEqual(replies(wire, [cut]), { out: all, err: null, buffered: 0 }, `cut at ${cut}`);
  });

  it('arrays, other types, a bulk not ended by CR LF, a bulk over max-frame: protocol errors', () => {
    assert.equal(replies(b('*1\r\n$4\r\nPONG\r\n')).err, ErrorCodes.RESP_BAD_REPLY);
    assert.equal(replies(b('$5\r\nhelloXY')).err, ErrorCodes.RESP_BAD_REPLY);
    assert.equal(replies(b('$2000\r\n'), [3]).err, ErrorCodes.RESP_REPLY_TOO_LARGE);
  });

  it('the exchange: PING and +PONG without a size, ECHO and its bulk string with one; an error reply is quoted whole', () => {
    const ping = new Exchange({ framing: 'resp', mode: 'fixed', size: 0, response: '' });
    assert.deepEqual([ping.request.toString(), ping.expected.toString()], ['*1\r\n$4\r\nPING\r\n', '+PONG\r\n']);
    const echo = new Exchange({ framing: 'resp', mode: 'fixed', size: 3, response: '' });
    assert.deepEqual([echo.request.toString(), echo.expected.toString()], ['*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n', '$3\r\nabc\r\n']);
    const err = b(`-ERR unknown command 'PING', with args beginning with: ${'x'.repeat(60)}\r\n`);
    assert.equal(ping.matches(err, 0, err.length, 1), false);
    assert.match(ping.describeMismatch(err, 0, err.length, 7), /^reply 7 was the error "ERR unknown command 'PING', with args beginning with: x{60}"/);
  });
});

/** A transport that records each write; the kernel takes every write at once. */
function fakeTransport() {
  const writes: Buffer[] = [];
  let ended = false;
  const transport: Transport = {
    destroyed: false,
    writer: {
      path: 'stream',
      pending: () => 0,
      write(data, done) {
        writes.push(Buffer.from(data));
        done?.(null);
      },
    },
    open() {},
    pause() {},
    resume() {},
    end() {
      ended = true;
    },
    destroy() {},
  };
  return { transport, writes, ended: () => ended };
}

function serve() {
  const errors: string[] = [];
  const owner: ConnectionOwner = {
    stats: { messages: 0, ignored: 0, bytesIn: 0, bytesOut: 0, outputPauses: 0 },
    maxPending: 256 * 1024,
    onProtocolError: (c, err) => {
      errors.push(err.code);
      c.close();
    },
    onSocketError: () => {},
    forget: () => {},
  };
  const t = fakeTransport();
  const conn = new RespConnection(owner, t.transport, 'test', 1024);
  const send = (s: string) => conn.onData(b(s), 0, Buffer.byteLength(s, 'latin1'));
  return { send, writes: t.writes, ended: t.ended, errors, owner };
}

describe('RESP server connection', () => {
  it('answers as redis-server 7: PONG, bulk strings, wrong arity, unknown commands with their first 128 bytes of arguments', () => {
    const s = serve();
    s.send('PING\r\n');
    s.send('ping hello\r\n');
    s.send('*2\r\n$4\r\nEcHo\r\n$5\r\nhello\r\n');
    s.send('ECHO\r\n');
    s.send('PING a b\r\n');
    s.send('CONFIG GET save\r\n');
    s.send('FOO\r\n');
    s.send(`FOO ${'x'.repeat(200)}\r\n`);
    s.send(`FOO ${'a'.repeat(120)} bbbbbbbbbbbb cc\r\n`);
    s.send('*2\r\n$3\r\nFOO\r\n$3\r\na\x00b\r\n');
    s.send('FOO "a\\nb"\r\n');
    assert.deepEqual(
      s.writes.map((w) => w.toString('latin1')),
      [
        '+PONG\r\n',
        '$5\r\nhello\r\n',
        '$5\r\nhello\r\n',
        "-ERR wrong number of arguments for 'echo' command\r\n",
        "-ERR wrong number of arguments for 'ping' command\r\n",
        "-ERR unknown command 'CONFIG', with args beginning with: 'GET' 'save' \r\n",
        "-ERR unknown command 'FOO', with args beginning with: \r\n",
        `-ERR unknown command 'FOO', with args beginning with: '${'x'.repeat(128)}' \r\n`,
        `-ERR unknown command 'FOO', with args beginning with: '${'a'.repeat(120)}' 'bbbbb' \r\n`,
        "-ERR unknown command 'FOO', with args beginning with: 'a' \r\n",
        "-ERR unknown command 'FOO', with args beginning with: 'a b' \r\n",
      ],
    );
    assert.equal(s.owner.stats.messages, 11);
  });

  it('pipelined commands of one read are answered in one write', () => {
    const s = serve();
    s.send('*1\r\n$4\r\nPING\r\n'.repeat(500) + 'PING\r\nECHO hi\r\n');
    assert.equal(s.writes.length, 1);
    assert.equal(s.writes[0].toString(), '+PONG\r\n'.repeat(501) + '$2\r\nhi\r\n');
  });

  it('a protocol error: the commands before it answered, then the error, in the same write, then the connection ends', () => {
    const s = serve();
    s.send('PING\r\n*abc\r\nPING\r\n');
    assert.deepEqual(
      s.writes.map((w) => w.toString()),
      ['+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n'],
    );
    assert.deepEqual(s.errors, [ErrorCodes.RESP_MULTIBULK_LENGTH]);
    assert.equal(s.ended(), true);
  });
});
