/**
 * `benchmark ab A B [options]`: is B slower than A? Two live endpoints run
 * in rounds (ab-rounds.ts: ABBA order, each side-run a full benchmark run
 * with the same scenario options and client placement), then compared
 * figure by figure over the rounds with an interval for each ratio
 * (noise-compare.ts). Exit 0 when no interval lies entirely beyond
 * --max-regression, 1 when one does or a side-run failed, 2 for bad usage,
 * 130/143 after SIGINT/SIGTERM (the completed rounds are compared first).
 *
 * The benchmark's run reaches this module as a RunHost, given by the
 * benchmark's dispatch (src/benchmark/main.ts): a program folder does not
 * import another, and the run's options name this command.
 */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { EXIT_FAILED, EXIT_OK, EXIT_SIGNAL, describeError, parseCommand, parseInteger, parseNumber, programName } from '../cli/args.js';
import { paintFor } from '../cli/colour.js';
import { packageVersion } from '../cli/meta.js';
import { type ProgramIo, RunError, UsageError, runProgram } from '../cli/program.js';
import type { Target } from '../io/connect.js';
import { allowedCpus } from '../machine/cpus.js';
import { listenersOf } from '../machine/listeners.js';
import { bordersFor } from '../report/table.js';
import { abPage } from './ab-page.js';
import { type AbRound, type SideRun, runRounds } from './ab-rounds.js';
import { type AbSideInfo, formatAbHead, formatPlacement } from './ab-text.js';
import { DEFAULT_MAX_REGRESSION_PCT, FIGURES, type Figure } from './compare.js';
import { ENDPOINT_FORMS, parseEndpoint, targetArgs } from './endpoints.js';
import { parseFigures } from './figures-option.js';
import { DEFAULT_NOISE_THRESHOLD_PCT, type NoisyComparison, compareSides } from './noise-compare.js';
import { formatNoisyComparison } from './noise-text.js';

/** What a check of the run's options tells: which were on the command line, and the run's warning about them, if any. */
export interface RunCheck {
  given(option: string): boolean;
  warning: string | null;
}

/** The benchmark's run, as ab uses it. */
export interface RunHost {
  /**
   * Check run options as the run would before running (its planOf): the
   * check, or the exit code when there is nothing to run (its usage line
   * already written). A bad combination throws its UsageError.
   */
  check(name: string, argv: string[], io: ProgramIo): Promise<RunCheck | number>;
  run: SideRun;
}

export const DEFAULT_ROUNDS = 6;
export const DEFAULT_WARMUP_ROUNDS = 1;
export const AB_FIGURES: readonly Figure[] = ['p50', 'p99', 'p99.9', 'p99.99', 'throughput'];

/** Run options ab decides itself (the endpoints the target, ab the output), by commander's name, with what to say. */
const REFUSED: ReadonlyArray<[option: string, flag: string, why: string]> = [
  ['host', '--host', 'the endpoints A and B say where to connect'],
  ['port', '--port', 'the endpoints A and B say where to connect'],
  ['unix', '--unix', 'the endpoints A and B say where to connect (unix:/PATH)'],
  ['udp', '--udp', 'the endpoints A and B say where to connect (udp://HOST:PORT)'],
  ['spawnServer', '--spawn-server', 'ab compares two servers already running at A and B'],
  ['serverCpu', '--server-cpu', 'ab compares two servers already running at A and B, placed by whoever started them'],
  ['json', '--json', 'it is given to ab, which prints every round'],
  ['hgrm', '--hgrm', "ab's --json keeps every round's histograms"],
  ['hlog', '--hlog', "ab's --json keeps every round's histograms"],
  ['interval', '--interval', "ab's progress is one line per side-run"],
  ['slo', '--slo', 'a breach would stop the rounds as a failure; ab gates on --max-regression'],
];

interface AbOptions {
  rounds: number;
  warmupRounds: number;
  maxRegression: number;
  noiseThreshold: number;
  at: Figure[];
  json: boolean;
  report?: string;
  ascii: boolean;
}

