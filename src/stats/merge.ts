/**
 * Merging HdrHistogram interval logs written by several load generators at
 * once (`benchmark merge`). Percentiles do not average; histograms add, and
 * exactly: the merged histogram of a tag is the sum of every interval
 * histogram of that tag in every log, as if one generator had recorded all
 * the samples.
 *
 * Per interval, the logs are aligned on absolute time (the log's base time
 * plus the interval's start) into buckets of the common interval length L,
 * counted from the tag's earliest interval start in any log:
 *
 *     a.hlog   |--0--|--1--|--2--|        (started at t)
 *     b.hlog      |--0--|--1--|--2--|     (started at t + 0.6 L)
 *     buckets  |  0  |  1  |  2  |  3  |
 *
 * Each interval goes to the bucket holding its midpoint: the bucket it
 * overlaps most (b's interval 0 above goes to bucket 1). Generators started
 * by hand are never in phase, so a bucket's histogram mixes samples from up
 * to half an interval either side of it; the totals are exact whatever the
 * phase. As with any histogram read from a log (and in HdrHistogram's
 * Java tools), the maximum is the top of its bucket, up to 0.1% above the
 * value a generator printed itself.
 *
 * Memory: the logs are kept as encoded lines (a few hundred bytes each) and
 * decoded one interval at a time, so an hour of one-second intervals from
 * many machines never holds more than one bucket's histograms at once.
 */
import { createHistogram, decodeHistogram, encodeHistogram, type Histogram, type LatencyUs, summarize } from './histogram.js';

/** One interval line of a log. */
export interface LogInterval {
  tag: string;
  /** Absolute start and length, ms (start since the epoch when the log has a start or base time). */
  startMs: number;
  lengthMs: number;
  /** The histogram as written: compressed base64. Decoded only when merged. */
  encoded: string;
  /** 1-based line number, for error messages. */
  line: number;
}

/** A parsed interval log. */
export interface IntervalLog {
  name: string;
  /** `#[StartTime: ...]`, ms since the epoch, or null when the log has none. */
  startMs: number | null;
  intervals: LogInterval[];
  /** Tags in order of first appearance. */
  tags: string[];
}

/** Input that cannot be merged: not an interval log, a line that does not decode. */
export class HlogInputError extends Error {
  readonly code = 'ERR_HLOG_INPUT';
}

/** The tag HdrHistogram's tools give to untagged interval lines. */
export const NO_TAG = 'NO TAG';

/** `Tag=name,start,length,max,HISTxxx`: the tag is optional; times in seconds. */
const INTERVAL_LINE = /^(?:Tag=([^,]*),)?(\d+(?:\.\d*)?),(\d+(?:\.\d*)?),(\d+(?:\.\d*)?),(HIST[A-Za-z0-9+/=]+)$/;
const START_TIME = /^#\[StartTime: (\d+(?:\.\d*)?)/;
const BASE_TIME = /^#\[BaseTime: (\d+(?:\.\d*)?)/;
const SECONDS_PER_YEAR = 365 * 24 * 3600;

/**
 * Parse an interval log (format 1.2 or 1.3). Interval times are made
 * absolute as HdrHistogram's HistogramLogReader does: from `#[BaseTime]`
 * when given; else from `#[StartTime]` when they are more than a year
 * before it (relative times); else taken as absolute. Throws
 * HlogInputError, naming the file and line, at the first line that is
 * neither a comment, the legend, nor an interval, and when the file holds
 * no interval at all.
 */
export function parseIntervalLog(name: string, text: string): IntervalLog {
  let startS: number | null = null;
  let baseS: number | null = null;
  const intervals: LogInterval[] = [];
  const tags: string[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('"StartTimestamp"')) continue;
    if (line.startsWith('#')) {
      const start = START_TIME.exec(line);
      if (start !== null) startS = Number(start[1]);
      const base = BASE_TIME.exec(line);
      if (base !== null) baseS = Number(base[1]);
      continue;
    }
    const m = INTERVAL_LINE.exec(line);
    if (m === null) {
      // Before any interval, the file is likely something else altogether (a JSON report, a .hgrm); after, a damaged log.
      if (intervals.length === 0) throw new HlogInputError(`${name}: not an HdrHistogram interval log (line ${i + 1}: ${excerpt(line)})`);
      throw new HlogInputError(`${name}: line ${i + 1} is not an interval line: ${excerpt(line)}`);
    }
    const tag = m[1] ?? NO_TAG;
    const t = Number(m[2]);
    baseS ??= startS !== null && t < startS - SECONDS_PER_YEAR ? startS : 0;
    if (!tags.includes(tag)) tags.push(tag);
    intervals.push({ tag, startMs: Math.round((baseS + t) * 1000), lengthMs: Math.round(Number(m[3]) * 1000), encoded: m[5], line: i + 1 });
  }
  if (intervals.length === 0) throw new HlogInputError(`${name}: not an HdrHistogram interval log (no interval lines)`);
  return { name, startMs: startS === null ? null : Math.round(startS * 1000), intervals, tags };
}

function excerpt(line: string): string {
  return line.length > 60 ? `${line.slice(0, 60)}...` : line;
}

/** One bucket of a merged tag. */
export interface MergedInterval {
  /** The bucket's start: absolute ms (the tag's origin + index * length). */
  startMs: number;
  /** Seconds from the tag's first bucket. */
  offsetS: number;
  /** The latest end of the intervals in the bucket, absolute ms: where the bucket's time really ends (a last, short interval ends well before the bucket does). */
  endMs: number;
  messages: number;
  /**
   * The time the bucket's intervals cover, ms: per log the length of its
   * intervals in the bucket, the longest of those. Shorter than the bucket
   * where a run ended between two interval ticks (its last interval is cut
   * short), so that its msg/s, over this length, is not mistaken for a full one.
   */
  lengthMs: number;
  /** The sum over logs of each log's count in the bucket over its intervals' length there: the load of all generators together. */
  msgPerS: number;
  /** How many logs have an interval in this bucket. */
  logs: number;
  latencyUs: LatencyUs | null;
}

