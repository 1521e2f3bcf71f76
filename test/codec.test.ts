/**
 * Framing codecs: every split of a stream, thousands of messages per chunk,
 * empty messages, each limit, the encoders, and fast-check properties.
 * Fixtures are hex so that every header byte is visible.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PartialBuffer } from '../src/protocol/decoder.js';
import {
  codecs,
  ErrorCodes,
  FLAG_CLIENT,
  FLAG_PONG,
  FLAG_WARMUP,
  FRAMINGS,
  frameNumber,
  numberedFrames,
  ProtocolError,
  SOCKPERF_HEADER,
  type Decoder,
  type Framing,
  setSockperfSeq,
  sockperfFlags,
  sockperfMessage,
  sockperfSeq,
  sockperfWantsReply,
} from '../src/protocol/index.js';

const MAX = 1024;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const hexes = (bufs: Buffer[]) => bufs.map((b) => b.toString('hex'));
/** Stale bytes of a reused read buffer: a LF right after `end`, a CR right before `start`, huge length headers. */
const GARBAGE = hex('0a ff 0a ff ff 00 0a 0d');

/** A decoder whose handler checks the range it gets and copies it: the bytes are valid only during the call. */
function collect(framing: Framing, maxFrame = MAX) {
  const messages: Buffer[] = [];
  const onMessage = (buf: Buffer, s: number, e: number) => {
    assert.ok(s >= 0 && s <= e && e <= buf.length, `bad range [${s}, ${e}) of ${buf.length}`);
    messages.push(Buffer.from(buf.subarray(s, e)));
  };
  const decoder = codecs[framing].createDecoder({ onMessage }, maxFrame);
  return { decoder, messages };
}

/** Push `bytes` from the middle of a larger buffer, with garbage before `start` and after `end`. */
function pushDirty(decoder: Decoder, bytes: Buffer) {
  const buf = Buffer.alloc(bytes.length + 2 * GARBAGE.length);
  for (let i = 0; i < buf.length; i++) buf[i] = GARBAGE[i % GARBAGE.length];
  bytes.copy(buf, GARBAGE.length);
  return decoder.push(buf, GARBAGE.length, GARBAGE.length + bytes.length);
}

/** Feed `wire` cut at the sorted offsets `cuts`; returns the first error, if any. */
function feed(decoder: Decoder, wire: Buffer, cuts: number[]) {
  let prev = 0;
  for (const cut of [...cuts, wire.length]) {
    const err = pushDirty(decoder, wire.subarray(prev, cut));
    if (err) return err;
    prev = cut;
  }
  return null;
}

/** What a decoder hands over for a frame: the payload, except sockperf and resp, which hand the whole message (a resp command as sent). */
const decodedForm = (framing: Framing, payload: Buffer, frame: Buffer) => (framing === 'sockperf' || framing === 'resp' ? frame : payload);

function assertError(err: ProtocolError | null, code: string, limit: number, actual: number) {
  assert.ok(err instanceof ProtocolError, 'expected a ProtocolError');
  assert.deepEqual({ code: err.code, limit: err.limit, actual: err.actual }, { code, limit, actual });
}

const fixtures: Record<Framing, { wire: string; messages: string[] }> = {
  // "hi", empty, "abc", then bytes that look like line/sockperf syntax
  length: {
    wire: '00000002 6869  00000000  00000003 616263  00000003 000aff',
    messages: ['6869', '', '616263', '000aff'],
  },
  // "hi\n", "\n", "a\rb\r\n" (one CR dropped), "\r\n", "xyz\n"
  line: { wire: '68690a 0a 610d620d0a 0d0a 78797a0a', messages: ['6869', '', '610d62', '', '78797a'] },
  // seq | flags | total | payload: a 16-byte ping, a bare 14-byte header, a warm-up carrying "\n"
  sockperf: {
    wire: '0000000000000001 0003 00000010 6869  0000000000000002 0003 0000000e  0000000000000003 0007 0000000f 0a',
    messages: ['00000000000000010003000000106869', '000000000000000200030000000e', '000000000000000300070000000f0a'],
  },
  // "*1 $4 PING", "PING hi\r\n" inline, a blank inline line (no command), "*0" (none), "ECHO" of "\r\n"
  resp: {
    wire: '2a310d0a 24340d0a 50494e47 0d0a  50494e4720686' + '90d0a  0d0a  2a300d0a  2a320d0a 24340d0a 4543484f0d0a 24320d0a 0d0a0d0a',
    messages: ['2a310d0a24340d0a50494e470d0a', '50494e472068690d0a', '2a320d0a24340d0a4543484f0d0a24320d0a0d0a0d0a'],
  },
};

