/**
 * `benchmark compare BASELINE NEW`: two runs saved with `--json` (the
 * benchmark's, or the client's: compare.ts), scenario by scenario, and a
 * regression gate for CI. Exit 0 when NEW is nowhere worse than BASELINE
 * beyond --max-regression at the --at figures, 1 when it is (the verdict
 * names where), 2 when the files cannot be compared (not kept runs, or no
 * scenario in common), with one line on stderr.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { EXIT_FAILED, EXIT_OK, describeError, parseCommand, parseNumber, programName } from '../cli/args.js';
import { paintFor } from '../cli/colour.js';
import { packageVersion } from '../cli/meta.js';
import { type ProgramIo, UsageError, runProgram } from '../cli/program.js';
import { type ComparedRun, DEFAULT_FIGURES, DEFAULT_MAX_REGRESSION_PCT, FIGURES, type Figure, clientCompared, clientSizesCompared, compareRuns } from './compare.js';
import { formatComparisonNotes, formatComparisonTable, formatRunContext } from './compare-text.js';
import { parseKeptRun } from './saved.js';
import { parseFigures } from './figures-option.js';
import { bordersFor } from '../report/table.js';

/** The command's options and help; `name` is `benchmark compare` as invoked. */
function compareProgram(name: string): Command {
    return new Command(name)
    .version(packageVersion())
    .description(
      'Compare two runs saved with --json, scenario by scenario (same connections, pipeline, rate and, in runs of several sizes, size): NEW beside BASELINE with their ratio, exit 1 when NEW is worse beyond --max-regression.',
    )
    .argument('<baseline>', 'the reference run (benchmark --json or client --json saved to a file)')
    .argument('<new>', 'the run to judge against it')
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

Exit status: 0 when NEW is nowhere worse than BASELINE beyond --max-regression,
1 when it is (the verdict names the scenarios and figures), 2 when the files
cannot be compared (not kept runs, or no scenario in common).

Examples:
  $ ${programName('benchmark')} -c 1,10 -d 10 --json > before.json
  $ ${programName('benchmark')} -c 1,10 -d 10 --json > after.json
  $ ${name} before.json after.json --max-regression 5
  $ ${name} before.json after.json --at p99,p99.9 --json
  $ ${name} rtt-before.json rtt-after.json   # two client --json runs`,
    );
}

/** `benchmark compare`: `argv` are the words after `compare`; writes to `io`, returns the exit code. */
export async function run(argv: string[], io: ProgramIo): Promise<number> {
  const name = `${programName('benchmark')} compare`;
  return runProgram(name, io, async () => {
    const program = compareProgram(name);
    const code = parseCommand(program, argv, io);
    if (code !== null) return code;
    const o = program.opts<{ maxRegression: number; at: Figure[]; json: boolean; ascii: boolean }>();
    const [baselineFile, newFile] = program.args;
    const baseline = readRun(baselineFile);
    const next = readRun(newFile);
    const result = compareRuns(baseline, next, o.at, o.maxRegression);
    if (!result.ok) throw new UsageError(result.reason);
    const c = result.comparison;
    if (o.json) {
      const run = (file: string, r: ComparedRun) => ({ file, meta: r.meta, framing: r.framing, mode: r.mode, size: r.size, transport: r.transport, address: r.address });
      const out = { baseline: run(baselineFile, baseline), new: run(newFile, next), ...c, ok: c.regressions.length === 0 };
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      const text = [
        formatRunContext('baseline', baselineFile, baseline),
        formatRunContext('new', newFile, next),
        formatComparisonTable(c, bordersFor(o.ascii)),
        formatComparisonNotes(c, paintFor(io.stdout)),
      ];
      io.stdout.write(`${text.join('\n')}\n`);
    }
    return c.regressions.length === 0 ? EXIT_OK : EXIT_FAILED;
  });
}

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
