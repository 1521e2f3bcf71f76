/**
 * `benchmark compare BASELINE NEW`: two runs saved with `--json` (the
 * benchmark's, or the client's: compare.ts), scenario by scenario, and a
 * regression gate for CI. Exit 0 when NEW is nowhere worse than BASELINE
 * beyond --max-regression at the --at figures, 1 when it is (the verdict
 * names where), 2 when the files cannot be compared (not kept runs, or no
 * scenario in common), with one line on stderr.
 *
 * `--base A1 A2 ... --new B1 B2 ...`: several runs a side, compared as
 * `benchmark ab` compares its rounds (noise-compare.ts): each figure's
 * ratio with its interval, and the gate on the whole interval. One run a
 * side is compared as above, and the output says the noise is unknown.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { EXIT_FAILED, EXIT_OK, describeError, parseCommand, parseNumber, programName } from '../cli/args.js';
import { paintFor } from '../cli/colour.js';
import { packageVersion } from '../cli/meta.js';
import { type ProgramIo, UsageError, runProgram } from '../cli/program.js';
import { type ComparedRun, DEFAULT_FIGURES, DEFAULT_MAX_REGRESSION_PCT, FIGURES, type Figure, clientCompared, clientSizesCompared, compareRuns } from './compare.js';
import { formatComparisonNotes, formatComparisonTable, formatRunContext } from './compare-text.js';
import { parseKeptRun, parseSavedRun } from './saved.js';
import type { AbRound } from './ab-rounds.js';
import { AB_FIGURES } from './ab-command.js';
import { type AbSideInfo, formatAbHead } from './ab-text.js';
import { parseFigures } from './figures-option.js';
import { DEFAULT_NOISE_THRESHOLD_PCT, compareSides } from './noise-compare.js';
import { type SideNames, formatNoisyComparison } from './noise-text.js';
import { bordersFor } from '../report/table.js';

/** The command's options and help; `name` is `benchmark compare` as invoked. */
function compareProgram(name: string): Command {
    return new Command(name)
    .version(packageVersion())
    .description(
      'Compare two runs saved with --json, scenario by scenario (same connections, pipeline, rate and, in runs of several sizes, size): NEW beside BASELINE with their ratio, exit 1 when NEW is worse beyond --max-regression.',
    )
    .argument('[baseline]', 'the reference run (benchmark --json or client --json saved to a file)')
    .argument('[new]', 'the run to judge against it (without it, BASELINE may be a saved benchmark ab --json: its rounds compared again)')
    .option('--base <files...>', 'several reference runs (instead of BASELINE): with several a side, each ratio gets its 95% interval')
    .option('--new <files...>', 'several runs to judge (instead of NEW)')
    .option('--noise-threshold <pct>', 'with several runs a side: a change whose interval reaches within this percent of no change is called noise (criterion)', parseNumber(0), DEFAULT_NOISE_THRESHOLD_PCT)
    .option('--max-regression <pct>', 'allowed worsening, percent of BASELINE: latency higher, throughput lower', parseNumber(0), DEFAULT_MAX_REGRESSION_PCT)
    .addOption(
      new Option('--at <figures>', `figures to compare and gate on, comma-separated: ${FIGURES.join(', ')}`).argParser(parseFigures).default([...DEFAULT_FIGURES], DEFAULT_FIGURES.join(',')),
    )
    .option('--json', 'print the comparison as one JSON object instead of the table', false)
    .option('--ascii', 'draw the table with ASCII characters (the default when the locale is not UTF-8)', false)
    .addHelpText(
      'after',
      `
A client run (client --json) is one scenario, rtt: it compares with another
client run. When either run has several sizes (--size with a list),
scenarios pair by size too (c1-p1-closed-64B, rtt-64B): 64 B is never
compared with 16 KiB; two runs of one size each pair whatever their sizes.

With one run a side the noise is unknown: one run can be a noisy minute.
With several a side (--base A1.json A2.json ... --new B1.json B2.json ...,
4 or more each for a 95% interval), each figure gets each side's median and
range, the ratio NEW/BASELINE with its interval (Hodges-Lehmann with
Moses' exact interval), a verdict in words, drift across the runs (in the
order they started) and outlying runs; the gate fails only when a whole
interval lies beyond --max-regression. benchmark ab runs such rounds itself.

Exit status: 0 when NEW is nowhere worse than BASELINE beyond --max-regression,
1 when it is (the verdict names the scenarios and figures), 2 when the files
cannot be compared (not kept runs, or no scenario in common).

Examples:
  $ ${programName('benchmark')} -c 1,10 -d 10 --json > before.json
  $ ${programName('benchmark')} -c 1,10 -d 10 --json > after.json
  $ ${name} before.json after.json --max-regression 5
  $ ${name} before.json after.json --at p99,p99.9 --json
  $ ${name} rtt-before.json rtt-after.json   # two client --json runs
  $ ${name} --base a1.json a2.json a3.json a4.json --new b1.json b2.json b3.json b4.json
  $ ${name} ab.json --at p99 --max-regression 5   # a saved benchmark ab --json, judged again`,
    );
}