describe('streams split anywhere', () => {
  for (const framing of FRAMINGS) {
    const wire = hex(fixtures[framing].wire);
    const expected = fixtures[framing].messages;

    it(`${framing}: at every single split point`, () => {
      for (let cut = 0; cut <= wire.length; cut++) {
        const { decoder, messages } = collect(framing);
        assert.equal(feed(decoder, wire, [cut]), null);
        assert.deepEqual(hexes(messages), expected, `split at ${cut}`);
        assert.equal(decoder.buffered, 0);
      }
    });

    it(`${framing}: byte by byte`, () => {
      const { decoder, messages } = collect(framing);
      assert.equal(
        feed(
          decoder,
          wire,
          Array.from({ length: wire.length }, (_, i) => i),
        ),
        null,
      );
      assert.deepEqual(hexes(messages), expected);
      assert.equal(decoder.buffered, 0);
    });
  }
});

describe('5000 messages in one chunk', () => {
  for (const framing of FRAMINGS) {
    it(`${framing}: all delivered, in order`, () => {
      const codec = codecs[framing];
      const payloads = Array.from({ length: 5000 }, (_, i) => Buffer.from(`message ${i}`));
      const frames = payloads.map((p, i) => {
        const f = codec.frame(p);
        if (framing === 'sockperf') setSockperfSeq(f, 0, i);
        return f;
      });
      const { decoder, messages } = collect(framing);
      assert.equal(pushDirty(decoder, Buffer.concat(frames)), null);
      assert.deepEqual(hexes(messages), hexes(payloads.map((p, i) => decodedForm(framing, p, frames[i]))));
      if (framing === 'sockperf') assert.equal(sockperfSeq(messages[4999], 0), 4999);
    });
  }
});

describe('empty messages', () => {
  const cases: Array<[Framing, string, string[]]> = [
    ['length', '00000000 00000000', ['', '']],
    ['line', '0a', ['']],
    ['line', '0d0a', ['']],
    ['line', '0d0d0a', ['0d']],
    ['sockperf', '0000000000000009 0003 0000000e', ['000000000000000900030000000e']],
  ];
  for (const [framing, wire, expected] of cases) {
    it(`${framing}: ${wire}`, () => {
      const { decoder, messages } = collect(framing);
      assert.equal(pushDirty(decoder, hex(wire)), null);
      assert.deepEqual(hexes(messages), expected);
      assert.equal(decoder.buffered, 0);
    });
  }
});

describe('line framing and carriage returns', () => {
  it('drops a CR just before LF, even when LF arrives in the next push', () => {
    const { decoder, messages } = collect('line');
    assert.equal(feed(decoder, Buffer.from('ab\r\ncd\r\n'), [3, 7]), null);
    assert.deepEqual(messages.map(String), ['ab', 'cd']);
  });

  it('keeps a CR anywhere else', () => {
    const { decoder, messages } = collect('line');
    assert.equal(pushDirty(decoder, Buffer.from('\ra\rb\n\r\r\n')), null);
    assert.deepEqual(messages.map(String), ['\ra\rb', '\r']);
  });
});

