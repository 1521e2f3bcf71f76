import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { DEFAULT_MAX_FRAME, type Framing, type Mode } from '../protocol/index.js';
import { EXIT_FAILED, EXIT_OK, describeError, fatal, framingOption, modeOption, parseArgs, parseInteger, parseNumber, parsePort, usageError } from '../cli/args.js';
import { initHistograms, toHgrm } from '../stats/histogram.js';
import { runProbe } from './probe.js';
import { buildReport, formatReport } from './report.js';
import type { Target } from './target.js';

const NAME = 'client';

const program = new Command('client')
  .description('Latency probe: one message at a time, every round trip timed in nanoseconds into an HDR histogram.')
  .option('-H, --host <addr>', 'server TCP address', '127.0.0.1')
  .option('-p, --port <n>', 'server TCP port', parsePort, 8080)
  .option('-u, --unix <path>', 'connect to this Unix socket instead of TCP')
  .addOption(framingOption())
  .addOption(modeOption('the reply to expect: fixed (--response) or echo (the payload back)'))
  .option('-r, --response <text>', 'the reply expected in fixed mode', 'respuesta')
  .option('-n, --count <n>', 'measured round trips', parseInteger(1), 10_000)
  .option('-w, --warmup <n>', 'round trips before measuring', parseInteger(0), 1_000)
  .option('-s, --size <bytes>', 'payload bytes (sockperf framing: whole message, at least 14)', parseInteger(0, DEFAULT_MAX_FRAME), 64)
  .option('-t, --target-us <us>', 'latency target, microseconds', parseNumber(0.001), 1000)
  .option('--timeout-ms <ms>', 'fail when a reply takes longer than this', parseInteger(1), 5000)
  .option('--max-frame <bytes>', 'largest reply accepted', parseInteger(1, 0xffff_ffff), DEFAULT_MAX_FRAME)
  .option('--hgrm <file>', 'write the HdrHistogram percentile distribution (microseconds) to this file')
  .option('--json', 'print one JSON object instead of the text report', false)
  .addHelpText(
    'after',
    `
Exit status: 0 when every reply arrived and was right, 1 otherwise, 2 for bad usage.

Examples:
  $ client                                    # tcp://127.0.0.1:8080, 10 000 round trips of 64 B
  $ client --unix /tmp/resp.sock --count 100000 --json
  $ client --framing sockperf --port 11111 --size 64   # measure sockperf's own server
  $ taskset -c 0 client --hgrm rtt.hgrm       # pin to CPU 0, keep the distribution`,
  );

parseArgs(program, process.argv);
const o = program.opts<{
  host: string; port: number; unix?: string; framing: Framing; mode: Mode; response: string; count: number; warmup: number;
  size: number; targetUs: number; timeoutMs: number; maxFrame: number; hgrm?: string; json: boolean;
}>();

if (o.framing === 'sockperf' && o.size < 14) usageError(NAME, 'option --size must be at least 14 with --framing sockperf (the header)');
if (o.framing === 'line' && o.mode === 'fixed' && o.response.includes('\n')) usageError(NAME, 'option --response cannot contain a newline with --framing line');

const target: Target = o.unix !== undefined ? { transport: 'unix', path: o.unix } : { transport: 'tcp', host: o.host, port: o.port };

await initHistograms();
let result;
try {
  result = await runProbe({ ...o, target });
} catch (err) {
  fatal(NAME, describeError(err));
}
const report = buildReport(result, o);
let written = true;
if (o.hgrm !== undefined) {
  try {
    writeFileSync(o.hgrm, toHgrm(result.histogram));
  } catch (err) {
    process.stderr.write(`${NAME}: cannot write --hgrm: ${describeError(err)}\n`);
    written = false;
  }
}
result.histogram.destroy();
process.stdout.write(o.json ? JSON.stringify(report) + '\n' : formatReport(report) + '\n');
if (report.failure !== null) process.stderr.write(`${NAME}: ${report.failure}\n`);
const ok = written && report.failure === null && report.errors === 0 && report.received === report.sent;
process.exitCode = ok ? EXIT_OK : EXIT_FAILED;
