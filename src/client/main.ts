import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import {
  EXIT_FAILED,
  EXIT_OK,
  EXIT_SIGNAL,
  describeError,
  ioOption,
  onInterrupt,
  parseArgs,
  parseCpuList,
  parseInteger,
  parseNumber,
  parseRtPriority,
  pinOrExit,
  programName,
  realtimeOrExit,
  usageError,
} from '../cli/args.js';
import { paintFor } from '../cli/colour.js';
import { connectHint } from '../cli/hints.js';
import { packageVersion, runMeta } from '../cli/meta.js';
import { type RequestOptions, addRequestOptions, checkRequestOptions, targetOf } from '../cli/request-options.js';
import { allowedCpus } from '../machine/cpus.js';
import { type IoPath, usePublicIo } from '../io/binding.js';
import { type EncodedHistograms, encodeHistogram, encodeInterval, initHistograms, summarize, toHgrm } from '../stats/histogram.js';
import { HlogFile } from '../stats/hlog.js';
import { DEFAULT_INTERVAL_S, type Interval } from '../stats/intervals.js';
import { formatIntervalLine } from '../stats/report.js';
import { clientRun } from '../html/runs.js';
import { labelOf, writeReportPage } from '../html/write.js';
import { type ProbeResult, runProbe } from './probe.js';
import { type ClientFailure, type ClientOptions, buildReport, formatReport } from '../report/client.js';

const NAME = programName('client');
const startedAt = new Date();

const program = addRequestOptions(
  new Command(NAME).version(packageVersion()).description('Latency probe: one message at a time, every round trip timed in nanoseconds into an HDR histogram.'),
  'fail when a reply takes longer than this',
)
  .option('-n, --count <n>', 'measured round trips', parseInteger(1), 10_000)
  .option('-d, --duration <s>', 'measure for this many seconds instead of --count round trips', parseNumber(0.001, 604_800))
  .option(
    '-R, --rate <n>',
    'messages per second on a fixed schedule, latency counted from when each was due (as sockperf --mps); default: each as soon as the last reply is in',
    parseNumber(0.001, 10_000_000),
  )
  .option('-w, --warmup <n>', 'round trips before measuring', parseInteger(0), 1_000)
  .option('--cpu <list>', 'pin the client to these CPUs (taskset), e.g. 1', parseCpuList)
  .option('--busy-poll', 'never let the event loop sleep during the run: lower latency across CPUs, one CPU burnt', false)
  .option('--rt-priority <n>', 'run every thread under SCHED_FIFO at this priority, 1-99 (chrt; needs root or CAP_SYS_NICE)', parseRtPriority)
  .addOption(ioOption("handles: write straight to the socket's handle, one reused request (Node internals; used when this Node has them); sockets: socket.write only"))
  .option('--hgrm <file>', 'write the HdrHistogram percentile distribution (microseconds) to this file (with --rate, the uncorrected one too, as FILE-uncorrected)')
  .option(
    '--interval <s>',
    `seconds per interval histogram, and one live line per interval on stderr (default ${DEFAULT_INTERVAL_S}; the lines by default only when stderr is a terminal)`,
    parseNumber(0.01, 3600),
  )
  .option('--hlog <file>', 'write the HdrHistogram interval log (nanoseconds; tags rtt, and rtt-uncorrected with --rate) to this file')
  .option('--report <file.html>', "also write one self-contained HTML page: the percentile spectrum, the timeline of the intervals, the run's context (opens with no network)")
  .option('--json', 'print one JSON object instead of the text report', false)
  .addHelpText(
    'after',
    `
Exit status: 0 when every reply arrived and was right, 1 otherwise, 2 for bad
usage; 130 (SIGINT) or 143 (SIGTERM) after an interrupt, which still reports
what was measured, marked partial.

Examples:
  $ ${NAME}                                    # tcp://127.0.0.1:8080, 10 000 round trips of 64 B
  $ ${NAME} --unix /tmp/resp.sock --count 100000 --json
  $ ${NAME} --framing sockperf --port 11111 --size 64   # measure sockperf's own server
  $ taskset -c 0 ${NAME} --hgrm rtt.hgrm       # pin to CPU 0, keep the distribution
  $ ${NAME} -d 60 --interval 5 --hlog rtt.hlog  # a line every 5 s; the log for HdrHistogram's tools
  $ ${NAME} -d 10 --report rtt.html            # the report as a page to open in a browser`,
  );