describe('limits', () => {
  it('length: an oversize header fails once its 4th byte arrives, before any payload', () => {
    const { decoder } = collect('length');
    const header = hex('00000401'); // 1025 > MAX
    for (let i = 0; i < 3; i++) assert.equal(pushDirty(decoder, header.subarray(i, i + 1)), null);
    assertError(pushDirty(decoder, header.subarray(3)), ErrorCodes.FRAME_TOO_LARGE, MAX, 1025);
    assert.ok(decoder.buffered <= 4, `buffered ${decoder.buffered}`);
  });

  it('length: delivers earlier frames of the same push, then fails on 0xffffffff', () => {
    const { decoder, messages } = collect('length');
    assertError(pushDirty(decoder, hex('00000002 6f6b  ffffffff 00')), ErrorCodes.FRAME_TOO_LARGE, MAX, 0xffffffff);
    assert.deepEqual(messages.map(String), ['ok']);
  });

  it('length: a payload of exactly maxFrame is accepted, whole or split', () => {
    const wire = codecs.length.frame(Buffer.alloc(MAX, 7));
    for (const cuts of [[], [2], [4], [500]]) {
      const { decoder, messages } = collect('length');
      assert.equal(feed(decoder, wire, cuts), null);
      assert.equal(messages.length, 1);
      assert.deepEqual(messages[0], Buffer.alloc(MAX, 7));
    }
  });

  it('line: fails as soon as the held bytes pass maxFrame, across pushes', () => {
    const { decoder } = collect('line', 8);
    assert.equal(pushDirty(decoder, Buffer.from('abc')), null);
    assert.equal(pushDirty(decoder, Buffer.from('defgh')), null);
    assert.equal(decoder.buffered, 8);
    assertError(pushDirty(decoder, Buffer.from('i')), ErrorCodes.LINE_TOO_LONG, 8, 9);
  });

  it('line: fails on a long line in one chunk, terminated or not, after earlier lines', () => {
    for (const tail of ['123456789', '123456789\n', '12345678\r\n']) {
      const { decoder, messages } = collect('line', 8);
      assertError(pushDirty(decoder, Buffer.from(`ok\n${tail}`)), ErrorCodes.LINE_TOO_LONG, 8, 9);
      assert.deepEqual(messages.map(String), ['ok']);
    }
    const { decoder } = collect('line', 8);
    assert.equal(pushDirty(decoder, Buffer.from('abcde')), null);
    assertError(pushDirty(decoder, Buffer.from('fghi\n')), ErrorCodes.LINE_TOO_LONG, 8, 9);
  });

  it('line: a line of exactly maxFrame bytes is accepted, whole or split', () => {
    for (const cuts of [[], [4], [8]]) {
      const { decoder, messages } = collect('line', 8);
      assert.equal(feed(decoder, Buffer.from('12345678\n'), cuts), null);
      assert.deepEqual(messages.map(String), ['12345678']);
    }
  });

  // A peer trickling one long line must not make the server re-copy it on
  // every read (quadratic time: 21 s for 512 KiB). Counted, not timed: the
  // buffer may be replaced only O(log n) times.
  it('line: a 512 KiB line fed byte by byte is copied O(log n) times', () => {
    const { decoder, messages } = collect('line', 1 << 20);
    const partial = (decoder as unknown as { partial: PartialBuffer }).partial;
    const byte = Buffer.from('x');
    let buffers = 0;
    let last: Buffer | null = null;
    for (let i = 0; i < 1 << 19; i++) {
      assert.equal(decoder.push(byte, 0, 1), null);
      if (partial.buf !== last) {
        buffers++;
        last = partial.buf;
      }
    }
    assert.equal(decoder.push(Buffer.from('\n'), 0, 1), null);
    assert.deepEqual(messages, [Buffer.alloc(1 << 19, 'x')]);
    assert.ok(buffers <= 20, `the partial line was reallocated ${buffers} times`);
  });

  it('sockperf: a total below the 14-byte header fails', () => {
    for (const total of [0, 13]) {
      const { decoder } = collect('sockperf');
      const msg = hex(`0000000000000001 0003 ${total.toString(16).padStart(8, '0')}`);
      assertError(pushDirty(decoder, msg), ErrorCodes.SOCKPERF_TOO_SHORT, SOCKPERF_HEADER, total);
    }
  });

  it('sockperf: an oversize total fails once the header is complete, after earlier messages', () => {
    const { decoder, messages } = collect('sockperf');
    const wire = Buffer.concat([codecs.sockperf.frame(Buffer.from('ok')), hex('0000000000000002 0003 00000401')]);
    const cuts = Array.from({ length: 13 }, (_, i) => 16 + i); // the second header, byte by byte
    assertError(feed(decoder, wire, cuts), ErrorCodes.SOCKPERF_TOO_LARGE, MAX, 1025);
    assert.equal(messages.length, 1);
    assert.ok(decoder.buffered <= SOCKPERF_HEADER, `buffered ${decoder.buffered}`);
  });

  it('sockperf: a total of exactly maxFrame is accepted', () => {
    const { decoder, messages } = collect('sockperf');
    assert.equal(feed(decoder, sockperfMessage(1n, FLAG_CLIENT | FLAG_PONG, MAX), [10, 100]), null);
    assert.equal(messages.length, 1);
    assert.equal(messages[0].length, MAX);
  });
});

