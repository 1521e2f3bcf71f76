/**
 * The benchmark run's options: its command line and help, the checks
 * commander cannot make alone, and the plan they make (the scenarios, the
 * options as the report states them). run-command.ts runs the plan.
 */
import { Command, Option } from 'commander';
import { ioOption, parseCommand, parseCpuList, parseIntList, parseInteger, parseNumber, pinProblem } from '../cli/args.js';
import { commandFor } from '../cli/hints.js';
import { packageVersion } from '../cli/meta.js';
import { type OutputOptions, addOutputOptions } from '../cli/output.js';
import { type ProgramIo, UsageError } from '../cli/program.js';
import { type RequestOptions, addRequestOptions, requestOptionsProblem, respDefaultSize } from '../cli/request-options.js';
import { type IoPath, chooseIo, ioPath } from '../io/binding.js';
import { datagramBytes } from '../protocol/datagram.js';
import { DEFAULT_INTERVAL_S } from '../stats/intervals.js';
import { COMMAND_LIST, misplacedCommand } from './commands.js';
import { parseSlo, presetScenarios, scenarioMatrix } from './options.js';
import { PRESETS, type Preset, type Scenario, type SloLimit, scenarioTag } from '../report/scenario.js';
import { type BenchmarkOptions, formatSlo } from '../report/benchmark.js';

export type Options = RequestOptions &
  OutputOptions & {
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
    ascii: boolean;
    progress: boolean;
    io: IoPath;
  };

/** What the run does: its options, its scenarios, its limits; `given`: whether an option was on the command line. */
export interface Plan {
  o: Options;
  scenarios: Scenario[];
  slo: SloLimit[];
  given: (name: string) => boolean;
}

