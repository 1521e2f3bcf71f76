import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { EXIT_FAILED, EXIT_OK, describeError, fatal, parseArgs, parseCpuList, parseInteger, ioOption, pinOrExit } from '../cli/args.js';
import { type RequestOptions, addRequestOptions, checkRequestOptions, targetOf } from '../cli/request-options.js';
import { allowedCpus } from '../io/placement.js';
import { type IoPath, usePublicIo } from '../io/binding.js';
import { initHistograms, toHgrm } from '../stats/histogram.js';
import { type ProbeResult, runProbe } from './probe.js';
import { buildReport, formatReport } from './report.js';
import { programName } from '../cli/args.js';
import { packageVersion } from '../cli/meta.js';

const NAME = programName('client');

const program = addRequestOptions(
  new Command(NAME).version(packageVersion()).description('Latency probe: one message at a time, every round trip timed in nanoseconds into an HDR histogram.'),
  'fail when a reply takes longer than this',
)
  .option('-n, --count <n>', 'measured round trips', parseInteger(1), 10_000)
  .option('-w, --warmup <n>', 'round trips before measuring', parseInteger(0), 1_000)
  .option('--cpu <list>', 'pin the client to these CPUs (taskset), e.g. 1', parseCpuList)
  .option('--busy-poll', 'never let the event loop sleep during the run: lower latency across CPUs, one CPU burnt', false)
  .addOption(ioOption("handles: write straight to the socket's handle, one reused request (Node internals; used when this Node has them); sockets: socket.write only"))
  .option('--hgrm <file>', 'write the HdrHistogram percentile distribution (microseconds) to this file')
  .option('--json', 'print one JSON object instead of the text report', false)
  .addHelpText(
    'after',
    `
Exit status: 0 when every reply arrived and was right, 1 otherwise, 2 for bad usage.

Examples:
  $ ${NAME}                                    # tcp://127.0.0.1:8080, 10 000 round trips of 64 B
  $ ${NAME} --unix /tmp/resp.sock --count 100000 --json
  $ ${NAME} --framing sockperf --port 11111 --size 64   # measure sockperf's own server
  $ taskset -c 0 ${NAME} --hgrm rtt.hgrm       # pin to CPU 0, keep the distribution`,
  );

parseArgs(program, process.argv);
const o = program.opts<RequestOptions & { count: number; warmup: number; cpu?: string; busyPoll: boolean; io: IoPath; hgrm?: string; json: boolean }>();
checkRequestOptions(NAME, o);
if (o.io === 'sockets') usePublicIo();
pinOrExit(NAME, '--cpu', o.cpu);
const target = targetOf(o);

await initHistograms();
let result: ProbeResult;
try {
  result = await runProbe({ ...o, target });
} catch (err) {
  fatal(NAME, describeError(err));
}
const report = buildReport(result, o, allowedCpus('self'));
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