describe('encoders', () => {
  const payloads = [Buffer.alloc(0), Buffer.from('hello'), hex('00ff0d41')];

  for (const framing of FRAMINGS) {
    const codec = codecs[framing];
    it(`${framing}: frame() decodes back, and wireSize matches`, () => {
      for (const p of payloads) {
        const frame = codec.frame(p);
        const { decoder, messages } = collect(framing);
        assert.equal(pushDirty(decoder, frame), null);
        assert.deepEqual(hexes(messages), hexes([decodedForm(framing, p, frame)]));
        assert.equal(frame.length, codec.wireSize(messages[0].length));
      }
    });

    it(`${framing}: writeEcho writes exactly wireSize(n) bytes at the offset, and they decode`, () => {
      for (const p of payloads) {
        const msg = decodedForm(framing, p, codec.frame(p));
        const src = Buffer.concat([GARBAGE, msg, GARBAGE]);
        const out = Buffer.alloc(3 + codec.wireSize(msg.length) + 5, 0xee);
        const end = codec.writeEcho(src, GARBAGE.length, GARBAGE.length + msg.length, out, 3);
        assert.equal(end, 3 + codec.wireSize(msg.length));
        assert.deepEqual([...out.subarray(0, 3), ...out.subarray(end)], Array(8).fill(0xee));
        const { decoder, messages } = collect(framing);
        assert.equal(decoder.push(out, 3, end), null);
        assert.equal(messages.length, 1);
        if (framing !== 'sockperf' && framing !== 'resp') assert.deepEqual(messages[0], p);
      }
    });
  }

  it('sockperf: the echo clears CLIENT and keeps every other byte', () => {
    const msg = sockperfMessage(0x0102030405n, 0x0100 | FLAG_CLIENT | FLAG_PONG | FLAG_WARMUP, 17, Buffer.from('xyz'));
    const out = Buffer.alloc(17);
    codecs.sockperf.writeEcho(msg, 0, 17, out, 0);
    assert.equal(sockperfFlags(out, 0), 0x0100 | FLAG_PONG | FLAG_WARMUP);
    assert.equal(sockperfFlags(msg, 0), 0x0107, 'the source is not modified');
    assert.deepEqual(hexes([out]), hexes([Buffer.concat([msg.subarray(0, 9), hex('06'), msg.subarray(10)])]));
  });

  it('sockperf: only CLIENT|PONG without WARMUP wants a reply', () => {
    const wants = [0, 1, 2, 3, 4, 5, 6, 7].filter((f) => sockperfWantsReply(sockperfMessage(0n, f, 14), 0));
    assert.deepEqual(wants, [FLAG_CLIENT | FLAG_PONG]);
  });

  it('sockperf: sequence numbers round-trip as big-endian u64 up to 2^53-1', () => {
    const check = (seq: number) => {
      const buf = Buffer.alloc(20, 0xaa);
      setSockperfSeq(buf, 3, seq);
      assert.equal(sockperfSeq(buf, 3), seq);
      assert.equal(buf.readBigUInt64BE(3), BigInt(seq));
      assert.deepEqual([buf[2], buf[11]], [0xaa, 0xaa]);
    };
    for (const seq of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER]) check(seq);
    fc.assert(fc.property(fc.maxSafeNat(), (seq) => check(seq)));
  });

  it('line: refuses a payload containing a newline; sockperf: a total below 14', () => {
    assert.throws(() => codecs.line.frame(Buffer.from('a\nb')), RangeError);
    assert.throws(() => sockperfMessage(0n, 3, 13), RangeError);
  });
});

