/**
 * `benchmark report RUN... --html OUT`: one HTML page from runs kept
 * earlier, each a benchmark's or a client's `--json` report or an
 * HdrHistogram interval log (`--hlog`). Several runs are overlaid in the
 * same charts, scenario by scenario (sockperf's server against ours, Node 20
 * against 24, before against after), each labelled by its file's name or by
 * `--label`. Exit 0 with the page written; 2 when a file cannot be read or
 * is none of those, with one line naming it; 1 when the page cannot be
 * written.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command } from 'commander';
import { EXIT_FAILED, EXIT_OK, describeError, parseCommand, programName } from '../cli/args.js';
import { paintFor } from '../cli/colour.js';
import { packageVersion } from '../cli/meta.js';
import { type ProgramIo, UsageError, runProgram } from '../cli/program.js';
import { type ReportRun, benchmarkRun, clientRun, clientSizesRun, logsRun } from '../html/runs.js';
import { labelOf, writeReportPage } from '../html/write.js';
import { initHistograms } from '../stats/histogram.js';
import { HlogInputError, mergeIntervalLogs, parseIntervalLog } from '../stats/merge.js';
import { parseKeptRun } from './saved.js';

/** The command's options and help; `name` is `benchmark report` as invoked. */
function reportProgram(name: string): Command {
  return new Command(name)
    .version(packageVersion())
    .description('Draw one self-contained HTML page from kept runs: --json reports of the benchmark or the client, or --hlog interval logs; several runs are overlaid, scenario by scenario.')
    .argument('<run...>', 'saved runs: benchmark --json, client --json, or an HdrHistogram interval log (.hlog)')
    .requiredOption('--html <file>', 'the page to write')
    .option('--label <name>', 'the name of the next run in the charts, once per run in order (default: its file name)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--title <text>', "the page's title", 'respuesta report')
    .addHelpText(
      'after',
      `
Runs whose scenarios have the same name (c50-p1-closed; rtt for the client;
the tag in an interval log) share a spectrum chart, so a run of sockperf's
server and one of ours, or a run on Node 20 and one on 24, read side by side.
A run of several sizes names each scenario's size (c50-p1-closed-64B,
rtt-64B), and its sizes are overlaid in the chart of every scenario.

Exit status: 0 with the page written, 2 when a file cannot be read or is not
a kept run, 1 when the page cannot be written.

Examples:
  $ ${programName('benchmark')} -c 1,50 -d 10 --json > node20.json
  $ ${name} node20.json node24.json --html nodes.html
  $ ${name} ours.json theirs.json --label respuesta --label sockperf --html vs.html
  $ ${name} run.hlog --html run.html          # an interval log, from any HdrHistogram tool`,
    );
}

/** `benchmark report`: `argv` are the words after `report`; writes to `io`, returns the exit code. */
export async function run(argv: string[], io: ProgramIo): Promise<number> {
  const name = `${programName('benchmark')} report`;
  return runProgram(name, io, async () => {
    const program = reportProgram(name);
    const code = parseCommand(program, argv, io);
    if (code !== null) return code;
    const o = program.opts<{ html: string; label: string[]; title: string }>();
    const files = program.args;
    if (o.label.length > files.length) throw new UsageError(`${o.label.length} labels for ${files.length} run${files.length === 1 ? '' : 's'}: give at most one --label per run`);
    await initHistograms();
    // Default labels are file names without the extension, unless two would be the same (run.json and run.hlog).
    const defaults = files.map(labelOf);
    const labels = files.map((file, i) => o.label[i] ?? (defaults.indexOf(defaults[i]) === defaults.lastIndexOf(defaults[i]) ? defaults[i] : basename(file)));
    const runs = files.map((file, i) => readRun(file, labels[i]));
    try {
      writeReportPage(o.html, runs, o.title, `${programName('benchmark')} ${packageVersion()}`);
    } catch (err) {
      io.stderr.write(paintFor(io.stderr).error(`${name}: cannot write ${o.html}: ${describeError(err)}`) + '\n');
      return EXIT_FAILED;
    }
    io.stderr.write(`${name}: ${runs.length} run${runs.length === 1 ? '' : 's'} drawn in ${o.html}\n`);
    return EXIT_OK;
  });
}

/** One kept run; a UsageError naming the file and what is wrong with it when it is none. */
function readRun(file: string, label: string): ReportRun {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: ${describeError(err).split('\n')[0]}`);
  }
  if (text.trimStart().startsWith('{')) {
    const run = parseKeptRun(text);
    if (!run.ok) throw new UsageError(`${file}: ${run.reason}`);
    return run.tool === 'client' ? clientRun(run.report, label) : run.tool === 'client-sizes' ? clientSizesRun(run.report, label) : benchmarkRun(run.report, label);
  }
  try {
    const log = parseIntervalLog(file, text);
    return logsRun([log], mergeIntervalLogs([log]), label);
  } catch (err) {
    if (err instanceof HlogInputError) throw new UsageError(`${err.message} (nor a --json report)`);
    throw err;
  }
}
