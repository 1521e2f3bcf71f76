/**
 * The output the client and the benchmark share: where they write (a
 * program's streams, process.stdout and stderr from bin/*, any writable from
 * a test), the options --hgrm, --interval, --hlog, --report and --json,
 * the files found writable before the run, the live interval lines, the
 * one-line complaints, interrupts and exit codes. Each program brings its own
 * report; this module knows only that it is JSON and how to draw its page.
 *
 * Nothing here exits the process: each program is a function (program.ts).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ReportRun } from '../html/runs.js';
import { labelOf, writeReportPage } from '../html/write.js';
import { type EncodedHistograms, type Histogram, encodeHistogram, encodeInterval, summarize } from '../stats/histogram.js';
import { HlogFile } from '../stats/hlog.js';
import type { Interval } from '../stats/intervals.js';
import { formatIntervalLine } from '../stats/report.js';
import { EXIT_FAILED, EXIT_OK, EXIT_SIGNAL, describeError, onInterrupt, parseNumber } from './args.js';
import { type Paint, paintFor } from './colour.js';
import { packageVersion } from './meta.js';
import type { ProgramIo } from './program.js';

/** The exit code of a run: the signal's after an interrupt, else 0 or 1. */
export function exitCode(signal: 'SIGINT' | 'SIGTERM' | null, ok: boolean): number {
  return signal !== null ? EXIT_SIGNAL[signal] : ok ? EXIT_OK : EXIT_FAILED;
}

/** Each output option's help text, which says what the program writes there. */
export interface OutputHelp {
  /** What --hgrm names: one file, or a directory of one file per scenario. */
  hgrmValue: '<file>' | '<dir>';
  hgrm: string;
  interval: string;
  hlog: string;
  report: string;
  json: string;
}

/** The output options, as parsed. */
export interface OutputOptions {
  hgrm?: string;
  interval?: number;
  hlog?: string;
  report?: string;
  json: boolean;
}

/** Add --hgrm, --interval, --hlog, --report and --json, in that order. */
export function addOutputOptions(cmd: Command, help: OutputHelp): Command {
  return cmd
    .option(`--hgrm ${help.hgrmValue}`, help.hgrm)
    .option('--interval <s>', help.interval, parseNumber(0.01, 3600))
    .option('--hlog <file>', help.hlog)
    .option('--report <file.html>', help.report)
    .option('--json', help.json, false);
}

/**
 * The first SIGINT or SIGTERM aborts `signal` (the load stops, the run
 * reports what it measured) and calls `onStop`; a second exits at once
 * (onInterrupt). `dispose` removes the handlers at the end of the run.
 */
export class Interrupts {
  private readonly controller = new AbortController();
  private readonly remove: () => void;
  signal: 'SIGINT' | 'SIGTERM' | null = null;

  constructor(name: string, onStop?: (signal: 'SIGINT' | 'SIGTERM') => void) {
    this.remove = onInterrupt(name, (s) => {
      this.signal = s;
      this.controller.abort(s);
      onStop?.(s);
    });
  }

  get abortSignal(): AbortSignal {
    return this.controller.signal;
  }

  dispose(): void {
    this.remove();
  }
}

/** One run's output: its streams, its files, its live lines. */
export class RunOutput {
  readonly paintOut: Paint;
  readonly paintErr: Paint;
  private hlog: HlogFile | null = null;

  /** `live`: one line per closed interval on stderr. */
  constructor(
    readonly name: string,
    readonly io: ProgramIo,
    readonly o: OutputOptions,
    readonly startedAt: Date,
    readonly live: boolean,
  ) {
    this.paintOut = paintFor(io.stdout);
    this.paintErr = paintFor(io.stderr);
  }