describe('properties', () => {
  const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
  const payload: Record<Framing, fc.Arbitrary<Buffer>> = {
    length: bytes(64),
    // no LF inside, no CR at the end: anything else survives a line round trip
    line: bytes(64).map((b) => {
      const kept = b.filter((x) => x !== 0x0a);
      let n = kept.length;
      while (n > 0 && kept[n - 1] === 0x0d) n--;
      return Buffer.from(kept.subarray(0, n));
    }),
    sockperf: bytes(64),
    resp: bytes(64),
  };
  /** Sorted cut points inside [0, length]. */
  const cutsOf = (raw: number[], length: number) => raw.map((c) => c % (length + 1)).sort((a, b) => a - b);

  for (const framing of FRAMINGS) {
    it(`${framing}: encoded payloads cut into random chunks decode to the originals`, () => {
      fc.assert(
        fc.property(fc.array(payload[framing], { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 12 }), (ps, raw) => {
          const frames = ps.map((p) => codecs[framing].frame(p));
          const wire = Buffer.concat(frames);
          const { decoder, messages } = collect(framing);
          assert.equal(feed(decoder, wire, cutsOf(raw, wire.length)), null);
          assert.deepEqual(hexes(messages), hexes(ps.map((p, i) => decodedForm(framing, p, frames[i]))));
          assert.equal(decoder.buffered, 0);
        }),
      );
    });
  }

  it('garbage in random chunks: no throw, bounded buffering, same result as one chunk', () => {
    const codes: string[] = Object.values(ErrorCodes);
    // resp: a command of up to max-frame plus its headers (RESP_HEADROOM), and one count line past that.
    const bound = { length: (m: number) => m + 4, line: (m: number) => m, sockperf: (m: number) => Math.max(m, SOCKPERF_HEADER), resp: (m: number) => m + 1024 + 65 };
    fc.assert(
      fc.property(fc.constantFrom(...FRAMINGS), fc.integer({ min: 0, max: 48 }), bytes(256), fc.array(fc.nat(), { maxLength: 16 }), (framing, maxFrame, garbage, raw) => {
        const chunked = collect(framing, maxFrame);
        let err: ProtocolError | null = null;
        let prev = 0;
        for (const cut of [...cutsOf(raw, garbage.length), garbage.length]) {
          err = pushDirty(chunked.decoder, garbage.subarray(prev, cut));
          prev = cut;
          if (err) break;
          assert.ok(chunked.decoder.buffered <= bound[framing](maxFrame), `buffered ${chunked.decoder.buffered}`);
        }
        if (err) assert.ok(err instanceof ProtocolError && codes.includes(err.code), String(err));
        for (const m of chunked.messages) assert.ok(m.length <= (framing === 'resp' ? maxFrame + 1024 : maxFrame), `message of ${m.length}`);

        const whole = collect(framing, maxFrame);
        const wholeErr = pushDirty(whole.decoder, garbage);
        assert.equal(err?.code, wholeErr?.code);
        assert.deepEqual(hexes(chunked.messages), hexes(whole.messages));
      }),
      { numRuns: 500 },
    );
  });
});

describe('large frames', () => {
  for (const framing of ['length', 'line'] as const) {
    it(`${framing}: a 200 KiB frame in 64 KiB reads leaves nothing buffered`, () => {
      const body = Buffer.alloc(200 * 1024, 0x61);
      const wire = codecs[framing].frame(body);
      const { decoder, messages } = collect(framing, 1 << 20);
      assert.equal(pushDirty(decoder, wire.subarray(0, 65536)), null);
      assert.equal(decoder.buffered, 65536);
      assert.equal(feed(decoder, wire.subarray(65536), [65536, 131072]), null);
      assert.equal(messages.length, 1);
      assert.deepEqual(messages[0], body);
      assert.equal(decoder.buffered, 0);
    });
  }

  it('PartialBuffer releases a large buffer on clear and keeps a small one', () => {
    const p = new PartialBuffer();
    p.append(Buffer.alloc(200 * 1024), 0, 200 * 1024);
    p.clear();
    assert.deepEqual([p.len, p.buf.length], [0, 0]);
    p.append(Buffer.alloc(1000), 0, 1000);
    p.clear();
    assert.deepEqual([p.len, p.buf.length], [0, 1000]);
  });
});

describe('numbered messages', () => {
  it('numberedFrames: each an 8-byte big-endian number from `first`, decoded back by frameNumber, past 2^32 too', () => {
    const first = 2 ** 32 - 2;
    const wire = numberedFrames(4, first);
    const { decoder, messages } = collect('length');
    assert.equal(pushDirty(decoder, wire), null);
    assert.deepEqual(
      messages.map((m) => m.readBigUInt64BE(0)),
      [0n, 1n, 2n, 3n].map((i) => BigInt(first) + i),
    );
    assert.deepEqual(
      messages.map((m) => frameNumber(m, 0, m.length)),
      [first, first + 1, first + 2, first + 3],
    );
    assert.equal(frameNumber(Buffer.alloc(4), 0, 4), -1);
  });
});