/** `benchmark compare`: `argv` are the words after `compare`; writes to `io`, returns the exit code. */
export async function run(argv: string[], io: ProgramIo): Promise<number> {
  const name = `${programName('benchmark')} compare`;
  return runProgram(name, io, async () => {
    const program = compareProgram(name);
    const code = parseCommand(program, argv, io);
    if (code !== null) return code;
    const o = program.opts<Options>();
    // A saved ab run is judged at ab's figures unless --at says otherwise.
    if (program.args.length === 1 && o.base === undefined && o.new === undefined)
      return compareAbFile(program.args[0], program.getOptionValueSource('at') === 'cli' ? o : { ...o, at: [...AB_FIGURES] }, io);
    const [baselineFile, newFile] = sidesOf(program.args, o);
    if (baselineFile.length > 1 || newFile.length > 1) return compareMany(baselineFile, newFile, o, io);
    return compareTwo(baselineFile[0], newFile[0], o, io);
  });
}

interface Options {
  maxRegression: number;
  noiseThreshold: number;
  at: Figure[];
  json: boolean;
  ascii: boolean;
  base?: string[];
  new?: string[];
}

/** The files of each side: BASELINE and NEW, or --base and --new; a UsageError for any mix or a side missing. */
function sidesOf(args: string[], o: Options): [string[], string[]] {
  if (o.base !== undefined || o.new !== undefined) {
    if (args.length > 0) throw new UsageError(`give the runs either as BASELINE NEW or with --base and --new, not both (${args.join(' ')})`);
    if (o.base === undefined || o.new === undefined) throw new UsageError(`--base and --new go together: ${o.base === undefined ? '--base' : '--new'} is missing`);
    return [o.base, o.new];
  }
  if (args.length !== 2) throw new UsageError(args.length < 2 ? 'missing the runs: BASELINE NEW, --base FILES --new FILES, or one saved benchmark ab --json' : `one BASELINE and one NEW; for several a side, --base FILES --new FILES`);
  return [[args[0]], [args[1]]];
}

/** One run a side, as ever: the gate on the point ratio, and the noise said to be unknown. */
function compareTwo(baselineFile: string, newFile: string, o: Options, io: ProgramIo): number {
  const baseline = readRun(baselineFile);
  const next = readRun(newFile);
  const result = compareRuns(baseline, next, o.at, o.maxRegression);
  if (!result.ok) throw new UsageError(result.reason);
  const c = result.comparison;
  if (o.json) {
    const out = { baseline: runContext(baselineFile, baseline), new: runContext(newFile, next), ...c, noise: NOISE_UNKNOWN, ok: c.regressions.length === 0 };
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const paint = paintFor(io.stdout);
    const text = [
      formatRunContext('baseline', baselineFile, baseline),
      formatRunContext('new', newFile, next),
      formatComparisonTable(c, bordersFor(o.ascii)),
      paint.dim(NOISE_UNKNOWN),
      formatComparisonNotes(c, paint),
    ];
    io.stdout.write(`${text.join('\n')}\n`);
  }
  return c.regressions.length === 0 ? EXIT_OK : EXIT_FAILED;
}

const NOISE_UNKNOWN = 'noise unknown: one run a side, and one run may be a noisy minute; with several a side (--base A1 A2 ... --new B1 B2 ...) each ratio gets its interval';

