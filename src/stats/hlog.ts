/**
 * `--hlog FILE`: the HdrHistogram interval log (format 1.3), as
 * HdrHistogram's own tools read it (HistogramLogProcessor, HistogramLogAnalyzer,
 * the plotters): a version comment, the start and base times, the legend,
 * then one line per interval and tag,
 *
 *     Tag=c10-p1-closed,0.000,1.000,0.312,HISTFAAAA...
 *
 * start and length in seconds from the base time, the interval's maximum in
 * milliseconds (as Java's writer does), then the histogram, nanoseconds,
 * compressed and base64-encoded. Written by hdr-histogram-js's
 * HistogramLogWriter, one synchronous write per line at each interval's
 * close (once a second), never per message.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { HistogramLogWriter } from 'hdr-histogram-js';
import type { Histogram } from './histogram.js';

/** Divide the nanosecond maximum by this for the interval line's max column: milliseconds, HdrHistogram's convention. */
const MAX_VALUE_UNIT_RATIO = 1_000_000;

/** An open interval log. `write` each closed interval's histograms; `close` at the end. */
export class HlogFile {
  private readonly fd: number;
  private readonly writer: HistogramLogWriter;
  private readonly baseMs: number;

  /** Create (or truncate) `path` and write the header; throws when it cannot be created. `startMs`: the run's start, ms since the epoch. */
  constructor(path: string, startMs: number, comment?: string) {
    this.fd = openSync(path, 'w');
    this.baseMs = startMs;
    this.writer = new HistogramLogWriter((text) => writeSync(this.fd, text));
    if (comment !== undefined) this.writer.outputComment(comment);
    this.writer.outputLogFormatVersion();
    this.writer.outputStartTime(startMs);
    this.writer.outputComment(`[BaseTime: ${(startMs / 1000).toFixed(3)} (seconds since epoch)]`);
    this.writer.outputLegend();
  }

  /** One interval line, tagged (no spaces or commas in `tag`). Times are ms since the epoch. */
  write(tag: string, startMs: number, endMs: number, h: Histogram): void {
    // The writer takes the tag from the histogram; put the histogram's own back after.
    const own = h.tag;
    h.tag = tag;
    try {
      this.writer.outputIntervalHistogram(h, (startMs - this.baseMs) / 1000, (endMs - this.baseMs) / 1000, MAX_VALUE_UNIT_RATIO);
    } finally {
      h.tag = own;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