parseArgs(program, process.argv);
type Options = RequestOptions & {
  count: number;
  duration?: number;
  rate?: number;
  warmup: number;
  cpu?: string;
  busyPoll: boolean;
  rtPriority?: number;
  io: IoPath;
  hgrm?: string;
  interval?: number;
  hlog?: string;
  report?: string;
  json: boolean;
};
const o = program.opts<Options>();
checkRequestOptions(NAME, o);
if (o.duration !== undefined && program.getOptionValueSource('count') === 'cli') usageError(NAME, 'options --count and --duration: give one, not both');
if (o.io === 'sockets') usePublicIo();
if (o.rtPriority !== undefined && o.busyPoll) usageError(NAME, 'options --rt-priority and --busy-poll: a real-time thread that never sleeps starves its CPU; give one, not both');
pinOrExit(NAME, '--cpu', o.cpu);
realtimeOrExit(NAME, o.rtPriority);
const target = targetOf(o);
const options: ClientOptions = {
  host: o.unix === undefined ? o.host : null,
  port: o.unix === undefined ? o.port : null,
  unix: o.unix ?? null,
  framing: o.framing,
  mode: o.mode,
  response: o.response,
  size: o.size,
  targetUs: o.targetUs,
  timeoutMs: o.timeoutMs,
  maxFrame: o.maxFrame,
  count: o.duration === undefined ? o.count : null,
  duration: o.duration ?? null,
  rate: o.rate ?? null,
  warmup: o.warmup,
  cpu: o.cpu ?? null,
  busyPoll: o.busyPoll,
  rtPriority: o.rtPriority ?? null,
  io: o.io,
  hgrm: o.hgrm ?? null,
  interval: o.interval ?? null,
  hlog: o.hlog ?? null,
  report: o.report ?? null,
  json: o.json,
};
const paintOut = paintFor(process.stdout);
const paintErr = paintFor(process.stderr);

/** One line on stderr, the program's name first. */
function complain(message: string): void {
  process.stderr.write(paintErr.error(`${NAME}: ${message}`) + '\n');
}

// The first SIGINT or SIGTERM stops the probe, which then reports what it measured; a second exits at once (onInterrupt).
let signal: 'SIGINT' | 'SIGTERM' | null = null;
const abort = new AbortController();
onInterrupt(NAME, (s) => {
  signal = s;
  abort.abort(s);
});

await initHistograms();

// Live lines: asked for with --interval, or on a terminal by default.
const live = o.interval !== undefined || process.stderr.isTTY === true;
let hlog: HlogFile | null = null;
let fileError: string | undefined;
if (o.hlog !== undefined) {
  try {
    hlog = new HlogFile(o.hlog, startedAt.getTime(), `[Logged with ${NAME} ${packageVersion()}]`);
  } catch (err) {
    // Nothing measured yet: fail now, as a connection failure does, rather than after the run.
    const error = `cannot write --hlog: ${describeError(err)}`;
    if (o.json) process.stdout.write(JSON.stringify({ meta: runMeta(NAME, startedAt), options, error, hint: null } satisfies ClientFailure) + '\n');
    complain(error);
    process.exit(EXIT_FAILED);
  }
}

if (o.report !== undefined) {
  // Found out now, not after the run: the page is written at the end.
  try {
    writeFileSync(o.report, '');
  } catch (err) {
    const error = `cannot write --report: ${describeError(err)}`;
    if (o.json) process.stdout.write(JSON.stringify({ meta: runMeta(NAME, startedAt), options, error, hint: null } satisfies ClientFailure) + '\n');
    complain(error);
    process.exit(EXIT_FAILED);
  }
}