/** Several runs a side: each figure's ratio with its interval (noise-compare.ts), the gate on the whole interval. */
function compareMany(baselineFiles: string[], newFiles: string[], o: Options, io: ProgramIo): number {
  const baseline = baselineFiles.map(readRun);
  const next = newFiles.map(readRun);
  const result = compareSides(baseline, next, { at: o.at, maxRegressionPct: o.maxRegression, noiseThresholdPct: o.noiseThreshold });
  if (!result.ok) throw new UsageError(result.reason);
  const c = result.comparison;
  if (o.json) {
    const side = (files: string[], runs: ComparedRun[]) => files.map((f, i) => runContext(f, runs[i]));
    const out = { baseline: side(baselineFiles, baseline), new: side(newFiles, next), ...c, ok: c.regressions.length === 0 };
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const context = [...baselineFiles.map((f, i) => formatRunContext(`base ${i + 1}`, f, baseline[i])), ...newFiles.map((f, i) => formatRunContext(`new ${i + 1}`, f, next[i]))];
    io.stdout.write(`${[...context, formatNoisyComparison(c, bordersFor(o.ascii), paintFor(io.stdout), COMPARE_NAMES)].join('\n')}\n`);
  }
  return c.regressions.length === 0 ? EXIT_OK : EXIT_FAILED;
}

/**
 * A saved `benchmark ab --json`: its rounds compared again, with this
 * command's --at, --max-regression and --noise-threshold, and printed as ab
 * printed them (or as ab's JSON, the comparison recomputed).
 */
function compareAbFile(file: string, o: Options, io: ProgramIo): number {
  const ab = readAb(file);
  const a = ab.rounds.map((r) => r.a);
  const b = ab.rounds.map((r) => r.b);
  const result = compareSides(a, b, { at: o.at, maxRegressionPct: o.maxRegression, noiseThresholdPct: o.noiseThreshold });
  if (!result.ok) throw new UsageError(`${file}: ${result.reason}`);
  const c = result.comparison;
  if (o.json) io.stdout.write(`${JSON.stringify({ ...ab, comparison: c, ok: c.regressions.length === 0 })}\n`);
  else {
    const head = formatAbHead(ab.a, ab.b, ab.client.cpus, ab.rounds, ab.rounds.length, ab.warmupRounds);
    io.stdout.write(`${head}\n${formatNoisyComparison(c, bordersFor(o.ascii), paintFor(io.stdout))}\n`);
  }
  return c.regressions.length === 0 ? EXIT_OK : EXIT_FAILED;
}

/** The parts of a saved `benchmark ab --json` read back. */
interface SavedAb {
  a: AbSideInfo;
  b: AbSideInfo;
  client: { cpus: string | null };
  warmupRounds: number;
  rounds: AbRound[];
}

/** `file` as a saved ab run: every round's two reports checked as kept runs; a UsageError saying what it is not. */
function readAb(file: string): SavedAb {
  let value: Partial<SavedAb>;
  try {
    value = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedAb>;
  } catch (err) {
    throw new UsageError(`${file}: ${describeError(err).split('\n')[0]}`);
  }
  const isSide = (s: unknown) => typeof (s as AbSideInfo | undefined)?.endpoint === 'string';
  if (!Array.isArray(value.rounds) || !isSide(value.a) || !isSide(value.b))
    throw new UsageError(`${file}: one file is a saved benchmark ab --json (its rounds compared again); to compare runs give BASELINE NEW, or --base FILES --new FILES`);
  for (const r of value.rounds) {
    for (const side of ['a', 'b'] as const) {
      const run = parseSavedRun(JSON.stringify(r?.[side] ?? null));
      if (!run.ok) throw new UsageError(`${file}: round ${r?.round ?? '?'}, side ${side.toUpperCase()}: ${run.reason}`);
    }
  }
  return { a: value.a!, b: value.b!, client: value.client ?? { cpus: null }, warmupRounds: value.warmupRounds ?? 0, rounds: value.rounds };
}

const COMPARE_NAMES: SideNames = { a: 'BASELINE', b: 'NEW', run: 'run' };

/** What a kept run was, for the JSON: its file and its context. */
const runContext = (file: string, r: ComparedRun) => ({ file, meta: r.meta, framing: r.framing, mode: r.mode, size: r.size, transport: r.transport, address: r.address });

/** The report in `file`; a UsageError naming the file and what is wrong with it when it is none. */
function readRun(file: string): ComparedRun {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: ${describeError(err).split('\n')[0]}`);
  }
  const run = parseKeptRun(text);
  if (!run.ok) throw new UsageError(`${file}: ${run.reason}`);
  return run.tool === 'client' ? clientCompared(run.report) : run.tool === 'client-sizes' ? clientSizesCompared(run.report.blocks) : run.report;
}
