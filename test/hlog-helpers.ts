/**
 * Reading `--hlog` files in tests: with hdr-histogram-js's own reader, and
 * with HdrHistogram's Java HistogramLogProcessor (Debian's
 * libhdrhistogram-java), which says whether the log is what HdrHistogram's
 * tools expect.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';

/** The interval histograms of `tag` in a log: counts and encoded values, read by hdr-histogram-js's HistogramLogReader. */
export function readIntervals(path: string, tag: string): number[] {
  const reader = new hdr.HistogramLogReader(readFileSync(path, 'utf8'));
  const counts: number[] = [];
  for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
    if (h.tag === tag) counts.push(h.totalCount);
    h.destroy();
  }
  return counts;
}

const JARS = ['/usr/share/java/hdrhistogram.jar', '/usr/share/java/HdrHistogram.jar'];

/** The HdrHistogram jar and a working `java`, or why the Java tests cannot run. */
export function javaTool(): { jar: string } | { skip: string } {
  const jar = JARS.find((p) => existsSync(p));
  if (jar === undefined) return { skip: `HdrHistogram's jar is not installed (${JARS[0]}; apt-get install libhdrhistogram-java)` };
  const v = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (v.error !== undefined || v.status !== 0) return { skip: `java cannot run (${v.error?.message ?? `exit ${v.status}`}); apt-get install default-jre-headless` };
  return { jar };
}

/** What HistogramLogProcessor makes of one tag of a log, in microseconds: its total count, and p50/p99 of the whole. */
export interface JavaFigures {
  count: number;
  p50: number;
  p99: number;
}

/**
 * Run HistogramLogProcessor on `log` for `tag` (values divided by 1000:
 * the log holds nanoseconds, the figures are microseconds). The total
 * count is the `.hgrm` footer's; the percentiles are the last line of its
 * interval output, whose cumulative (T:) columns cover the whole log.
 */
export function javaFigures(jar: string, log: string, tag: string, outDir: string): JavaFigures {
  const out = join(outDir, `java-${tag}`);
  const r = spawnSync('java', ['-cp', jar, 'org.HdrHistogram.HistogramLogProcessor', '-i', log, '-o', out, '-tag', tag, '-outputValueUnitRatio', '1000'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`HistogramLogProcessor failed (${r.status}): ${r.stderr}`);
  const hgrm = readFileSync(`${out}.hgrm`, 'utf8');
  const total = /Total count\s*=\s*(\d+)/.exec(hgrm);
  if (total === null) throw new Error(`no total count in ${out}.hgrm:\n${hgrm}`);
  // Time: I:count ( 50% 90% Max ) T:count ( 50% 90% 99% 99.9% 99.99% Max )
  const last = readFileSync(out, 'utf8').trim().split('\n').at(-1)!;
  const t = /T:(\d+) \(\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(last);
  if (t === null) throw new Error(`no cumulative figures in the last line of ${out}: ${last}`);
  if (Number(t[1]) !== Number(total[1])) throw new Error(`the last interval line covers ${t[1]} of ${total[1]}: ${last}`);
  return { count: Number(total[1]), p50: Number(t[2]), p99: Number(t[4]) };
}

/** Equal within one bucket of a 3-significant-digit histogram (0.1%), plus the 0.001 us of the printed rounding. */
export function sameBucket(ours: number, theirs: number): boolean {
  return Math.abs(ours - theirs) <= theirs * 0.001 + 0.001;
}
