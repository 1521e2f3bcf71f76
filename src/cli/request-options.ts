/**
 * The options of the programs that connect to a server (bin/client and
 * bin/benchmark): where to connect, what to send and what reply to expect.
 * Declared once so that both parse, check and document them alike.
 */
import { type Command, Option } from 'commander';
import type { Target } from '../io/connect.js';
import { MAX_DATAGRAM, SEQ_DIGITS, datagramBytes } from '../protocol/datagram.js';
import { type ClientMode, DEFAULT_MAX_FRAME, type Framing, SOCKPERF_HEADER } from '../protocol/index.js';
import { DEFAULT_RESPONSE, framingOption, modeOption, parseIntList, parseInteger, parseNumber, parsePort, respOptionProblem } from './args.js';

export interface RequestOptions {
  host: string;
  port: number;
  unix?: string;
  udp: boolean;
  framing: Framing;
  mode: ClientMode;
  response: string;
  /** Payload bytes, one run (the benchmark: one scenario; the client: one block) per size, in the order given. */
  size: number[];
  targetUs: number;
  timeoutMs: number;
  maxFrame: number;
}

/** Add the address, framing, reply, size, target, timeout and frame-limit options. */
export function addRequestOptions(cmd: Command, timeout: string): Command {
  return cmd
    .option('-H, --host <addr>', 'server address (TCP, or UDP with --udp)', '127.0.0.1')
    .option('-p, --port <n>', 'server port (TCP, or UDP with --udp)', parsePort, 8080)
    .option('-u, --unix <path>', 'connect to this Unix socket instead of TCP')
    .option('--udp', 'send datagrams to --host/--port (UDP) instead of TCP: a reply not back within --timeout-ms is lost, one after that late', false)
    .addOption(framingOption())
    .addOption(
      modeOption(
        'the reply to expect: fixed (--response), echo (the payload back) or any (any framed reply, its bytes unchecked: servers whose replies differ); not with sockperf or resp, whose servers answer their own way',
        true,
      ),
    )
    .option('-r, --response <text>', 'the reply expected in fixed mode', DEFAULT_RESPONSE)
    .addOption(
      new Option(
        '-s, --size <list>',
        `payload bytes, comma-separated: one run each (sockperf framing: whole message, at least ${SOCKPERF_HEADER}; resp: ECHO's argument, without --size or 0: PING; at most --max-frame)`,
      )
        .argParser(parseIntList(0xffff_ffff, 0))
        .default([64], '64'),
    )
    .option('-t, --target-us <us>', 'latency target, microseconds', parseNumber(0.001), 1000)
    .option('--timeout-ms <ms>', timeout, parseInteger(1), 5000)
    .option('--max-frame <bytes>', 'largest reply accepted', parseInteger(1, 0xffff_ffff), DEFAULT_MAX_FRAME);
}

/** Combinations commander cannot check alone: the usage error, or null. */
export function requestOptionsProblem(o: RequestOptions): string | null {
  const resp = respOptionProblem(o);
  if (resp !== null) return resp;
  if (o.udp) {
    if (o.unix !== undefined) return 'options --udp and --unix: give one, not both';
    if (o.framing === 'resp') return 'option --udp cannot be used with --framing resp: RESP runs over a stream (TCP or a Unix socket), as Redis does';
    // Refused rather than guessed: with fixed replies a late reply and the answer to the next message look the same.
    if (o.framing !== 'sockperf' && o.mode !== 'echo')
      return `option --udp needs --mode echo with --framing ${o.framing}: ${o.mode === 'fixed' ? 'a fixed reply' : 'a reply of --mode any'} carries no sequence number, so a late reply could not be told from the next one's`;
  }
  for (const size of o.size) {
    if (o.framing === 'sockperf' && size < SOCKPERF_HEADER) return `option --size must be at least ${SOCKPERF_HEADER} with --framing sockperf (the header); ${size} is not`;
    // A request over the frame limit would be refused by a server of the same limit, and its echo by this one.
    if (size > o.maxFrame) return `option --size must be at most --max-frame (${o.maxFrame}); ${size} is not`;
    if (!o.udp) continue;
    if (o.framing !== 'sockperf' && size < SEQ_DIGITS)
      return `option --size must be at least ${SEQ_DIGITS} with --udp and --framing ${o.framing} (the payload starts with the sequence number); ${size} is not`;
    if (datagramBytes(o.framing, size) > MAX_DATAGRAM) return `option --size: ${datagramBytes(o.framing, size)} bytes do not fit in one UDP datagram (at most ${MAX_DATAGRAM})`;
  }
  if (o.mode === 'any' && o.response !== DEFAULT_RESPONSE) return 'option --response has no meaning with --mode any: no reply is checked against it';
  if (o.mode === 'any' && (o.framing === 'sockperf' || o.framing === 'resp'))
    return `option --mode any has no meaning with --framing ${o.framing}: its replies are its server's own, checked as such`;
  if (o.framing === 'line' && o.mode === 'fixed' && o.response.includes('\n')) return 'option --response cannot contain a newline with --framing line';
  return null;
}

/**
 * With --framing resp and no --size, the client sends PING (size 0), as
 * redis-benchmark's ping tests do; --size N sends ECHO of N bytes.
 */
export function respDefaultSize(o: RequestOptions, given: (name: string) => boolean): void {
  if (o.framing === 'resp' && !given('size')) o.size = [0];
}

export function targetOf(o: RequestOptions): Target {
  if (o.udp) return { transport: 'udp', host: o.host, port: o.port };
  return o.unix !== undefined ? { transport: 'unix', path: o.unix } : { transport: 'tcp', host: o.host, port: o.port };
}
