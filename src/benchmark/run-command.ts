/**
 * bin/benchmark: the options, then the run. Scenarios run one after the
 * other; each one's row is printed the moment it finishes (the head of the
 * report with the first, the tail at the end), or with --json the whole
 * report is one object at the end.
 *
 * One failure, one place. A failure before anything was measured (the
 * server cannot start, the first scenario cannot connect, --hgrm cannot be
 * created) prints one line on stderr and nothing on stdout, or with --json
 * one object with an `error` field; exit 1. A failure later is part of the
 * report that follows the rows already printed.
 *
 * Each scenario's measured window is cut into intervals (--interval, 1 s by
 * default): with --interval, or by default when only stderr is a terminal,
 * one line per interval on stderr, in place of the progress bar (a bar
 * redrawn under printed lines would be garbled by its own cursor moves);
 * with --hlog, the HdrHistogram
 * interval log of every scenario, tagged by scenario.
 *
 * SIGINT or SIGTERM stops the load (Load.stop: the window closes at once,
 * what is in flight gets a short drain), and the report covers every
 * finished scenario and the partial one, as the run would have printed it,
 * with its --hgrm files; a spawned server is stopped; exit 130 or 143. A
 * second signal exits at once (src/cli/args.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { EXIT_FAILED, EXIT_OK, EXIT_SIGNAL, describeError, ioOption, onInterrupt, parseArgs, parseCpuList, parseInteger, parseNumber, pinOrExit, programName, usageError } from '../cli/args.js';
import { paintFor } from '../cli/colour.js';
import { commandFor, connectHint } from '../cli/hints.js';
import { packageVersion, runMeta } from '../cli/meta.js';
import { type RequestOptions, addRequestOptions, checkRequestOptions, targetOf } from '../cli/request-options.js';
import { type IoPath, ioPath, usePublicIo } from '../io/binding.js';
import { type Target, targetUrl } from '../io/connect.js';
import { allowedCpus } from '../machine/cpus.js';
import { encodeHistogram, encodeInterval, initHistograms, summarize } from '../stats/histogram.js';
import { HlogFile } from '../stats/hlog.js';
import { DEFAULT_INTERVAL_S, type Interval } from '../stats/intervals.js';
import { formatIntervalLine } from '../stats/report.js';
import type { CpuPlacement } from '../report/advice.js';
import { parseIntList, parseSlo, presetScenarios, scenarioMatrix, sloBreaches } from './options.js';
import { PRESETS, type Preset, type Scenario, type SloLimit, scenarioTag } from '../report/scenario.js';
import { writeHgrm } from './hgrm.js';
import { benchmarkRun } from '../html/runs.js';
import { COMMAND_LIST, misplacedCommand } from './commands.js';
import { labelOf, writeReportPage } from '../html/write.js';
import { createProgress } from './progress.js';
import {
  type BenchmarkOptions,
  type BenchmarkReport,
  type ScenarioHistograms,
  type ScenarioReport,
  buildScenarioReport,
  formatSlo,
  replyHintFor,
  scenarioOk,
  scenariosOverTarget,
} from '../report/benchmark.js';
import { type ScenarioResult, runScenario, settleInterrupt } from './run.js';
import { SpawnedServer } from './spawned.js';
import { onlineCpus, parseCpuSet } from '../machine/cpus.js';
import { bordersFor } from '../report/table.js';
import { formatHead, formatNotes, formatRow, scenarioColumns } from '../report/benchmark-text.js';
import { cpuWindow } from './window.js';

const NAME = programName('benchmark');

const program = addRequestOptions(
  new Command(NAME).version(packageVersion()).description('Concurrency report: many connections, pipelining, closed or open loop (corrected for coordinated omission), HDR percentiles.'),
  'a request unanswered this long is lost',
)
  .addOption(new Option('-c, --connections <list>', 'connections, comma-separated: one scenario each').argParser(parseIntList(100_000)).default([10], '10'))
  .addOption(new Option('-P, --pipeline <list>', 'requests in flight per connection (open loop: at most), comma-separated').argParser(parseIntList(65_536)).default([1], '1'))
  .option('-R, --rate <list>', 'open loop: messages per second in total, comma-separated; without it, closed loop', parseIntList(100_000_000))
  .option('-d, --duration <s>', 'measured seconds per scenario', parseNumber(0.1), 5)
  .option('-w, --warmup <s>', 'seconds per scenario before measuring', parseNumber(0), 1)
  .addOption(new Option('--preset <name>', 'a named scenario matrix instead of --connections/--pipeline/--rate').choices(PRESETS))
  .option('-T, --threads <n>', 'load generator threads (worker_threads); connections are split between them', parseInteger(1, 256), 1)
  .option('--slo <limits>', 'fail (exit 1) when a scenario breaks one, e.g. p99=1000,p99.9=5000 (microseconds)', parseSlo)
  .option('--spawn-server', `start ${commandFor('server')} with the same framing, mode and transport, and stop it at the end`, false)
  .option('--server-cpu <list>', 'with --spawn-server: CPUs for the server (taskset)', parseCpuList)
  .option('--client-cpu <list>', 'CPUs for this benchmark (taskset)', parseCpuList)
  .addOption(ioOption("handles: write straight to each socket's handle, one reused request (Node internals; used when this Node has them); sockets: socket.write only"))
  .option('--hgrm <dir>', 'write one HdrHistogram percentile distribution (microseconds) per scenario into this directory')
  .option(
    '--interval <s>',
    `seconds per interval histogram, and one live line per interval on stderr in place of the progress bar (default ${DEFAULT_INTERVAL_S}; the lines by default only when stderr is a terminal and stdout is not)`,
    parseNumber(0.01, 3600),
  )
  .option('--hlog <file>', 'write the HdrHistogram interval log (nanoseconds) of every scenario to this file, tagged c10-p1-closed, c10-p1-r5000 and c10-p1-r5000-uncorrected')
  .option('--report <file.html>', "also write one self-contained HTML page: percentile spectra, timelines of the intervals, the run's context (opens with no network)")
  .option('--json', 'print one JSON object instead of the tables', false)
  .option('--ascii', 'draw the tables with ASCII characters (the default when the locale is not UTF-8)', false)
  .option('--no-progress', 'no progress bar and, without --interval, no live lines (both are drawn only on a terminal anyway)')
  // A word where none is expected is most likely a command mistyped or out of place: said in full below (commands.ts).
  .argument('[command...]')
  .usage('[options]\n       ' + `${NAME} <command> [arguments]   (${COMMAND_LIST}; ${NAME} help <command>)`)
  .addHelpText(
    'after',
    `
Closed loop (default): each connection keeps --pipeline requests in flight.
Open loop (--rate): messages leave on a fixed schedule; latency runs from when
each was due, so a stalled server is charged for the messages it held back.

Each scenario's row is printed as soon as it finishes. Ctrl-C (SIGINT) or
SIGTERM stops the run and prints what was measured: the finished scenarios
and the interrupted one, marked partial; a second Ctrl-C exits at once.

Commands, on runs kept with --json or --hlog (each has its own --help):
  report    draw kept runs in one HTML page, overlaid
  compare   two runs side by side, exit 1 on a regression
  merge     exact percentiles of the interval logs of generators run at once

Exit status: 0 on a clean run, 1 when a reply was wrong or lost or an --slo
was breached, 2 for bad usage, 130 after SIGINT, 143 after SIGTERM.

Examples:
  $ ${NAME} --connections 1,10,50 --pipeline 1,16
  $ ${NAME} --rate 10000,50000 --connections 50 --slo p99=1000
  $ ${NAME} --spawn-server --server-cpu 0 --client-cpu 1 --preset medium
  $ ${NAME} --framing sockperf --port 11111 -c 1     # sockperf's own server: one connection at a time
  $ ${NAME} --unix /tmp/resp.sock --json --hgrm results/
  $ ${NAME} -c 10,50 -d 30 --interval 5 --hlog run.hlog   # a line every 5 s, the log for HdrHistogram's tools
  $ ${NAME} --spawn-server -c 1,50 --report run.html      # the report as a page to open in a browser
  $ ${NAME} report before.json after.json --html ab.html # kept runs overlaid in one page (report --help)
  $ ${NAME} compare before.json after.json   # two --json runs side by side; exit 1 on a regression (compare --help)
  $ ${NAME} merge gen-1.hlog gen-2.hlog                   # exact percentiles of generators run at once (merge --help)`,
  );

parseArgs(program, process.argv);
if (program.args.length > 0) usageError(NAME, misplacedCommand(program.args[0], NAME));
type Options = RequestOptions & {
  connections: number[];
  pipeline: number[];
  rate?: number[];
  duration: number;
  warmup: number;
  preset?: Preset;
  threads: number;
  slo?: SloLimit[];
  spawnServer: boolean;
  serverCpu?: string;
  clientCpu?: string;
  hgrm?: string;
  interval?: number;
  hlog?: string;
  report?: string;
  json: boolean;
  ascii: boolean;
  progress: boolean;
  io: IoPath;
};
const o = program.opts<Options>();
const given = (name: string) => program.getOptionValueSource(name) === 'cli';

checkRequestOptions(NAME, o);
if (o.io === 'sockets') usePublicIo();
if (o.serverCpu !== undefined && !o.spawnServer) usageError(NAME, 'option --server-cpu needs --spawn-server (the benchmark can only place a server it starts)');
if (o.preset !== undefined) {
  for (const name of ['connections', 'pipeline', 'rate']) {
    if (given(name)) usageError(NAME, `option --${name} cannot be combined with --preset (the preset sets it)`);
  }
}

const scenarios: Scenario[] =
  o.preset !== undefined
    ? presetScenarios(o.preset, given('warmup') ? o.warmup : undefined, given('duration') ? o.duration : undefined)
    : scenarioMatrix(o.connections, o.pipeline, o.rate ?? [null], o.warmup, o.duration);
const slo = o.slo ?? [];
// sockperf's plain server takes the next connection only when the one before it closes: the others wait,
// unanswered (with a feed file and -F epoll it serves several: docs/PERFORMANCE.md, "Against sockperf's own server").
if (o.framing === 'sockperf' && !o.spawnServer && scenarios.some((s) => s.connections > 1)) {
  const most = Math.max(...scenarios.map((s) => s.connections));
  process.stderr.write(
    paintFor(process.stderr).warn(
      `${NAME}: warning: sockperf's own server serves one connection at a time (unless started with a feed file and -F epoll): against a plain \`sockperf server --tcp\`, scenarios of more than one connection (here up to ${most}) lose replies; use --connections 1 there (${commandFor('server')} --framing sockperf serves many)`,
    ) + '\n',
  );
}

pinOrExit(NAME, '--client-cpu', o.clientCpu);

const startedAt = new Date();
let spawned: SpawnedServer | null = null;
let interrupted: 'SIGINT' | 'SIGTERM' | null = null;
const stopLoad = new AbortController();
onInterrupt(NAME, (signal) => {
  interrupted = signal;
  stopLoad.abort();
  // Stopping may take a moment (a short drain, a spawned server's own stop): say what is happening.
  const again = signal === 'SIGINT' ? 'Ctrl-C' : signal;
  process.stderr.write(paintFor(process.stderr).warn(`${NAME}: ${signal}: stopping, then reporting what was measured (${again} again to exit at once)`) + '\n');
});
// A second signal exits at once (onInterrupt): not leaving the server this process started.
process.on('exit', () => spawned?.kill());

/**
 * A failure before anything was measured: one line on stderr, nothing half
 * built on stdout (with --json, one object with `error`); exit 1.
 */