function abProgram(name: string): Command {
  const run = programName('benchmark');
  return new Command(name)
    .version(packageVersion())
    .description(
      'Is B slower than A? Run both live endpoints in rounds, A and B alternating in ABBA order, each round a full benchmark run of each side with the same options; then, for every scenario and figure, each side\'s median and range over the rounds and the ratio B/A with its 95% interval.',
    )
    .argument('<A>', `the reference endpoint: ${ENDPOINT_FORMS}`)
    .argument('<B>', 'the endpoint to judge against it, in the same forms')
    .option('--rounds <n>', 'rounds; each runs A and B once (A first in odd rounds, B first in even ones)', parseInteger(1, 1000), DEFAULT_ROUNDS)
    .option('--warmup-rounds <n>', "unmeasured rounds first, so that no measured round carries this process's cold start", parseInteger(0, 100), DEFAULT_WARMUP_ROUNDS)
    .option('--max-regression <pct>', 'exit 1 when an interval lies entirely beyond this worsening, percent of A: latency higher, throughput lower', parseNumber(0), DEFAULT_MAX_REGRESSION_PCT)
    .option('--noise-threshold <pct>', 'a change whose whole interval stays within this percent is called noise, as criterion does', parseNumber(0), DEFAULT_NOISE_THRESHOLD_PCT)
    .addOption(new Option('--at <figures>', `figures to compare, comma-separated: ${FIGURES.join(', ')}`).argParser(parseFigures).default([...AB_FIGURES], AB_FIGURES.join(',')))
    .option('--json', "print one JSON object: both sides' placement, every round's reports (figures and histograms), the comparison", false)
    .option('--report <file>', "write an HTML page: the comparison, both sides' spectra (each side's rounds merged, and each round), every figure round by round")
    .option('--ascii', 'draw the table with ASCII characters (the default when the locale is not UTF-8)', false)
    .allowUnknownOption()
    .allowExcessArguments()
    .usage('A B [options] [run options]')
    .addHelpText(
      'after',
      `
Run options: every other option is the benchmark run's (${run} --help), given
to each side-run unchanged: -c, -P, -R, --size, -d, -w, --framing, --mode,
--response, --threads, --client-cpu, --preset... Not those that pick a target
or an output (--host, --port, --unix, --udp, --spawn-server, --server-cpu,
--json, --hgrm, --hlog, --interval: ab's own --json and --report keep
every round), nor --slo.

One unmeasured round goes first (--warmup-rounds): the first side-run of
this process carries its cold start, which would weigh on A's first round
alone. Each side-run is one line on stderr. The interval of each ratio is the
Hodges-Lehmann estimate with Moses' distribution-free interval (exact
Mann-Whitney); 4 rounds at least give one at 95%. The placement of both sides
(the local processes listening there, and their CPUs) and of the client is
recorded. Ctrl-C (SIGINT) or SIGTERM stops after the side-run in progress and
compares the rounds both sides completed.

Exit status: 0 when no interval lies beyond --max-regression, 1 when one does
or a side-run failed, 2 for bad usage, 130 after SIGINT, 143 after SIGTERM.

Examples:
  $ ${name} tcp://127.0.0.1:8080 tcp://127.0.0.1:8081 -c 1,10 -d 5
  $ ${name} tcp://127.0.0.1:8080 unix:/tmp/respuesta.sock --rounds 8 --at p50,p99 --report ab.html
  $ ${name} tcp://127.0.0.1:8080 tcp://127.0.0.1:8081 --mode any   # servers whose replies differ
  $ ${name} tcp://[::1]:8080 tcp://[::1]:8081 --preset small --max-regression 5 --json > ab.json
  $ ${name} udp://127.0.0.1:9000 udp://127.0.0.1:9001 --mode echo -c 4 -P 4`,
    );
}

