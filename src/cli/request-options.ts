/**
 * The options of the programs that connect to a server (bin/client and
 * bin/benchmark): where to connect, what to send and what reply to expect.
 * Declared once so that both parse, check and document them alike.
 */
import { type Command, Option } from 'commander';
import type { Target } from '../io/connect.js';
import { DEFAULT_MAX_FRAME, type Framing, type Mode, SOCKPERF_HEADER } from '../protocol/index.js';
import { framingOption, modeOption, parseIntList, parseInteger, parseNumber, parsePort } from './args.js';

export interface RequestOptions {
  host: string;
  port: number;
  unix?: string;
  framing: Framing;
  mode: Mode;
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
    .option('-H, --host <addr>', 'server TCP address', '127.0.0.1')
    .option('-p, --port <n>', 'server TCP port', parsePort, 8080)
    .option('-u, --unix <path>', 'connect to this Unix socket instead of TCP')
    .addOption(framingOption())
    .addOption(modeOption('the reply to expect: fixed (--response) or echo (the payload back)'))
    .option('-r, --response <text>', 'the reply expected in fixed mode', 'respuesta')
    .addOption(
      new Option('-s, --size <list>', `payload bytes, comma-separated: one run each (sockperf framing: whole message, at least ${SOCKPERF_HEADER}; at most --max-frame)`)
        .argParser(parseIntList(0xffff_ffff, 0))
        .default([64], '64'),
    )
    .option('-t, --target-us <us>', 'latency target, microseconds', parseNumber(0.001), 1000)
    .option('--timeout-ms <ms>', timeout, parseInteger(1), 5000)
    .option('--max-frame <bytes>', 'largest reply accepted', parseInteger(1, 0xffff_ffff), DEFAULT_MAX_FRAME);
}

/** Combinations commander cannot check alone: the usage error, or null. */
export function requestOptionsProblem(o: RequestOptions): string | null {
  for (const size of o.size) {
    if (o.framing === 'sockperf' && size < SOCKPERF_HEADER) return `option --size must be at least ${SOCKPERF_HEADER} with --framing sockperf (the header); ${size} is not`;
    // A request over the frame limit would be refused by a server of the same limit, and its echo by this one.
    if (size > o.maxFrame) return `option --size must be at most --max-frame (${o.maxFrame}); ${size} is not`;
  }
  if (o.framing === 'line' && o.mode === 'fixed' && o.response.includes('\n')) return 'option --response cannot contain a newline with --framing line';
  return null;
}

export function targetOf(o: RequestOptions): Target {
  return o.unix !== undefined ? { transport: 'unix', path: o.unix } : { transport: 'tcp', host: o.host, port: o.port };
}