async function failEarly(message: string, hint: string | null = null): Promise<never> {
  await spawned?.stop(false);
  if (o.json) process.stdout.write(JSON.stringify({ ok: false, error: message, hint, meta: runMeta(NAME, startedAt) }) + '\n');
  process.stderr.write(paintFor(process.stderr).error(`${NAME}: ${message}${hint === null ? '' : ` (hint: ${hint})`}`) + '\n');
  process.exit(EXIT_FAILED);
}

if (o.hgrm !== undefined) {
  try {
    mkdirSync(o.hgrm, { recursive: true });
  } catch (err) {
    await failEarly(`cannot create the --hgrm directory: ${describeError(err)}`);
  }
}

let hlog: HlogFile | null = null;
if (o.hlog !== undefined) {
  try {
    hlog = new HlogFile(o.hlog, startedAt.getTime(), `[Logged with ${NAME} ${packageVersion()}]`);
  } catch (err) {
    await failEarly(`cannot write --hlog: ${describeError(err)}`);
  }
}

if (o.report !== undefined) {
  // Found out now, not after the run: the page is written at the end.
  try {
    writeFileSync(o.report, '');
  } catch (err) {
    await failEarly(`cannot write --report: ${describeError(err)}`);
  }
}

await initHistograms();

let target: Target = targetOf(o);
if (o.spawnServer) {
  try {
    spawned = await SpawnedServer.start({
      transport: target.transport,
      host: o.host,
      port: given('port') ? o.port : 0,
      path: o.unix,
      framing: o.framing,
      mode: o.mode,
      response: o.response,
      maxFrame: o.maxFrame,
      cpus: o.serverCpu,
    });
  } catch (err) {
    await failEarly(`cannot start the server: ${describeError(err)}`);
  }
  target = spawned!.server.target;
}

