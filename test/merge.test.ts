/**
 * Merging interval logs (src/stats/merge.ts) on hand-made logs: parsing and
 * absolute times, alignment into buckets across logs out of phase, exact
 * sums, rates, tags in some logs only, and what is not a log.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { tagDifferences, mergeNotes } from '../src/results/merge-report.js';
import { createHistogram, decodeHistogram, encodeHistogram, initHistograms, summarize } from '../src/stats/histogram.js';
import { HlogInputError, NO_TAG, mergeIntervalLogs, parseIntervalLog } from '../src/stats/merge.js';

before(() => initHistograms());

/** `values` (ns) as one histogram, compressed base64. */
function encoded(values: readonly number[]): string {
  const h = createHistogram();
  for (const v of values) h.recordValue(v);
  const s = encodeHistogram(h);
  h.destroy();
  return s;
}

/** A log started at `startS` (epoch seconds) with a BaseTime, and one line per [tag, start, length, values]. */
function logText(startS: number, lines: ReadonlyArray<readonly [tag: string, start: number, length: number, values: readonly number[]]>): string {
  return [
    '#[Histogram log format version 1.3]',
    `#[StartTime: ${startS.toFixed(3)} (seconds since epoch), whenever]`,
    `#[BaseTime: ${startS.toFixed(3)} (seconds since epoch)]`,
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
    ...lines.map(([tag, start, length, values]) => `Tag=${tag},${start.toFixed(3)},${length.toFixed(3)},${(Math.max(0, ...values) / 1e6).toFixed(3)},${encoded(values)}`),
    '',
  ].join('\n');
}

const T0 = 1_700_000_000;

describe('parseIntervalLog', () => {
  it('interval times from the base time, in ms since the epoch; tags in order', () => {
    const log = parseIntervalLog(
      'a',
      logText(T0, [
        ['x', 0.5, 1, [1000]],
        ['y', 0.5, 1, [2000]],
        ['x', 1.5, 1, [3000]],
      ]),
    );
    assert.deepEqual(log.tags, ['x', 'y']);
    assert.equal(log.startMs, T0 * 1000);
    assert.deepEqual(
      log.intervals.map((iv) => [iv.tag, iv.startMs, iv.lengthMs, iv.line]),
      [
        ['x', T0 * 1000 + 500, 1000, 5],
        ['y', T0 * 1000 + 500, 1000, 6],
        ['x', T0 * 1000 + 1500, 1000, 7],
      ],
    );
  });

  it('without a base time: relative to the start time (as HistogramLogReader does); untagged lines get NO TAG', () => {
    const text = `#[StartTime: ${T0}.250 (seconds since epoch)]\n2.000,1.000,0.001,${encoded([5])}\n`;
    const log = parseIntervalLog('a', text);
    assert.deepEqual(log.tags, [NO_TAG]);
    assert.equal(log.intervals[0].startMs, T0 * 1000 + 2250);
  });

  it('absolute timestamps stay absolute', () => {
    const log = parseIntervalLog('a', `#[StartTime: ${T0}.000 (seconds since epoch)]\n${T0 + 3}.000,1.000,0.001,${encoded([5])}\n`);
    assert.equal(log.intervals[0].startMs, (T0 + 3) * 1000);
  });

  it('a file that is not a log, a damaged line, a log without intervals: HlogInputError naming the file and line', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"ok":true,"scenarios":[]}\n', /^r\.json: not an HdrHistogram interval log \(line 1: \{"ok":true/],
      ['       Value     Percentile TotalCount 1/(1-Percentile)\n\n      15.000 0.000000000000          1           1.00\n', /^r\.json: not an HdrHistogram interval log \(line 1:/],
      [`${logText(T0, [['x', 0, 1, [5]]])}Tag=x,1.000,1.000,garbage\n`, /^r\.json: line 6 is not an interval line: Tag=x,1\.000/],
      ['#[Histogram log format version 1.3]\n#[StartTime: 1.000 (seconds since epoch)]\n', /^r\.json: not an HdrHistogram interval log \(no interval lines\)$/],
      ['', /no interval lines/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseIntervalLog('r.json', text),
        (err: unknown) => err instanceof HlogInputError && err.code === 'ERR_HLOG_INPUT' && message.test(err.message),
        text,
      );
    }
  });
});

