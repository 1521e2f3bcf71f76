import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { EXIT_FAILED, EXIT_OK, describeError, parseArgs, parseCpuList, parseInteger, parseNumber, ioOption, pinOrExit, usageError } from '../cli/args.js';
import { type RequestOptions, addRequestOptions, checkRequestOptions, targetOf } from '../cli/request-options.js';
import { type Target, targetUrl } from '../io/connect.js';
import { initHistograms, toHgrm } from '../stats/histogram.js';
import { PRESETS, type Preset, type Scenario, parseIntList, parseSlo, presetScenarios, scenarioMatrix, sloBreaches, type SloLimit } from './options.js';
import { createProgress } from './progress.js';
import { type BenchmarkReport, type ScenarioReport, buildScenarioReport, formatReport, formatSlo, scenarioOk } from './report.js';
import { type ScenarioResult, type WindowProbe, runScenario } from './run.js';
import { processCpuUs, serverArgs } from './system.js';
import { type ServerProcess, startServerProcess } from '../server/spawn.js';
import { allowedCpus } from '../io/placement.js';
import { type IoPath, usePublicIo } from '../io/binding.js';
import { programName } from '../cli/args.js';
import { packageVersion } from '../cli/meta.js';

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
  .option('--spawn-server', 'start bin/server with the same framing, mode and transport, and stop it at the end', false)
  .option('--server-cpu <list>', 'with --spawn-server: CPUs for the server (taskset)', parseCpuList)
  .option('--client-cpu <list>', 'CPUs for this benchmark (taskset)', parseCpuList)
  .addOption(ioOption("handles: write straight to each socket's handle, one reused request (Node internals; used when this Node has them); sockets: socket.write only"))
  .option('--hgrm <dir>', 'write one HdrHistogram percentile distribution (microseconds) per scenario into this directory')
  .option('--json', 'print one JSON object instead of the tables', false)
  .option('--no-progress', 'no progress bar (it is drawn only on a terminal anyway)')
  .addHelpText(
    'after',
    `
Closed loop (default): each connection keeps --pipeline requests in flight.
Open loop (--rate): messages leave on a fixed schedule; latency runs from when
each was due, so a stalled server is charged for the messages it held back.

Exit status: 0 on a clean run, 1 when a reply was wrong or lost or an --slo
was breached, 2 for bad usage.

Examples:
  $ ${NAME} --connections 1,10,50 --pipeline 1,16
  $ ${NAME} --rate 10000,50000 --connections 50 --slo p99=1000
  $ ${NAME} --spawn-server --server-cpu 0 --client-cpu 1 --preset medium
  $ ${NAME} --framing sockperf --port 11111          # sockperf's own server
  $ ${NAME} --unix /tmp/resp.sock --json --hgrm results/`,
  );

parseArgs(program, process.argv);
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
  json: boolean;
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

pinOrExit(NAME, '--client-cpu', o.clientCpu);

await initHistograms();

let spawned: ServerProcess | null = null;
let serverCpus: string | null = null;
let target: Target = targetOf(o);
if (o.spawnServer) {
  try {
    const { args, cleanup } = serverArgs({
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
    spawned = await startServerProcess(args, { cleanup });
  } catch (err) {
    process.stderr.write(`${NAME}: cannot start the server: ${describeError(err)}\n`);
    process.exit(EXIT_FAILED);
  }
  target = spawned.target;
  serverCpus = allowedCpus(spawned.pid);
  const stopOnSignal = () => void spawned!.stop().then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
}

/** CPU use of this process and of the spawned server over the measured window. */
function cpuWindow(): WindowProbe & { result(): { clientCpuPct: number | null; serverCpuPct: number | null } } {
  let t0 = 0;
  let elapsedMs = 0;
  let self0: NodeJS.CpuUsage | null = null;
  let selfUs = 0;
  let server0: number | null = null;
  let serverUs: number | null = null;
  return {
    begin() {
      t0 = performance.now();
      self0 = process.cpuUsage();
      server0 = spawned === null ? null : processCpuUs(spawned.pid);
    },
    end() {
      elapsedMs = performance.now() - t0;
      const c = process.cpuUsage(self0 ?? undefined);
      selfUs = c.user + c.system;
      const s1 = spawned === null ? null : processCpuUs(spawned.pid);
      serverUs = server0 === null || s1 === null ? null : s1 - server0;
    },
    result() {
      if (elapsedMs === 0) return { clientCpuPct: null, serverCpuPct: null };
      return { clientCpuPct: selfUs / 10 / elapsedMs, serverCpuPct: serverUs === null ? null : serverUs / 10 / elapsedMs };
    },
  };
}

function hgrmName(i: number, s: Scenario, suffix = ''): string {
  const rate = s.rate === null ? 'closed' : `r${s.rate}`;
  return `${String(i + 1).padStart(2, '0')}-c${s.connections}-p${s.pipeline}-${rate}${suffix}.hgrm`;
}

const progress = createProgress(o.progress && !o.json);
const reports: ScenarioReport[] = [];
let failure: string | null = null;
let written = true;
if (o.hgrm !== undefined) mkdirSync(o.hgrm, { recursive: true });
for (const [i, s] of scenarios.entries()) {
  const label = `${i + 1}/${scenarios.length} ${s.connections}c x${s.pipeline} ${s.rate === null ? 'closed' : `${s.rate}/s`}`;
  const cpu = cpuWindow();
  progress.begin(label, s.warmupS + s.durationS);
  let r: ScenarioResult;
  try {
    r = await runScenario(s, { ...o, target }, cpu, (n) => progress.update(n));
  } catch (err) {
    progress.end();
    failure = `scenario ${i + 1}: ${describeError(err)}`;
    break;
  }
  progress.end();
  reports.push(buildScenarioReport(s, r, cpu.result(), (l) => sloBreaches(l, slo)));
  if (o.hgrm !== undefined) {
    try {
      writeFileSync(join(o.hgrm, hgrmName(i, s)), toHgrm(r.latency));
      if (r.uncorrected !== null) writeFileSync(join(o.hgrm, hgrmName(i, s, '-uncorrected')), toHgrm(r.uncorrected));
    } catch (err) {
      process.stderr.write(`${NAME}: cannot write --hgrm: ${describeError(err)}\n`);
      written = false;
    }
  }
  r.latency.destroy();
  r.uncorrected?.destroy();
  r.sendLag?.destroy();
}

const server = spawned === null ? null : ((await spawned.stop()).summary ?? null);
const report: BenchmarkReport = {
  transport: target.transport,
  address: targetUrl(target),
  framing: o.framing,
  mode: o.mode,
  size: o.size,
  targetUs: o.targetUs,
  options: { ...o, slo: formatSlo(slo), scenarios },
  placement: { clientCpus: allowedCpus('self'), serverCpus, serverSpawned: spawned !== null },
  slo: formatSlo(slo),
  scenarios: reports,
  server,
  ok: failure === null && written && reports.length === scenarios.length && reports.every(scenarioOk),
  failure,
};
process.stdout.write(o.json ? JSON.stringify(report) + '\n' : formatReport(report) + '\n');
if (failure !== null) process.stderr.write(`${NAME}: ${failure}\n`);
process.exitCode = report.ok ? EXIT_OK : EXIT_FAILED;