/** A tag merged over the logs that have it. */
export interface MergedTag {
  tag: string;
  /** Messages of this tag in each log (0 where the log lacks the tag), in the order of the logs. */
  perLog: number[];
  /** Which logs have the tag; fewer than all marks the tag partial. */
  inLogs: number;
  messages: number;
  latencyUs: LatencyUs | null;
  /** The merged histogram (nanoseconds), compressed base64: what decodeHistogram reads back. */
  histogram: string;
  intervals: MergedInterval[];
  /** No bucket holds intervals of two logs or more, though two or more logs have the tag: they were not run at the same time. */
  disjoint: boolean;
}

export interface MergeResult {
  /** The bucket length L, ms. */
  intervalMs: number;
  /** Each log's own interval length (intervalLengthOf), ms. */
  logIntervalMs: number[];
  tags: MergedTag[];
}

/**
 * Merge the logs: per tag (in order of first appearance across the logs),
 * the exact sum of its interval histograms and the per-bucket sums (see the
 * opening comment). Throws HlogInputError when an interval's histogram
 * does not decode.
 */
export function mergeIntervalLogs(logs: readonly IntervalLog[]): MergeResult {
  const logIntervalMs = logs.map(intervalLengthOf);
  const intervalMs = Math.max(1, ...logIntervalMs);
  const tagNames: string[] = [];
  for (const l of logs) for (const tag of l.tags) if (!tagNames.includes(tag)) tagNames.push(tag);
  return { intervalMs, logIntervalMs, tags: tagNames.map((tag) => mergeTag(logs, tag, intervalMs)) };
}

interface Placed {
  log: number;
  iv: LogInterval;
}

function mergeTag(logs: readonly IntervalLog[], tag: string, intervalMs: number): MergedTag {
  const placed: Placed[] = [];
  logs.forEach((l, log) => {
    for (const iv of l.intervals) if (iv.tag === tag) placed.push({ log, iv });
  });
  const origin = Math.min(...placed.map((p) => p.iv.startMs));
  const buckets = new Map<number, Placed[]>();
  for (const p of placed) {
    const index = Math.floor((p.iv.startMs + p.iv.lengthMs / 2 - origin) / intervalMs);
    const list = buckets.get(index);
    if (list === undefined) buckets.set(index, [p]);
    else list.push(p);
  }

  const perLog = logs.map(() => 0);
  const total = createHistogram();
  const intervals: MergedInterval[] = [];
  let shared = false;
  try {
    for (const index of [...buckets.keys()].sort((a, b) => a - b)) {
      const bucket = createHistogram();
      // Per log: its count and its intervals' length in this bucket, for the summed rate.
      const counts = new Map<number, { n: number; ms: number }>();
      let endMs = Number.NEGATIVE_INFINITY;
      try {
        for (const { log, iv } of buckets.get(index)!) {
          const h = decodeInterval(logs[log].name, iv);
          try {
            bucket.add(h);
            const c = counts.get(log) ?? { n: 0, ms: 0 };
            c.n += h.totalCount;
            c.ms += iv.lengthMs;
            counts.set(log, c);
            perLog[log] += h.totalCount;
            endMs = Math.max(endMs, iv.startMs + iv.lengthMs);
          } finally {
            h.destroy();
          }
        }
        total.add(bucket);
        let msgPerS = 0;
        let lengthMs = 0;
        for (const c of counts.values()) {
          if (c.ms > 0) msgPerS += (c.n * 1000) / c.ms;
          lengthMs = Math.max(lengthMs, c.ms);
        }
        if (counts.size > 1) shared = true;
        intervals.push({
          startMs: origin + index * intervalMs,
          offsetS: (index * intervalMs) / 1000,
          endMs,
          messages: bucket.totalCount,
          lengthMs,
          msgPerS,
          logs: counts.size,
          latencyUs: summarize(bucket),
        });
      } finally {
        bucket.destroy();
      }
    }
    const inLogs = logs.filter((l) => l.tags.includes(tag)).length;
    return { tag, perLog, inLogs, messages: total.totalCount, latencyUs: summarize(total), histogram: encodeHistogram(total), intervals, disjoint: inLogs > 1 && !shared };
  } finally {
    total.destroy();
  }
}

function decodeInterval(name: string, iv: LogInterval): Histogram {
  try {
    return decodeHistogram(iv.encoded);
  } catch (err) {
    throw new HlogInputError(`${name}: line ${iv.line}: the histogram does not decode (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * A log's interval length, ms: the median length of its intervals, each
 * tag's last one aside (it ends with the run, and may be up to a quarter longer or
 * a fragment, from an older writer). Not the most frequent length: under
 * load every interval ends a few ms late, no two lengths are alike, and the
 * most frequent would be whichever tied last.
 */
export function intervalLengthOf(log: IntervalLog): number {
  const last = new Map<string, LogInterval>();
  for (const iv of log.intervals) last.set(iv.tag, iv);
  let lengths = log.intervals.filter((iv) => last.get(iv.tag) !== iv).map((iv) => iv.lengthMs);
  if (lengths.length === 0) lengths = log.intervals.map((iv) => iv.lengthMs);
  lengths.sort((a, b) => a - b);
  return lengths[(lengths.length - 1) >> 1];
}
