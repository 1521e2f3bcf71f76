/**
 * What a client sends and what it must get back, built once per run and
 * shared by the probe and the benchmark so that both check replies alike.
 */
import { type ClientMode, codecs, type Framing } from './index.js';
import { respExchange } from './resp-replies.js';
import { SOCKPERF_HEADER, setSockperfSeq, sockperfReplyMatches, sockperfSeq, writeSockperfReply } from './sockperf.js';

export interface RequestSpec {
  framing: Framing;
  mode: ClientMode;
  /** Payload bytes; for sockperf, the whole message (header included, >= 14); for resp, ECHO's argument (0: PING). */
  size: number;
  /** Expected reply in fixed mode (not with sockperf or resp, whose replies are their servers'). */
  response: string;
}

const FILL = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789');

/** A payload of `n` printable bytes, never a newline. */
export function payloadOf(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = FILL[i % FILL.length];
  return out;
}

/**
 * One request on the wire and the decoded reply it must produce. For
 * sockperf the request carries a sequence number (`setSeq` rewrites it in
 * place) and the reply must carry the same one, so replies are checked for
 * order too.
 */
export class Exchange {
  readonly request: Buffer;
  readonly expected: Buffer;
  readonly sockperf: boolean;
  readonly resp: boolean;
  /** Any framed reply will do (--mode any): only its framing is checked. */
  readonly any: boolean;

  constructor(spec: RequestSpec) {
    const codec = codecs[spec.framing];
    this.sockperf = spec.framing === 'sockperf';
    this.resp = spec.framing === 'resp';
    this.any = spec.mode === 'any';
    if (this.sockperf) {
      if (spec.size < SOCKPERF_HEADER) throw new RangeError(`--size must be at least ${SOCKPERF_HEADER} with --framing sockperf (the header)`);
      this.request = codec.frame(payloadOf(spec.size - SOCKPERF_HEADER));
      this.expected = Buffer.allocUnsafe(this.request.length);
      writeSockperfReply(this.request, 0, this.request.length, this.expected, 0);
    } else if (this.resp) {
      const { request, expected } = respExchange(payloadOf(spec.size));
      this.request = request;
      this.expected = expected;
    } else {
      const payload = payloadOf(spec.size);
      this.request = codec.frame(payload);
      this.expected = spec.mode === 'echo' ? payload : Buffer.from(this.any ? '' : spec.response);
    }
  }

  /** Number the sockperf request template in place. Only while no write of it is pending. */
  setSeq(seq: number): void {
    setSockperfSeq(this.request, 0, seq);
  }

  /** One line on how reply number `n` differs from the expected one. */
  describeMismatch(buf: Buffer, start: number, end: number, n: number): string {
    // A RESP error reply is the server saying why, in one line: all of it.
    if (this.resp && buf[start] === 0x2d) {
      return `reply ${n} was the error ${JSON.stringify(buf.toString('latin1', start + 1, Math.min(end - 2, start + 301)))}, expected ${JSON.stringify(this.expected.subarray(0, 40).toString('latin1'))}`;
    }
    const show = (b: Buffer) => JSON.stringify(b.subarray(0, 40).toString('latin1')) + (b.length > 40 ? '...' : '');
    return `reply ${n} was ${end - start} bytes ${show(buf.subarray(start, end))}, expected ${this.expected.length} bytes ${show(this.expected)}`;
  }

  /** Is the decoded message `buf[start, end)` the expected reply to request number `seq`? */
  matches(buf: Buffer, start: number, end: number, seq: number): boolean {
    // With --mode any the expected reply is empty: a reply of another length is right, and an empty one compares equal.
    if (end - start !== this.expected.length) return this.any;
    if (!this.sockperf) return this.expected.compare(buf, start, end) === 0;
    return sockperfSeq(buf, start) === seq && sockperfReplyMatches(this.expected, buf, start, end);
  }
}