const online = onlineCpus();
const clientCpus = allowedCpus('self');
const serverCpus = spawned?.cpus() ?? null;
/** Where the benchmark and the server may run, for the warnings' advice. */
const cpuPlacement: CpuPlacement = {
  client: parseCpuSet(clientCpus) ?? online,
  server: spawned === null ? null : (parseCpuSet(serverCpus) ?? online),
  online,
};

const options: BenchmarkOptions = {
  framing: o.framing,
  mode: o.mode,
  response: o.mode === 'fixed' && o.framing !== 'sockperf' ? o.response : null,
  size: o.size,
  targetUs: o.targetUs,
  timeoutMs: o.timeoutMs,
  maxFrame: o.maxFrame,
  preset: o.preset ?? null,
  scenarios,
  threads: o.threads,
  slo: formatSlo(slo),
  spawnServer: o.spawnServer,
  serverCpu: o.serverCpu ?? null,
  clientCpu: o.clientCpu ?? null,
  io: ioPath(),
  hgrm: o.hgrm ?? null,
  interval: o.interval ?? null,
  hlog: o.hlog ?? null,
  report: o.report ?? null,
};
const reports: ScenarioReport[] = [];
const report: BenchmarkReport = {
  meta: runMeta(NAME, startedAt),
  transport: target.transport,
  address: targetUrl(target),
  framing: o.framing,
  mode: o.mode,
  size: o.size,
  targetUs: o.targetUs,
  options,
  placement: { clientCpus, serverCpus, serverSpawned: spawned !== null },
  slo: formatSlo(slo),
  scenarios: reports,
  server: null,
  interrupted: null,
  ok: false,
  scenariosOverTarget: [],
  failure: null,
  hint: null,
};

