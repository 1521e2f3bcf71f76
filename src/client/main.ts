/**
 * bin/client: the options, the probe, the report. `main` parses, runs one
 * probe (probe.ts) and renders its report (report.ts) on the streams it is
 * given; it returns the exit code and leaves nothing behind, so that a test
 * can run it in-process. The output options it shares with the benchmark
 * (--json, --hgrm, --hlog, --report, live lines, interrupts) are
 * src/cli/output.ts.
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import {
  EXIT_FAILED,
  EXIT_SIGNAL,
  describeError,
  ioOption,
  parseCommand,
  parseCpuList,
  parseInteger,
  parseNumber,
  parseRtPriority,
  pinProblem,
  programName,
  realtimeProblem,
} from '../cli/args.js';
import { connectHint } from '../cli/hints.js';
import { packageVersion, runMeta } from '../cli/meta.js';
import { type OutputOptions, Interrupts, addOutputOptions, exitCode } from '../cli/output.js';
import { RunOutput, keptHistograms } from '../output/run-output.js';
import { type ProgramIo, RunError, UsageError, processIo, runAsProgram, runProgram } from '../cli/program.js';
import { type RequestOptions, addRequestOptions, requestOptionsProblem, respDefaultSize, targetOf } from '../cli/request-options.js';
import type { Target } from '../io/connect.js';
import { allowedCpus } from '../machine/cpus.js';
import { type IoPath, chooseIo } from '../io/binding.js';
import { initHistograms, toHgrm } from '../stats/histogram.js';
import { DEFAULT_INTERVAL_S } from '../stats/intervals.js';
import { clientRun, clientSizesRun } from '../html/runs.js';
import { sizeTag } from '../report/scenario.js';
import { buildSizesReport, sizesOk } from '../report/client-sizes.js';
import { type ProbeResult, runProbe } from './probe.js';
import { type ClientFailure, type ClientOptions, type ClientReport, buildReport, formatReport } from '../report/client.js';

type Options = RequestOptions &
  OutputOptions & {
    count: number;
    duration?: number;
    rate?: number;
    warmup: number;
    cpu?: string;
    busyPoll: boolean;
    rtPriority?: number;
    io: IoPath;
  };

/** The client's options and help. */
function clientCommand(name: string): Command {
  const cmd = addRequestOptions(
    new Command(name).version(packageVersion()).description('Latency probe: one message at a time, every round trip timed in nanoseconds into an HDR histogram.'),
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
    .addOption(ioOption("handles: write straight to the socket's handle, one reused request (Node internals; used when this Node has them); sockets: socket.write only"));
  return addOutputOptions(cmd, {
    hgrmValue: '<file>',
    hgrm: 'write the HdrHistogram percentile distribution (microseconds) to this file (with --rate, the uncorrected one too, as FILE-uncorrected)',
    interval: `seconds per interval histogram, and one live line per interval on stderr (default ${DEFAULT_INTERVAL_S}; the lines by default only when stderr is a terminal)`,
    hlog: 'write the HdrHistogram interval log (nanoseconds; tags rtt, and rtt-uncorrected with --rate) to this file',
    report: "also write one self-contained HTML page: the percentile spectrum, the timeline of the intervals, the run's context (opens with no network)",
    json: 'print one JSON object instead of the text report',
  }).addHelpText(
    'after',
    `
With several sizes (--size 64,1024,16384), one block per size, in the order
given: each has its own connection, warm-up and measurement, and its own
report, printed as it finishes; --json prints one object whose blocks are
those reports, --hlog tags each block rtt-64B, rtt-1024B, ..., --hgrm FILE
becomes FILE-64B, ..., and --report overlays the sizes' spectra.

Exit status: 0 when every reply arrived and was right, 1 otherwise, 2 for bad
usage; 130 (SIGINT) or 143 (SIGTERM) after an interrupt, which still reports
what was measured, marked partial.

Examples:
  $ ${name}                                    # tcp://127.0.0.1:8080, 10 000 round trips of 64 B
  $ ${name} --unix /tmp/resp.sock --count 100000 --json
  $ ${name} --framing sockperf --port 11111 --size 64   # measure sockperf's own server
  $ ${name} --framing resp --port 6379         # redis-server: PING round trips (--size 64: ECHO of 64 B)
  $ ${name} --udp --framing sockperf --port 11111       # over UDP, sockperf's default: lost and late replies counted
  $ ${name} --udp --mode echo --timeout-ms 200          # UDP echo (length framing): numbered payloads
  $ taskset -c 0 ${name} --hgrm rtt.hgrm       # pin to CPU 0, keep the distribution
  $ ${name} -d 60 --interval 5 --hlog rtt.hlog  # a line every 5 s; the log for HdrHistogram's tools
  $ ${name} -d 10 --report rtt.html            # the report as a page to open in a browser
  $ ${name} --size 64,1024,16384 --report sizes.html   # latency against message size, one block per size`,
  );
}

/** Parse and check `argv`: the options, or the exit code (help, version, bad usage: already written). */
function parse(name: string, argv: string[], io: ProgramIo): Options | number {
  const program = clientCommand(name);
  const code = parseCommand(program, argv, io);
  if (code !== null) return code;
  const o = program.opts<Options>();
  const problem = requestOptionsProblem(o);
  if (problem !== null) throw new UsageError(problem);
  respDefaultSize(o, (option) => program.getOptionValueSource(option) === 'cli');
  if (o.duration !== undefined && program.getOptionValueSource('count') === 'cli') throw new UsageError('options --count and --duration: give one, not both');
  chooseIo(o.io);
  if (o.rtPriority !== undefined && o.busyPoll) throw new UsageError('options --rt-priority and --busy-poll: a real-time thread that never sleeps starves its CPU; give one, not both');
  const pin = pinProblem('--cpu', o.cpu);
  if (pin !== null) throw new UsageError(pin);
  const realtime = realtimeProblem(o.rtPriority);
  if (realtime !== null) throw new RunError(realtime);
  return o;
}

/** The options as the report states them, for the block of `size`. */
function clientOptions(o: Options, size: number): ClientOptions {
  return {
    host: o.unix === undefined ? o.host : null,
    port: o.unix === undefined ? o.port : null,
    unix: o.unix ?? null,
    udp: o.udp,
    framing: o.framing,
    mode: o.mode,
    response: o.response,
    size,
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
}

/**
 * The client: `argv` are the words after its name; it writes to `io` and
 * returns the exit code (0, 1, 2, or 130/143 after an interrupt).
 */
export async function main(argv: string[], io: ProgramIo = processIo()): Promise<number> {
  const startedAt = new Date();
  const name = programName('client');
  return runProgram(name, io, async () => {
    const o = parse(name, argv, io);
    if (typeof o === 'number') return o;
    // The first SIGINT or SIGTERM stops the probe, which then reports what it measured; a second exits at once.
    const interrupts = new Interrupts(name);
    try {
      return await probe(name, o, new RunOutput(name, io, o, startedAt, o.interval !== undefined || io.stderr.isTTY === true), interrupts);
    } finally {
      interrupts.dispose();
    }
  });
}

/** Run the probe, once per size, and render its report. */
async function probe(name: string, o: Options, out: RunOutput, interrupts: Interrupts): Promise<number> {
  const target: Target = targetOf(o);
  const failure = (error: string, hint: string | null): ClientFailure => ({ meta: runMeta(name, out.startedAt), options: clientOptions(o, o.size[0]), error, hint });
  await initHistograms();

  // Nothing measured yet: fail now, as a connection failure does, rather than after the run.
  const unwritable = out.openFiles();
  if (unwritable !== null) return out.failEarly(failure(unwritable, null), unwritable);

  // Several sizes: a block each, its own warm-up and measurement on its own connection, tagged with its size.
  const sized = o.size.length > 1;
  const blocks: ClientReport[] = [];
  /** Why a size after the first could not run: the sweep stops there, with the blocks it has. */
  let stopped: string | null = null;
  for (const size of o.size) {
    if (interrupts.signal !== null) break;
    /** With --json or --report, each closed interval, encoded, for the report. */
    const kept = out.keptIntervals();
    let fileError: string | undefined;
    let result: ProbeResult;
    try {
      result = await runProbe({
        ...o,
        size,
        durationS: o.duration,
        target,
        signal: interrupts.abortSignal,
        intervalS: o.interval,
        onInterval: out.intervalSink(sized ? `rtt-${sizeTag(size)}` : 'rtt', kept, (message) => {
          fileError ??= message;
        }),
      });
    } catch (err) {
      const error = describeError(err);
      if (blocks.length > 0) {
        stopped = `size ${size} B: ${error}`;
        break;
      }
      // No run: nothing half-built on stdout; with --json, one object that says why.
      out.closeLog();
      const hint = connectHint(err, target, o, false);
      out.failEarly(failure(error, hint), error, hint);
      return interrupts.signal === null ? EXIT_FAILED : EXIT_SIGNAL[interrupts.signal];
    }
    if (!sized) fileError ??= out.closeLog() ?? undefined;
    if (o.hgrm !== undefined) {
      const path = sized ? sizedPath(o.hgrm, size) : o.hgrm;
      try {
        writeFileSync(path, toHgrm(result.histogram));
        if (result.uncorrected !== null) writeFileSync(uncorrectedPath(path), toHgrm(result.uncorrected));
      } catch (err) {
        fileError ??= `cannot write --hgrm: ${describeError(err)}`;
      }
    }
    const report = buildReport(result, clientOptions(o, size), { meta: runMeta(name, out.startedAt), cpus: allowedCpus('self'), signal: interrupts.signal, error: fileError });
    if (kept !== null) report.histograms = keptHistograms(result.histogram, result.uncorrected, kept);
    result.histogram.destroy();
    result.uncorrected?.destroy();
    result.sendLag?.destroy();
    blocks.push(report);
    // Each block as it finishes; its first line names its size.
    if (sized && !o.json) out.print(`${blocks.length > 1 ? '\n' : ''}${formatReport(report, out.paintOut)}`);
    if (report.partial) break;
  }
  return sized ? renderSizes(o, out, interrupts, blocks, stopped) : renderOne(o, out, interrupts, blocks[0]);
}

/** One size: the report as it always was. */
function renderOne(o: Options, out: RunOutput, interrupts: Interrupts, report: ClientReport): number {
  const pageError = out.writePage((label) => clientRun(report, label));
  if (pageError !== null) report.error ??= pageError;
  if (o.json) out.print(JSON.stringify(report));
  // A run that got no reply at all has no figures to show: its one line on stderr says why, and what to check.
  else if (report.error === null || report.received > 0 || report.partial) out.print(formatReport(report, out.paintOut));
  if (report.error !== null) out.complain(report.error, report.hint);
  const ok = report.error === null && report.errors === 0 && report.received === report.sent;
  return exitCode(report.partial ? interrupts.signal : null, ok);
}

/** Several sizes: the blocks (already printed as text), then the page, the JSON, each failure in one line. */
function renderSizes(o: Options, out: RunOutput, interrupts: Interrupts, blocks: ClientReport[], stopped: string | null): number {
  const logError = out.closeLog();
  const sweep = buildSizesReport(o.size, blocks, stopped ?? logError);
  const pageError = out.writePage((label) => clientSizesRun(sweep, label));
  if (pageError !== null) sweep.error ??= pageError;
  sweep.ok = sizesOk(sweep);
  if (o.json) out.print(JSON.stringify(sweep));
  for (const b of sweep.blocks) if (b.error !== null) out.complain(`size ${b.size} B: ${b.error}`, b.hint);
  if (sweep.error !== null) out.complain(sweep.error);
  return exitCode(blocks.at(-1)?.partial === true ? interrupts.signal : null, sweep.ok);
}

/** rtt.hgrm -> rtt-64B.hgrm; rtt -> rtt-64B: a file per size. */
function sizedPath(path: string, size: number): string {
  const m = /^(.*?)(\.[^./]*)?$/.exec(path)!;
  return `${m[1]}-${sizeTag(size)}${m[2] ?? ''}`;
}

/** rtt.hgrm -> rtt-uncorrected.hgrm; rtt -> rtt-uncorrected. */
function uncorrectedPath(path: string): string {
  const m = /^(.*?)(\.[^./]*)?$/.exec(path)!;
  return `${m[1]}-uncorrected${m[2] ?? ''}`;
}

await runAsProgram(import.meta.url, main);