describe('mergeIntervalLogs', () => {
  // a: intervals at T0+0, +1, +2; b: started 0.6 s later, intervals at T0+0.6, +1.6, +2.6.
  const A = [[100, 200], [300, 400, 500], [600]];
  const B = [[1000], [2000, 3000], [4000, 5000, 6000, 7000]];
  const a = () =>
    parseIntervalLog(
      'a',
      logText(
        T0,
        A.map((v, i) => ['x', i, 1, v] as const),
      ),
    );
  const b = () =>
    parseIntervalLog(
      'b',
      logText(
        T0 + 0.6,
        B.map((v, i) => ['x', i, 1, v] as const),
      ),
    );

  it('aligns on absolute time: each interval in the bucket holding its midpoint', () => {
    const m = mergeIntervalLogs([a(), b()]);
    assert.equal(m.intervalMs, 1000);
    const [x] = m.tags;
    assert.deepEqual(
      x.intervals.map((iv) => [iv.offsetS, iv.startMs - T0 * 1000, iv.messages, iv.logs, iv.latencyUs?.max]),
      [
        [0, 0, 2, 1, 0.2],
        [1, 1000, 4, 2, 1],
        // A decoded histogram's max is the top of its bucket, as in Java: 3000 ns -> 3001, 7000 -> 7003 (3 digits).
        [2, 2000, 3, 2, 3.001],
        [3, 3000, 4, 1, 7.003],
      ],
    );
    assert.equal(x.disjoint, false);
  });

  it('the total is exact: the same histogram as every value recorded into one (and stored in a log)', () => {
    const m = mergeIntervalLogs([a(), b()]);
    const [x] = m.tags;
    // Through a log's encoding, as the merge sees them: the maximum becomes the top of its bucket.
    const all = decodeHistogram(encoded([...A.flat(), ...B.flat()]));
    assert.equal(x.messages, all.totalCount);
    assert.deepEqual(x.perLog, [6, 7]);
    assert.deepEqual(x.latencyUs, summarize(all));
    const back = decodeHistogram(x.histogram);
    assert.equal(back.totalCount, all.totalCount);
    for (const p of [50, 90, 99, 100]) assert.equal(back.getValueAtPercentile(p), all.getValueAtPercentile(p), `p${p}`);
    back.destroy();
    all.destroy();
  });

  it("msg/s is the sum of each log's rate in the bucket, partial intervals at their own length", () => {
    const p = parseIntervalLog(
      'p',
      logText(T0, [
        ['x', 0, 1, [1, 2, 3, 4]],
        ['x', 1, 0.25, [1, 2]],
      ]),
    );
    const q = parseIntervalLog(
      'q',
      logText(T0, [
        ['x', 0, 1, [1, 2]],
        ['x', 1, 0.5, [1]],
      ]),
    );
    const [x] = mergeIntervalLogs([p, q]).tags;
    assert.deepEqual(
      x.intervals.map((iv) => iv.msgPerS),
      [6, 2 / 0.25 + 1 / 0.5],
    );
  });

  it('interval lengths that differ: buckets of the longest, the shorter intervals summed into them', () => {
    const long = parseIntervalLog(
      'long',
      logText(T0, [
        ['x', 0, 1, [10]],
        ['x', 1, 1, [20]],
      ]),
    );
    const short = parseIntervalLog(
      'short',
      logText(T0, [
        ['x', 0, 0.5, [1, 2]],
        ['x', 0.5, 0.5, [3]],
        ['x', 1, 0.5, [4]],
        ['x', 1.5, 0.5, [5, 6, 7]],
      ]),
    );
    const m = mergeIntervalLogs([long, short]);
    assert.equal(m.intervalMs, 1000);
    assert.deepEqual(m.logIntervalMs, [1000, 500]);
    assert.deepEqual(
      m.tags[0].intervals.map((iv) => [iv.messages, iv.msgPerS]),
      [
        [4, 1 + 3],
        [5, 1 + 4],
      ],
    );
    assert.match(mergeNotes([long, short], m).join('\n'), /interval lengths differ \(long 1 s, short 0\.5 s\): merged into 1 s buckets/);
  });

  it('interval lengths within 5% (one --interval, ticks late under load): no note', () => {
    const onTime = parseIntervalLog(
      'on-time',
      logText(T0, [
        ['x', 0, 0.25, [1]],
        ['x', 0.25, 0.25, [2]],
      ]),
    );
    const late = parseIntervalLog(
      'late',
      logText(T0, [
        ['x', 0, 0.252, [3]],
        ['x', 0.252, 0.252, [4]],
      ]),
    );
    const m = mergeIntervalLogs([onTime, late]);
    assert.deepEqual(m.logIntervalMs, [250, 252]);
    assert.deepEqual(mergeNotes([onTime, late], m), []);
  });

  it('a tag in some logs only: merged from those, marked, said in one line', () => {
    const p = parseIntervalLog(
      'p.hlog',
      logText(T0, [
        ['x', 0, 1, [1]],
        ['y', 0, 1, [2, 3]],
      ]),
    );
    const q = parseIntervalLog('q.hlog', logText(T0, [['x', 0, 1, [4]]]));
    const m = mergeIntervalLogs([p, q]);
    assert.deepEqual(
      m.tags.map((t) => [t.tag, t.inLogs, t.messages, t.perLog]),
      [
        ['x', 2, 2, [1, 1]],
        ['y', 1, 2, [2, 0]],
      ],
    );
    assert.equal(tagDifferences([p, q], m), 'tags differ between logs: y only in p.hlog');
    assert.equal(tagDifferences([q, q], mergeIntervalLogs([q, q])), null);
  });

  it('logs that never overlap in time: the total still exact, and a note', () => {
    const late = parseIntervalLog(
      'late',
      logText(
        T0 + 100,
        B.map((v, i) => ['x', i, 1, v] as const),
      ),
    );
    const m = mergeIntervalLogs([a(), late]);
    assert.equal(m.tags[0].disjoint, true);
    assert.equal(m.tags[0].messages, 13);
    assert.match(mergeNotes([a(), late], m).join('\n'), /x: no two logs have an interval at the same time/);
  });

  it('a histogram that does not decode: HlogInputError naming the file and line', () => {
    const bad = parseIntervalLog('bad', `${logText(T0, [['x', 0, 1, [1]]])}Tag=x,1.000,1.000,0.001,HISTFAAAAQ==\n`);
    assert.throws(
      () => mergeIntervalLogs([bad]),
      (err: unknown) => err instanceof HlogInputError && /^bad: line 6: the histogram does not decode/.test(err.message),
    );
  });
});