const borders = bordersFor(o.ascii);
const cols = scenarioColumns(scenarios, o.targetUs, o.threads, borders);
// Live lines: asked for with --interval; by default when stderr is a terminal and stdout is not (the
// table or JSON goes elsewhere). With both on one terminal the bar is drawn instead, as the table's rows
// come between scenarios and lines would split it. The lines replace the bar: a bar redrawn under printed
// lines is garbled by its own cursor moves.
const live = o.interval !== undefined || (o.progress && process.stderr.isTTY === true && process.stdout.isTTY !== true);
const progress = createProgress(o.progress && !o.json && !live, scenarios, borders.bar === '|');
const print = (text: string) => !o.json && process.stdout.write(text + '\n');
/**
 * One turn of the event loop, before a scenario's end is judged: a Ctrl-C
 * that stopped a spawned server too may have ended the scenario (its
 * connections closed) in the same turn as it reached this process, ahead of
 * this process's handler.
 */
const aTurn = () => new Promise((resolve) => setImmediate(resolve));
let written = true;

/** Scenario `tag`'s closed intervals: a live line on stderr, lines in the --hlog file, and with --json kept in `kept`, encoded. */
function intervalSink(tag: string, kept: ScenarioHistograms['intervals'] | null): (iv: Interval) => void {
  return (iv) => {
    kept?.push(encodeInterval(iv));
    if (live) {
      const line = formatIntervalLine(tag, iv.elapsedS, (iv.endMs - iv.startMs) / 1000, iv.latency.totalCount, summarize(iv.latency), iv.errors);
      process.stderr.write(line + '\n');
    }
    if (hlog === null) return;
    try {
      hlog.write(tag, iv.startMs, iv.endMs, iv.latency);
      if (iv.uncorrected !== null) hlog.write(`${tag}-uncorrected`, iv.startMs, iv.endMs, iv.uncorrected);
    } catch (err) {
      process.stderr.write(paintFor(process.stderr).error(`${NAME}: cannot write --hlog: ${describeError(err)}`) + '\n');
      hlog = null;
      written = false;
    }
  };
}

