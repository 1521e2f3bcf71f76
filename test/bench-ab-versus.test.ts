/**
 * bench/ab.ts's comparison of each side against the first (bench/ab/versus.ts)
 * on hand-made rounds: B/A with its interval worked by hand (four rounds a
 * side: Moses' interval is then the smallest and the largest of the sixteen
 * ratios), the verdict in words, no interval with three rounds, counts with
 * no GC in them, drift and an outlying round, and the rounds read in the
 * order they ran. The real runs' output is checked in test/bench-ab.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Plan, type Side, orderOf } from '../bench/ab/plan.js';
import type { Row } from '../bench/ab/run.js';
import { formatVersus, versus } from '../bench/ab/versus.js';

const side = (label: string): Side => ({ label, serverTree: '.', clientTree: '.', serverArgs: [], clientArgs: [], serverNodeFlags: undefined, watch: 'none' });

function planOf(labels: string[], rounds: number): Plan {
  return { mode: 'io', sides: labels.map(side), rounds, count: 1000, warmup: 0, cpu: 0, clientCpu: 0, watchCpu: 1, hog: false, messageMode: 'fixed' };
}

/** A side's figures by round (index 0 is round 1); those not given are 1 (GCs 0). */
interface Figures {
  p50?: number[];
  p99?: number[];
  cpu?: number[];
  clientGcs?: number[];
  serverGcs?: number[];
}

/** The rows as bench/ab.ts makes them: the rounds in ABBA order. */
function rowsOf(plan: Plan, figures: Record<string, Figures>): Row[] {
  const rows: Row[] = [];
  for (let round = 1; round <= plan.rounds; round++) {
    for (const { label } of orderOf(plan, round)) {
      const f = figures[label];
      const at = (xs: number[] | undefined, none: number) => xs?.[round - 1] ?? none;
      const p50 = at(f.p50, 1);
      const p99 = at(f.p99, 1);
      const count = at(f.serverGcs, 0);
      rows.push({
        round,
        label,
        latency: { min: p50, mean: p50, stdev: 0, p50, p90: p99, p99, p99_9: p99, p99_99: p99, max: p99 },
        clientGcs: at(f.clientGcs, 0),
        serverGc: { count, pauseMs: 0, minor: count, major: 0, incremental: 0, weakcb: 0, other: 0, quiet: 0, quietPauseMs: 0 },
        cpuUsPerTrip: at(f.cpu, 1),
        answers: null,
      });
    }
  }
  return rows;
}

/** The table row of `figure` in the text: its cells (split at two spaces or more). */
function rowOf(text: string, figure: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith(`${figure}  `));
  assert.ok(line !== undefined, `no row ${figure} in:\n${text}`);
  return line.split(/ {2,}/);
}

describe('bench/ab.ts: each side against the first', () => {
  it('four rounds: B/A with its 95% interval and the verdict in words', () => {
    const plan = planOf(['handles', 'sockets'], 4);
    const rows = rowsOf(plan, {
      handles: { p50: [10, 11, 10.5, 9.5], p99: [50, 52, 51, 49], cpu: [1, 1.1, 1.05, 0.95], serverGcs: [0, 0, 0, 0] },
      sockets: { p50: [20, 21, 19, 22], p99: [51, 49, 50, 52], cpu: [2, 2.1, 1.9, 2.2], serverGcs: [1, 1, 1, 1] },
    });
    const text = formatVersus(plan, rows);
    assert.match(text, /^sockets \(B\) against handles \(A\): B\/A over 4 and 4 rounds, 95% intervals \(97\.1% exactly\): Hodges-Lehmann/);
    // The sixteen ratios run from 19/11 to 22/9.5; their median is 2.
    assert.deepEqual(rowOf(text, 'p50 us'), ['p50 us', '10.25', '20.50', '2.000 [1.73, 2.32]', 'sockets slower at p50 by 100% [73%, 132%]']);
    const p99 = rowOf(text, 'p99 us');
    assert.match(p99[3], /^1\.000 \[0\.9\d, 1\.0\d\]$/);
    assert.match(p99[4], /^no difference at p99 beyond noise \(1\.000 \[0\.9\d\d, 1\.0\d\d\]\)$/);
    assert.deepEqual(rowOf(text, 'CPU us/rt').slice(3), ['2.000 [1.73, 2.32]', 'sockets higher in CPU per round trip by 100% [73%, 132%]']);
    assert.deepEqual(rowOf(text, 'client GCs').slice(1), ['0', '0', '-', 'none on either side']);
    assert.deepEqual(rowOf(text, 'server GCs').slice(1), ['0', '1', '-', 'no ratio: handles had none in every round']);
    assert.doesNotMatch(text, /drift|outlying/);
  });

  it('three rounds: the ratio, and no interval, said so', () => {
    const plan = planOf(['handles', 'sockets'], 3);
    const rows = rowsOf(plan, { handles: { p50: [10, 11, 10.5] }, sockets: { p50: [20, 21, 19] } });
    const text = formatVersus(plan, rows);
    assert.match(text, /^sockets \(B\) against handles \(A\): B\/A over 3 and 3 rounds, 95% intervals \(too few rounds for one\)/);
    assert.deepEqual(rowOf(text, 'p50 us').slice(3), ['1.905 (no interval: 3 rounds, 4 needed)', 'sockets/handles at p50 1.905, with no interval (too few runs)']);
  });

  it('names a drift across the rounds and an outlying round, and keeps the round in the figures', () => {
    const plan = planOf(['off', 'on'], 6);
    // Both sides rise 5% a run, in the order the runs ran (off, on, on, off, off, on, ...).
    const rising: Record<string, number[]> = { off: [], on: [] };
    for (let round = 1, t = 0; round <= 6; round++) for (const s of orderOf(plan, round)) rising[s.label].push(10 * 1.05 ** t++);
    const rows = rowsOf(plan, { off: { p50: rising.off, p99: [50, 51, 49, 50, 500, 50] }, on: { p50: rising.on, p99: [50, 49, 51, 50, 52, 48] } });
    const text = formatVersus(plan, rows);
    assert.match(text, /\ndrift: p50 us rose \d+\.\d% from the first round to the last, both sides alike \(Mann-Kendall p = 0\.0\d\d\)/);
    assert.match(text, /\noutlying rounds, kept in the figures: off round 5 at p99 us, 500\.0 against a median of 50\.00\n?/);
    assert.deepEqual(versus(plan, rows)[0].figures[1].noisy.a.values, [50, 51, 49, 50, 500, 50]);
  });

  it('three sides: each after the first against the first, its rounds in the order they ran', () => {
    const plan = planOf(['off', 'on', 'flood'], 4);
    const rows = rowsOf(plan, { off: { p50: [1, 2, 3, 4] }, on: { p50: [5, 6, 7, 8] }, flood: { p50: [9, 10, 11, 12] } });
    const all = versus(plan, rows);
    assert.deepEqual(
      all.map((v) => [v.a, v.b, v.figures[0].noisy.a.values, v.figures[0].noisy.b.values]),
      [
        ['off', 'on', [1, 2, 3, 4], [5, 6, 7, 8]],
        ['off', 'flood', [1, 2, 3, 4], [9, 10, 11, 12]],
      ],
    );
    const text = formatVersus(plan, rows);
    assert.deepEqual(
      text
        .split('\n')
        .filter((l) => l.includes(' (B) against '))
        .map((l) => l.split(':')[0]),
      ['on (B) against off (A)', 'flood (B) against off (A)'],
    );
  });
});