  /** Text and a newline on stdout. */
  print(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** A plain line on stderr, the program's name first. */
  say(message: string): void {
    this.io.stderr.write(`${this.name}: ${message}\n`);
  }

  /** One line on stderr, the program's name first, the hint after. */
  complain(message: string, hint: string | null = null): void {
    this.io.stderr.write(this.paintErr.error(`${this.name}: ${message}${hint === null ? '' : ` (hint: ${hint})`}`) + '\n');
  }

  /** A warning: one line on stderr. */
  warn(message: string): void {
    this.io.stderr.write(this.paintErr.warn(`${this.name}: ${message}`) + '\n');
  }

  /**
   * A failure before anything was measured: nothing half built on stdout
   * (with --json, `json`, the one object that says why), one line on
   * stderr; exit 1.
   */
  failEarly(json: object, message: string, hint: string | null = null): number {
    if (this.o.json) this.print(JSON.stringify(json));
    this.complain(message, hint);
    return EXIT_FAILED;
  }

  /**
   * Open --hlog and try --report before the run, so that a path that cannot
   * be written fails now rather than after it: the first problem, or null.
   */
  openFiles(): string | null {
    if (this.o.hlog !== undefined) {
      try {
        this.hlog = new HlogFile(this.o.hlog, this.startedAt.getTime(), `[Logged with ${this.name} ${packageVersion()}]`);
      } catch (err) {
        return `cannot write --hlog: ${describeError(err)}`;
      }
    }
    if (this.o.report !== undefined) {
      // Found out now, not after the run: the page is written at the end.
      try {
        writeFileSync(this.o.report, '');
      } catch (err) {
        return `cannot write --report: ${describeError(err)}`;
      }
    }
    return null;
  }

  /** A list for the encoded intervals when the report keeps them (--json, --report), else null. */
  keptIntervals(): EncodedHistograms['intervals'] | null {
    return this.o.json || this.o.report !== undefined ? [] : null;
  }

  /**
   * What to do with each closed interval of the run tagged `tag`: keep it
   * encoded in `kept`, print its live line, log it (a failed write is
   * passed to `onError` once, and logging stops); undefined when nothing
   * needs the intervals.
   */
  intervalSink(tag: string, kept: EncodedHistograms['intervals'] | null, onError: (message: string) => void): ((iv: Interval) => void) | undefined {
    if (!this.live && this.hlog === null && kept === null) return undefined;
    return (iv) => {
      kept?.push(encodeInterval(iv));
      if (this.live) {
        const line = formatIntervalLine(tag, iv.elapsedS, (iv.endMs - iv.startMs) / 1000, iv.latency.totalCount, summarize(iv.latency), iv.errors);
        this.io.stderr.write(line + '\n');
      }
      if (this.hlog === null) return;
      try {
        this.hlog.write(tag, iv.startMs, iv.endMs, iv.latency);
        if (iv.uncorrected !== null) this.hlog.write(`${tag}-uncorrected`, iv.startMs, iv.endMs, iv.uncorrected);
      } catch (err) {
        this.hlog = null;
        onError(`cannot write --hlog: ${describeError(err)}`);
      }
    };
  }

  /** Close --hlog: the problem, or null. */
  closeLog(): string | null {
    try {
      this.hlog?.close();
    } catch (err) {
      return `cannot write --hlog: ${describeError(err)}`;
    } finally {
      this.hlog = null;
    }
    return null;
  }

  /** With --report, the page of the run that `run` draws (given its label), and a line saying so: the problem, or null. */
  writePage(run: (label: string) => ReportRun): string | null {
    if (this.o.report === undefined) return null;
    try {
      writeReportPage(this.o.report, [run(labelOf(this.o.report))], `${this.name} report`, `${this.name} ${packageVersion()}`);
      this.say(`report written to ${this.o.report}`);
    } catch (err) {
      return `cannot write --report: ${describeError(err)}`;
    }
    return null;
  }
}

/** The histograms a report keeps (--json, --report): the window's, encoded, and its intervals. */
export function keptHistograms(latency: Histogram, uncorrected: Histogram | null, intervals: EncodedHistograms['intervals']): EncodedHistograms {
  return { latency: encodeHistogram(latency), uncorrected: uncorrected === null ? null : encodeHistogram(uncorrected), intervals };
}