for (const [i, s] of scenarios.entries()) {
  if (interrupted !== null) break;
  const cpu = cpuWindow(spawned?.pid ?? null, cpuPlacement.client);
  progress.begin(i);
  let r: ScenarioResult;
  // The histograms are kept for --json and for the page (--report), which is drawn from the report.
  const kept: ScenarioHistograms['intervals'] | null = o.json || o.report !== undefined ? [] : null;
  try {
    const onInterval = live || hlog !== null || kept !== null ? intervalSink(scenarioTag(s), kept) : undefined;
    r = await runScenario(s, { ...o, target, intervalS: o.interval ?? DEFAULT_INTERVAL_S }, cpu, stopLoad.signal, (n) => progress.update(n), onInterval);
  } catch (err) {
    progress.end();
    await aTurn();
    // Interrupted while connecting (a spawned server, signalled too, may have stopped listening): nothing of it to report.
    if (interrupted === null) {
      report.failure = `scenario ${i + 1}: ${describeError(err)}`;
      report.hint = connectHint(err, target, o, !o.spawnServer);
    }
    break;
  }
  progress.end();
  await aTurn();
  if (interrupted !== null) settleInterrupt(r, s.durationS, (await spawned?.signalledToo()) === true);
  const sr = buildScenarioReport(s, r, cpu.result(), cpuPlacement, (l) => sloBreaches(l, slo), o.targetUs);
  if (kept !== null) sr.histograms = { latency: encodeHistogram(r.latency), uncorrected: r.uncorrected === null ? null : encodeHistogram(r.uncorrected), intervals: kept };
  reports.push(sr);
  print((i === 0 ? formatHead(report, cols) + '\n' : '') + formatRow(sr, i, cols));
  if (o.hgrm !== undefined) {
    try {
      writeHgrm(o.hgrm, i, s, r, sr.partial);
    } catch (err) {
      process.stderr.write(paintFor(process.stderr).error(`${NAME}: cannot write --hgrm: ${describeError(err)}`) + '\n');
      written = false;
    }
  }
  r.latency.destroy();
  r.uncorrected?.destroy();
  r.sendLag?.destroy();
  if (sr.partial) break;
}

if (reports.length === 0 && report.failure !== null) await failEarly(report.failure, report.hint);
report.hint ??= replyHintFor(reports, o);
try {
  hlog?.close();
} catch (err) {
  process.stderr.write(paintFor(process.stderr).error(`${NAME}: cannot write --hlog: ${describeError(err)}`) + '\n');
  written = false;
}

report.interrupted = interrupted;
report.ok = interrupted === null && report.failure === null && written && reports.length === scenarios.length && reports.every(scenarioOk);
report.scenariosOverTarget = scenariosOverTarget(reports, o.targetUs);
/** With --report, the page, drawn from the finished report (the spawned server's summary included); a failure to write it fails the run. */
function writePage(): void {
  if (o.report === undefined || reports.length === 0) return;
  try {
    writeReportPage(o.report, [benchmarkRun(report, labelOf(o.report))], `${NAME} report`, `${NAME} ${packageVersion()}`);
    process.stderr.write(`${NAME}: report written to ${o.report}\n`);
  } catch (err) {
    process.stderr.write(paintFor(process.stderr).error(`${NAME}: cannot write --report: ${describeError(err)}`) + '\n');
    report.ok = false;
  }
}

if (o.json) {
  report.server = (await spawned?.stop(interrupted !== null)) ?? null;
  writePage();
  process.stdout.write(JSON.stringify(report) + '\n');
} else if (reports.length === 0) {
  // Interrupted before the first scenario: nothing was measured, nothing to draw.
  await spawned?.stop(true);
  process.stderr.write(paintFor(process.stderr).warn(`${NAME}: interrupted (${interrupted}) before the first scenario`) + '\n');
} else {
  print(cols.bottom());
  // The bar's last line goes under the table, before the notes.
  progress.finish(interrupted !== null ? `interrupted (${interrupted})` : report.failure !== null ? 'stopped by an error' : null);
  report.server = (await spawned?.stop(interrupted !== null)) ?? null;
  writePage();
  print(formatNotes(report, paintFor(process.stdout), borders));
}
process.exitCode = interrupted !== null ? EXIT_SIGNAL[interrupted] : report.ok ? EXIT_OK : EXIT_FAILED;