/** The run's options and help. */
function benchmarkCommand(name: string): Command {
  const cmd = addRequestOptions(
    new Command(name).version(packageVersion()).description('Concurrency report: many connections, pipelining, closed or open loop (corrected for coordinated omission), HDR percentiles.'),
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
    .addOption(ioOption("handles: write straight to each socket's handle, one reused request (Node internals; used when this Node has them); sockets: socket.write only"));
  return (
    addOutputOptions(cmd, {
      hgrmValue: '<dir>',
      hgrm: 'write one HdrHistogram percentile distribution (microseconds) per scenario into this directory',
      interval: `seconds per interval histogram, and one live line per interval on stderr in place of the progress bar (default ${DEFAULT_INTERVAL_S}; the lines by default only when stderr is a terminal and stdout is not)`,
      hlog: `write the HdrHistogram interval log (nanoseconds) of every scenario to this file, tagged c10-p1-closed, c10-p1-r5000 and c10-p1-r5000-uncorrected (with several sizes, ${scenarioTag({ connections: 10, pipeline: 1, rate: null }, 64)})`,
      report: "also write one self-contained HTML page: percentile spectra, timelines of the intervals, the run's context (opens with no network)",
      json: 'print one JSON object instead of the tables',
    })
      .option('--ascii', 'draw the tables with ASCII characters (the default when the locale is not UTF-8)', false)
      .option('--no-progress', 'no progress bar and, without --interval, no live lines (both are drawn only on a terminal anyway)')
      // A word where none is expected is most likely a command mistyped or out of place: said in full below (commands.ts).
      .argument('[command...]')
      .usage('[options]\n       ' + `${name} <command> [arguments]   (${COMMAND_LIST}; ${name} help <command>)`)
      .addHelpText(
        'after',
        `
Scenarios: every combination of --connections (outermost), --pipeline, --rate
and --size (innermost), in that nesting: -c 1,10 -s 64,1024 runs c1 at 64 B,
c1 at 1024 B, c10 at 64 B, c10 at 1024 B. With several sizes, each scenario's
row, tag and chart name its size (c10-p1-closed-64B).

Closed loop (default): each connection keeps --pipeline requests in flight.
Open loop (--rate): messages leave on a fixed schedule; latency runs from when
each was due, so a stalled server is charged for the messages it held back.

Each scenario's row is printed as soon as it finishes. Ctrl-C (SIGINT) or
SIGTERM stops the run and prints what was measured: the finished scenarios
and the interrupted one, marked partial; a second Ctrl-C exits at once.

Commands (each has its own --help):
  report    draw runs kept with --json or --hlog in one HTML page, overlaid
  compare   two kept runs side by side, exit 1 on a regression
  merge     exact percentiles of the interval logs of generators run at once
  ab        two live endpoints in ABBA rounds: B/A with its 95% interval

Exit status: 0 on a clean run, 1 when a reply was wrong or lost or an --slo
was breached, 2 for bad usage, 130 after SIGINT, 143 after SIGTERM.

Examples:
  $ ${name} --connections 1,10,50 --pipeline 1,16
  $ ${name} --rate 10000,50000 --connections 50 --slo p99=1000
  $ ${name} --spawn-server -c 1 --size 64,1024,16384 --report sizes.html   # latency against message size
  $ ${name} --spawn-server --server-cpu 0 --client-cpu 1 --preset medium
  $ ${name} --framing sockperf --port 11111 -c 1     # sockperf's own server: one connection at a time
  $ ${name} --framing resp --port 6379 -c 50 -P 16   # redis-server (or any RESP server): PING; --size 64: ECHO of 64 B
  $ ${name} --unix /tmp/resp.sock --json --hgrm results/
  $ ${name} --udp --framing sockperf --port 11111 -c 4 -P 4   # sockperf's UDP server; lost and late replies counted
  $ ${name} -c 10,50 -d 30 --interval 5 --hlog run.hlog   # a line every 5 s, the log for HdrHistogram's tools
  $ ${name} --spawn-server -c 1,50 --report run.html      # the report as a page to open in a browser
  $ ${name} report before.json after.json --html ab.html # kept runs overlaid in one page (report --help)
  $ ${name} compare before.json after.json   # two --json runs side by side; exit 1 on a regression (compare --help)
  $ ${name} merge gen-1.hlog gen-2.hlog                   # exact percentiles of generators run at once (merge --help)
  $ ${name} ab tcp://127.0.0.1:8080 unix:/tmp/b.sock -c 1  # is B slower than A? rounds, intervals (ab --help)`,
      )
  );
}

/**
 * Parse and check `argv` (the words after the program's name) into the
 * plan, or the exit code when there is nothing to run (help, version, bad
 * usage: already written). A bad combination throws its usage error.
 */
export function planOf(name: string, argv: string[], io: ProgramIo): Plan | number {
  const program = benchmarkCommand(name);
  const code = parseCommand(program, argv, io);
  if (code !== null) return code;
  if (program.args.length > 0) throw new UsageError(misplacedCommand(program.args[0], name));
  const o = program.opts<Options>();
  const given = (option: string) => program.getOptionValueSource(option) === 'cli';

  const problem = requestOptionsProblem(o);
  if (problem !== null) throw new UsageError(problem);
  respDefaultSize(o, given);
  chooseIo(o.io);
  if (o.spawnServer && o.mode === 'any') throw new UsageError('option --mode any needs a server of your own: --spawn-server starts ours, which answers with --mode fixed or echo');
  if (o.serverCpu !== undefined && !o.spawnServer) throw new UsageError('option --server-cpu needs --spawn-server (the benchmark can only place a server it starts)');
  if (o.preset !== undefined) {
    for (const option of ['connections', 'pipeline', 'rate']) {
      if (given(option)) throw new UsageError(`option --${option} cannot be combined with --preset (the preset sets it)`);
    }
  }
  const scenarios: Scenario[] =
    o.preset !== undefined
      ? presetScenarios(o.preset, o.size, given('warmup') ? o.warmup : undefined, given('duration') ? o.duration : undefined)
      : scenarioMatrix(o.connections, o.pipeline, o.rate ?? [null], o.size, o.warmup, o.duration);
  if (o.udp) {
    // Each datagram in flight keeps its own bytes (a send may be queued), where a stream's requests share tables.
    const most = Math.max(...scenarios.map((s) => s.connections * s.pipeline * datagramBytes(o.framing, s.size)));
    if (most > UDP_IN_FLIGHT_BYTES)
      throw new UsageError(
        `option --udp: connections x pipeline x datagram bytes comes to ${Math.ceil(most / 1048576)} MiB in one scenario, more than ${UDP_IN_FLIGHT_BYTES / 1048576} MiB; fewer connections, a shorter pipeline or smaller messages`,
      );
  }
  return { o, scenarios, slo: o.slo ?? [], given };
}

/** The most bytes of UDP requests one scenario keeps in flight (every connection's pipeline of datagrams). */
const UDP_IN_FLIGHT_BYTES = 256 * 1024 * 1024;

/**
 * Why the plan will lose replies against the server named, or null.
 * sockperf's plain server takes the next connection only when the one before
 * it closes: the others wait, unanswered (with a feed file and -F epoll it
 * serves several: docs/PERFORMANCE.md, "Against sockperf's own server").
 */
export function sockperfWarning(plan: Plan): string | null {
  const { o, scenarios } = plan;
  // Over UDP sockperf's server answers every sender.
  if (o.framing !== 'sockperf' || o.udp || o.spawnServer || !scenarios.some((s) => s.connections > 1)) return null;
  const most = Math.max(...scenarios.map((s) => s.connections));
  return `warning: sockperf's own server serves one connection at a time (unless started with a feed file and -F epoll): against a plain \`sockperf server --tcp\`, scenarios of more than one connection (here up to ${most}) lose replies; use --connections 1 there (${commandFor('server')} --framing sockperf serves many)`;
}

/** Pin the benchmark with --client-cpu, if given; a failure is a usage error. */
export function pinClient(o: Options): void {
  const problem = pinProblem('--client-cpu', o.clientCpu);
  if (problem !== null) throw new UsageError(problem);
}

/** The options as the report states them. */
export function benchmarkOptions(plan: Plan): BenchmarkOptions {
  const { o, scenarios, slo } = plan;
  return {
    framing: o.framing,
    mode: o.mode,
    response: o.mode === 'fixed' && o.framing !== 'sockperf' && o.framing !== 'resp' ? o.response : null,
    size: o.size.length === 1 ? o.size[0] : null,
    sizes: o.size,
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
}
