/**
 * `benchmark merge FILE.hlog...`: exact percentiles of the load of several
 * generators run at once (one per machine, each with --hlog), per tag and
 * per interval (src/stats/merge.ts); with --html, the same as a page
 * (src/html), each generator's own log overlaid on the merged load. Exit 0
 * with the report; 2 when a file cannot be read or is not an interval log,
 * with one line naming it; 1 when the page cannot be written.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { EXIT_FAILED, EXIT_USAGE, describeError, parseArgs, programName } from '../cli/args.js';
import { paintFor } from '../cli/colour.js';
import { packageVersion } from '../cli/meta.js';
import { initHistograms } from '../stats/histogram.js';
import { HlogInputError, type IntervalLog, mergeIntervalLogs, parseIntervalLog } from '../stats/merge.js';
import { logsRun } from '../html/runs.js';
import { labelOf, writeReportPage } from '../html/write.js';
import { formatMerge, mergeJson, mergeNotes } from './merge-report.js';

const NAME = `${programName('benchmark')} merge`;

const program = new Command(NAME)
  .version(packageVersion())
  .description('Merge the --hlog interval logs of load generators run at the same time: exact percentiles of the whole load, per tag and per interval.')
  .argument('<file...>', 'HdrHistogram interval logs (format 1.2 or 1.3), one per generator')
  .option('--json', "print one JSON object (with each tag's merged histogram, compressed base64) instead of the text", false)
  .option('--html <file>', 'also write the merged load as one self-contained HTML page, each generator overlaid beside it')
  .addHelpText(
    'after',
    `
Intervals are aligned on absolute time (each log's start time plus the
interval's start): keep the generators' clocks in step (NTP). Exit status: 0,
or 2 when a file cannot be read or is not an interval log.

Examples:
  $ ${programName('benchmark')} -H 10.0.0.5 -c 50 -d 60 --hlog gen-1.hlog   # on each load machine at once (gen-2 on the next)
  $ ${NAME} gen-*.hlog                       # then, with the logs copied together
  $ ${NAME} gen-*.hlog --json > merged.json
  $ ${NAME} gen-*.hlog --html merged.html     # the merged spectra and timelines, each generator beside them`,
  );

parseArgs(program, process.argv);
const o = program.opts<{ json: boolean; html?: string }>();
const files = program.args;

function unusable(message: string): never {
  if (o.json) process.stdout.write(JSON.stringify({ ok: false, error: message }) + '\n');
  process.stderr.write(paintFor(process.stderr).error(`${NAME}: ${message}`) + '\n');
  process.exit(EXIT_USAGE);
}

const logs: IntervalLog[] = [];
for (const file of files) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    unusable(`cannot read ${file}: ${describeError(err)}`);
  }
  try {
    logs.push(parseIntervalLog(file, text));
  } catch (err) {
    if (err instanceof HlogInputError) unusable(err.message);
    throw err;
  }
}

await initHistograms();
let merged: ReturnType<typeof mergeIntervalLogs>;
try {
  merged = mergeIntervalLogs(logs);
} catch (err) {
  if (err instanceof HlogInputError) unusable(err.message);
  throw err;
}

if (o.html !== undefined) {
  // The merged load first; each generator's own log after it, in the same charts, to see whether one of them differed.
  const runs = [logsRun(logs, merged, 'merged'), ...(logs.length > 1 ? logs.map((l) => logsRun([l], mergeIntervalLogs([l]), labelOf(l.name))) : [])];
  try {
    writeReportPage(o.html, runs, `${NAME}: ${logs.length} interval log${logs.length === 1 ? '' : 's'}`, `${programName('benchmark')} ${packageVersion()}`);
  } catch (err) {
    process.stderr.write(paintFor(process.stderr).error(`${NAME}: cannot write --html: ${describeError(err)}`) + '\n');
    process.exitCode = EXIT_FAILED;
  }
}

if (o.json) {
  process.stdout.write(mergeJson(logs, merged) + '\n');
  const warn = paintFor(process.stderr).warn;
  for (const n of mergeNotes(logs, merged)) process.stderr.write(warn(`${NAME}: warning: ${n}`) + '\n');
} else {
  process.stdout.write(formatMerge(logs, merged));
}
