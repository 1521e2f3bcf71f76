/**
 * The output of one measured run, shared by the client and the benchmark:
 * where they write (a program's streams: process.stdout and stderr from
 * bin/*, any writable from a test), the files found writable before the
 * run (--hlog, --report), the live interval lines, the interval log, the
 * page, the one-line complaints. Each program brings its own report; this
 * module knows only that it is JSON and how to draw its page. Nothing here
 * runs per message: an interval's sink runs once per interval, between
 * round trips (src/stats/intervals.ts).
 */
import { writeFileSync } from 'node:fs';
import { EXIT_FAILED, describeError } from '../cli/args.js';
import { type Paint, paintFor } from '../cli/colour.js';
import { packageVersion } from '../cli/meta.js';
import type { OutputOptions } from '../cli/output.js';
import type { ProgramIo } from '../cli/program.js';
import type { ReportRun } from '../html/runs.js';
import { labelOf, writeReportPage } from '../html/write.js';
import { type EncodedHistograms, type Histogram, encodeHistogram, encodeInterval, summarize } from '../stats/histogram.js';
import { HlogFile } from '../stats/hlog.js';
import type { Interval } from '../stats/intervals.js';
import { formatIntervalLine } from '../stats/report.js';

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