/** With --json or --report, each closed interval, encoded, for the report. */
const keptIntervals: EncodedHistograms['intervals'] | null = o.json || o.report !== undefined ? [] : null;

/** Each closed interval: its line on stderr, its lines in the log, and with --json kept for the report. */
function onInterval(iv: Interval): void {
  keptIntervals?.push(encodeInterval(iv));
  if (live) {
    const line = formatIntervalLine('rtt', iv.elapsedS, (iv.endMs - iv.startMs) / 1000, iv.latency.totalCount, summarize(iv.latency), iv.errors);
    process.stderr.write(line + '\n');
  }
  if (hlog === null) return;
  try {
    hlog.write('rtt', iv.startMs, iv.endMs, iv.latency);
    if (iv.uncorrected !== null) hlog.write('rtt-uncorrected', iv.startMs, iv.endMs, iv.uncorrected);
  } catch (err) {
    fileError ??= `cannot write --hlog: ${describeError(err)}`;
  }
}

let result: ProbeResult;
try {
  result = await runProbe({
    ...o,
    durationS: o.duration,
    target,
    signal: abort.signal,
    intervalS: o.interval,
    onInterval: live || hlog !== null || keptIntervals !== null ? onInterval : undefined,
  });
} catch (err) {
  // No run: nothing half-built on stdout; with --json, one object that says why.
  const error = describeError(err);
  const hint = connectHint(err, target, o, false);
  if (o.json) process.stdout.write(JSON.stringify({ meta: runMeta(NAME, startedAt), options, error, hint } satisfies ClientFailure) + '\n');
  complain(hint === null ? error : `${error} (hint: ${hint})`);
  process.exit(signal === null ? EXIT_FAILED : EXIT_SIGNAL[signal]);
}

try {
  hlog?.close();
} catch (err) {
  fileError ??= `cannot write --hlog: ${describeError(err)}`;
}
if (o.hgrm !== undefined) {
  try {
    writeFileSync(o.hgrm, toHgrm(result.histogram));
    if (result.uncorrected !== null) writeFileSync(uncorrectedPath(o.hgrm), toHgrm(result.uncorrected));
  } catch (err) {
    fileError ??= `cannot write --hgrm: ${describeError(err)}`;
  }
}
const report = buildReport(result, options, { meta: runMeta(NAME, startedAt), cpus: allowedCpus('self'), signal, error: fileError });
if (keptIntervals !== null) {
  report.histograms = {
    latency: encodeHistogram(result.histogram),
    uncorrected: result.uncorrected === null ? null : encodeHistogram(result.uncorrected),
    intervals: keptIntervals,
  };
}
if (o.report !== undefined) {
  try {
    writeReportPage(o.report, [clientRun(report, labelOf(o.report))], `${NAME} report`, `${NAME} ${packageVersion()}`);
    process.stderr.write(`${NAME}: report written to ${o.report}\n`);
  } catch (err) {
    report.error ??= `cannot write --report: ${describeError(err)}`;
  }
}
result.histogram.destroy();
result.uncorrected?.destroy();
result.sendLag?.destroy();

if (o.json) process.stdout.write(JSON.stringify(report) + '\n');
// A run that got no reply at all has no figures to show: its one line on stderr says why, and what to check.
else if (report.error === null || report.received > 0 || report.partial) process.stdout.write(formatReport(report, paintOut) + '\n');
if (report.error !== null) complain(report.hint === null ? report.error : `${report.error} (hint: ${report.hint})`);
const ok = report.error === null && report.errors === 0 && report.received === report.sent;
process.exitCode = signal !== null && report.partial ? EXIT_SIGNAL[signal] : ok ? EXIT_OK : EXIT_FAILED;

/** rtt.hgrm -> rtt-uncorrected.hgrm; rtt -> rtt-uncorrected. */
function uncorrectedPath(path: string): string {
  const m = /^(.*?)(\.[^./]*)?$/.exec(path)!;
  return `${m[1]}-uncorrected${m[2] ?? ''}`;
}
