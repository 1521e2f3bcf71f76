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
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, describeError, parseCommand, programName } from '../cli/args.js';
import { paintFor } from '../cli/colour.js';
import { packageVersion } from '../cli/meta.js';
import type { ProgramIo } from '../cli/program.js';
import { initHistograms } from '../stats/histogram.js';
import { HlogInputError, type IntervalLog, mergeIntervalLogs, parseIntervalLog } from '../stats/merge.js';
import { logsRun } from '../html/runs.js';
import { labelOf, writeReportPage } from '../html/write.js';
import { formatMerge, mergeJson, mergeNotes } from './merge-report.js';

/** The command's options and help; `name` is `benchmark merge` as invoked. */
function mergeProgram(name: string): Command {
  return new Command(name)
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
  $ ${name} gen-*.hlog                       # then, with the logs copied together
  $ ${name} gen-*.hlog --json > merged.json
  $ ${name} gen-*.hlog --html merged.html     # the merged spectra and timelines, each generator beside them`,
    );
}

/**
 * An input that cannot be merged (a file unread, not an interval log): its
 * line is `NAME: MESSAGE` in the error colour, with an `{ok: false}` object
 * on stdout under --json, and exit status 2.
 */
class Unusable extends Error {}

/** `benchmark merge`: `argv` are the words after `merge`; writes to `io`, returns the exit code. */
export async function run(argv: string[], io: ProgramIo): Promise<number> {
  const name = `${programName('benchmark')} merge`;
  const program = mergeProgram(name);
  const code = parseCommand(program, argv, io);
  if (code !== null) return code;
  const o = program.opts<{ json: boolean; html?: string }>();
  try {
    return await merge(name, program.args, o, io);
  } catch (err) {
    if (!(err instanceof Unusable)) throw err;
    if (o.json) io.stdout.write(JSON.stringify({ ok: false, error: err.message }) + '\n');
    io.stderr.write(paintFor(io.stderr).error(`${name}: ${err.message}`) + '\n');
    return EXIT_USAGE;
  }
}

/** Read and merge `files`, write the page (--html) and print the report; the exit code. */
async function merge(name: string, files: string[], o: { json: boolean; html?: string }, io: ProgramIo): Promise<number> {
  const logs = files.map(readLog);
  await initHistograms();
  const merged = unusableOnBadInput(() => mergeIntervalLogs(logs));
  let code = EXIT_OK;
  if (o.html !== undefined) {
    // The merged load first; each generator's own log after it, in the same charts, to see whether one of them differed.
    const runs = [logsRun(logs, merged, 'merged'), ...(logs.length > 1 ? logs.map((l) => logsRun([l], mergeIntervalLogs([l]), labelOf(l.name))) : [])];
    try {
      writeReportPage(o.html, runs, `${name}: ${logs.length} interval log${logs.length === 1 ? '' : 's'}`, `${programName('benchmark')} ${packageVersion()}`);
    } catch (err) {
      io.stderr.write(paintFor(io.stderr).error(`${name}: cannot write --html: ${describeError(err)}`) + '\n');
      code = EXIT_FAILED;
    }
  }
  if (o.json) {
    io.stdout.write(mergeJson(logs, merged) + '\n');
    const warn = paintFor(io.stderr).warn;
    for (const n of mergeNotes(logs, merged)) io.stderr.write(warn(`${name}: warning: ${n}`) + '\n');
  } else {
    io.stdout.write(formatMerge(logs, merged));
  }
  return code;
}

/** The interval log in `file`; Unusable when it cannot be read or is none. */
function readLog(file: string): IntervalLog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Unusable(`cannot read ${file}: ${describeError(err)}`);
  }
  return unusableOnBadInput(() => parseIntervalLog(file, text));
}

/** `f`'s result; its HlogInputError (a log that is not one, logs that cannot be merged) as Unusable. */
function unusableOnBadInput<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof HlogInputError) throw new Unusable(err.message);
    throw err;
  }
}