/** `benchmark ab`: `argv` are the words after `ab`; `host` is the benchmark's run; writes to `io`, returns the exit code. */
export async function run(argv: string[], io: ProgramIo, host: RunHost): Promise<number> {
  const name = `${programName('benchmark')} ab`;
  return runProgram(name, io, async () => {
    const program = abProgram(name);
    const code = parseCommand(program, argv, io);
    if (code !== null) return code;
    const o = program.opts<AbOptions>();
    const [wordA, wordB, ...runArgs] = program.args;
    const a = endpointOf(wordA, 'A');
    const b = endpointOf(wordB, 'B');

    // Every check before anything runs: the options alone, then with each side's target (UDP has rules of its own).
    const checked = await host.check(name, runArgs, io);
    if (typeof checked === 'number') return checked;
    for (const [option, flag, why] of REFUSED) if (checked.given(option)) throw new UsageError(`option ${flag} is not for ab: ${why}`);
    for (const t of [a, b]) {
      const side = await host.check(name, [...targetArgs(t), ...runArgs], io);
      if (typeof side === 'number') return side;
    }
    if (checked.warning !== null) io.stderr.write(paintFor(io.stderr).warn(`${name}: ${checked.warning}`) + '\n');

    // A page that cannot be written is found out now, not after the rounds (as the run does).
    if (o.report !== undefined) {
      try {
        writeFileSync(o.report, '');
      } catch (err) {
        throw new RunError(`cannot write --report: ${describeError(err)}`);
      }
    }
    const sideA: AbSideInfo = { endpoint: wordA, placement: await listenersOf(a) };
    const sideB: AbSideInfo = { endpoint: wordB, placement: await listenersOf(b) };
    const result = await runRounds(name, { a, b }, runArgs, o.rounds, io, host.run, o.warmupRounds);
    // Read after the runs: a --client-cpu pins this process in the first of them, the same for every one.
    const client = { cpus: allowedCpus('self') };
    const out = { a: sideA, b: sideB, client, warmupRounds: o.warmupRounds, rounds: result.rounds };

    if (result.failure !== null) {
      if (o.json) io.stdout.write(`${JSON.stringify({ ...out, comparison: null, interrupted: null, error: result.failure, ok: false })}\n`);
      io.stderr.write(paintFor(io.stderr).error(`${name}: ${result.failure}`) + '\n');
      return EXIT_FAILED;
    }
    const interrupted = result.interrupted;
    const comparison = result.rounds.length === 0 ? null : compare(result.rounds, o);
    let ok = interrupted === null && comparison !== null && comparison.regressions.length === 0;
    if (o.report !== undefined && comparison !== null) {
      const page = abPage({
        a: { label: `A ${wordA}`, rounds: result.rounds.map((r) => r.a), placement: formatPlacement(sideA.placement) },
        b: { label: `B ${wordB}`, rounds: result.rounds.map((r) => r.b), placement: formatPlacement(sideB.placement) },
        client: `CPUs ${client.cpus ?? 'unknown'}, the same for every run`,
        comparison,
        generator: `${programName('benchmark')} ${packageVersion()}`,
      });
      try {
        writeFileSync(o.report, page);
      } catch (err) {
        io.stderr.write(paintFor(io.stderr).error(`${name}: cannot write --report: ${describeError(err)}`) + '\n');
        ok = false;
      }
    }
    if (o.json) {
      io.stdout.write(`${JSON.stringify({ ...out, comparison, interrupted, ok })}\n`);
    } else {
      const text = [formatAbHead(sideA, sideB, client.cpus, result.rounds, o.rounds, o.warmupRounds)];
      if (comparison !== null) text.push(formatNoisyComparison(comparison, bordersFor(o.ascii), paintFor(io.stdout)));
      io.stdout.write(`${text.join('\n')}\n`);
    }
    if (interrupted !== null) {
      const done = result.rounds.length === 0 ? 'before a round was complete: nothing to compare' : `after ${result.rounds.length} complete round${result.rounds.length === 1 ? '' : 's'} of ${o.rounds}`;
      io.stderr.write(paintFor(io.stderr).warn(`${name}: interrupted (${interrupted}) ${done}`) + '\n');
      return EXIT_SIGNAL[interrupted];
    }
    return ok ? EXIT_OK : EXIT_FAILED;
  });
}

/** The comparison of the rounds' reports, side by side. */
function compare(rounds: readonly AbRound[], o: AbOptions): NoisyComparison {
  const result = compareSides(
    rounds.map((r) => r.a),
    rounds.map((r) => r.b),
    { at: o.at, maxRegressionPct: o.maxRegression, noiseThresholdPct: o.noiseThreshold },
  );
  // The same options ran on both sides, so the same scenarios: a refusal here is a fault, not the user's.
  if (!result.ok) throw new Error(`the rounds cannot be compared: ${result.reason}`);
  return result.comparison;
}

/** The endpoint `word` as side `side`'s target; a usage error naming the forms when it is none. */
function endpointOf(word: string, side: 'A' | 'B'): Target {
  const t = parseEndpoint(word);
  if (t !== null) return t;
  const first = word.startsWith('-') ? ` (the endpoints come first: A B, then the options)` : '';
  throw new UsageError(`endpoint ${side} '${word}' is not one of ${ENDPOINT_FORMS}${first}`);
}
