/**
 * bench/compare.ts's ratios with their intervals over the rounds
 * (bench/compare/targets.ts) and its tables and JSON (report.ts), on
 * hand-made rows: with four rounds a side Moses' interval is the smallest
 * and the largest of the sixteen ratios of the rounds, worked by hand here;
 * a target met by its ratio, and its interval within, beyond or across the
 * limit; three rounds print no interval and say why; a ratio of one run a
 * side (throughput) has none, and says nothing of one; and the default of
 * 4 rounds, the fewest for an interval.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median } from '../bench/lib.js';
import { parseCompareOptions } from '../bench/compare/options.js';
import { comparisonJson, contextTable, header, report, targetsTable } from '../bench/compare/report.js';
import type { Comparison, Latency, Row } from '../bench/compare/rows.js';
import { against, targets } from '../bench/compare/targets.js';

/** A latency row of `placement` 'same' with these rounds (p50, p99, p99.9 by round; p99.99 and max as p99.9). */
function latencyRow(id: string, p50: number[], p99: number[], p99_9: number[]): Row {
  const rounds: Latency[] = p50.map((v, i) => ({ p50: v, p99: p99[i], p99_9: p99_9[i], p99_99: p99_9[i], max: p99_9[i] }));
  const pick = (k: keyof Latency) => median(rounds.map((l) => l[k]));
  return { id, what: id, placement: 'same', rounds, latency: { p50: pick('p50'), p99: pick('p99'), p99_9: pick('p99_9'), p99_99: pick('p99_99'), max: pick('max') } };
}

const SETTINGS = { idleConnections: 10_000 };

/** sockperf's pair and ours over the first `n` of four rounds: p50 twice sockperf's, p99 alike, p99.9 across its limit of 2; and one throughput run a side. */
function rowsOver(n: number): Row[] {
  const r = (id: string, p50: number[], p99: number[], p99_9: number[]) => latencyRow(id, p50.slice(0, n), p99.slice(0, n), p99_9.slice(0, n));
  return [
    r('c-pair-same', [10, 11, 10.5, 9.5], [50, 52, 51, 49], [10, 10, 10, 10]),
    r('our-server-same', [20, 21, 19, 22], [51, 49, 50, 52], [15, 25, 18, 22]),
    r('c-server-epoll-same', [12, 13, 12.5, 11.5], [60, 60, 60, 60], [90, 90, 90, 90]),
    { id: 'redis-50x16', what: 'redis-benchmark -> redis-server', placement: 'split', throughputPerSec: 100_000 },
    { id: 'rb-ours-50x16', what: 'redis-benchmark -> our server', placement: 'split', throughputPerSec: 120_000 },
  ];
}

function comparison(rows: Row[], rounds: number): Comparison {
  const { ratios, context } = targets(rows, SETTINGS);
  return { started: '2026-12-06T00:00:00.000Z', quick: false, rounds, node: 'v20.20.2', cpus: 2, rows, ratios, context };
}

/** The table line of `target` (its first cell), as cells. */
function lineOf(table: string, first: string): string[] {
  const line = table.split('\n').find((l) => l.startsWith(`| ${first} |`));
  assert.ok(line !== undefined, `no line ${first} in:\n${table}`);
  return line
    .slice(2, -2)
    .split(' | ')
    .map((c) => c.trim());
}

describe('bench/compare.ts: ratios with their intervals over the rounds', () => {
  it('four rounds: each ratio of latency rows with its interval, and where it lies against the limit', () => {
    const c = comparison(rowsOver(4), 4);
    const table = targetsTable(c.ratios);
    assert.match(table, /^\| target \| placement \| value \[95% interval\] \| limit \| met \| the interval against the limit \|/);
    // The sixteen ratios of p50 run from 19/11 to 22/9.5: the interval lies wholly above 1.1.
    assert.deepEqual(lineOf(table, '1. server p50 (sockperf -> ours / sockperf -> sockperf)'), [
      '1. server p50 (sockperf -> ours / sockperf -> sockperf)',
      'same',
      '2 [1.73, 2.32]',
      '<= 1.1',
      'no',
      'entirely beyond',
    ]);
    // p99 alike: from 49/52 to 52/49, wholly below 1.5.
    assert.deepEqual(lineOf(table, '1. server p99').slice(2), ['1 [0.94, 1.06]', '<= 1.5', 'yes', 'entirely within']);
    // p99.9 at 2.0 by the medians, met; its rounds from 1.5 to 2.5: across the limit.
    assert.deepEqual(lineOf(table, '1. server p99.9').slice(2), ['2 [1.50, 2.50]', '<= 2', 'yes', 'straddles it']);
    // One run a side: the ratio alone.
    assert.deepEqual(lineOf(table, '6. throughput 50 x 16 under redis-benchmark: our server / redis-server').slice(2), ['1.2', '>= 1', 'yes', '-']);
    assert.ok(!c.ratios.some((r) => r.target.startsWith('2. ')), 'no client row, no client ratio');
    assert.deepEqual(lineOf(contextTable(c.context), 'C server with epoll p50 / C server with recvfrom p50').slice(1), ['same', '1.195 [1.05, 1.37]']);
    assert.match(header(c, 'cpu'), /\nRatios of latency rows: the ratio of the medians, then its 95% interval over the rounds/);
  });

  it('keeps each interval, and where it lies, in the JSON', () => {
    const json = JSON.parse(comparisonJson(comparison(rowsOver(4), 4)));
    const p50 = json.ratios[0];
    assert.equal(p50.value, 2);
    const i = p50.interval;
    assert.deepEqual(i.rounds, { a: 4, b: 4 });
    assert.deepEqual(
      [i.estimate, i.low, i.high, i.confidence, i.p].map((v: number) => v.toFixed(4)),
      ['2.0000', (19 / 11).toFixed(4), (22 / 9.5).toFixed(4), (1 - 2 / 70).toFixed(4), (2 / 70).toFixed(4)],
    );
    assert.equal(p50.against, 'beyond');
    const throughput = json.ratios.find((r: { target: string }) => r.target.startsWith('6. '));
    assert.equal(throughput.interval, undefined);
    assert.equal(throughput.against, undefined);
  });

  it('three rounds: no interval, and why, in every ratio of latency rows', () => {
    const c = comparison(rowsOver(3), 3);
    const text = report(c, 'cpu');
    assert.deepEqual(lineOf(text, '1. server p50 (sockperf -> ours / sockperf -> sockperf)').slice(2), ['1.905 (no interval: 3 rounds, 4 needed)', '<= 1.1', 'no', '-']);
    assert.deepEqual(lineOf(text, 'C server with epoll p50 / C server with recvfrom p50').slice(2), ['1.19 (no interval: 3 rounds, 4 needed)']);
    assert.equal(c.ratios[0].interval!.low, null);
    assert.equal(c.ratios[0].against, undefined);
  });

  it('places an interval against a limit of either kind', () => {
    const i = (low: number, high: number) => ({ rounds: { a: 4, b: 4 }, estimate: (low + high) / 2, low, high, confidence: 0.971, p: 0.03 });
    assert.deepEqual(
      [i(0.8, 1.0), i(0.9, 1.2), i(1.01, 1.2)].map((x) => against(x, 1.0, 'max')),
      ['within', 'straddles', 'beyond'],
    );
    assert.deepEqual(
      [i(1.0, 1.2), i(0.9, 1.2), i(0.8, 0.99)].map((x) => against(x, 1.0, 'min')),
      ['within', 'straddles', 'beyond'],
    );
    assert.equal(against({ ...i(1, 1), low: null, high: null }, 1.0, 'max'), undefined);
  });

  it('runs 4 latency rounds by default, the fewest for an interval; 1 with --quick', () => {
    const rounds = (...args: string[]) => parseCompareOptions(['node', 'bench/compare.ts', ...args, '--json', '/dev/null']).rounds;
    assert.deepEqual([rounds(), rounds('--quick'), rounds('--rounds', '6')], [4, 1, 6]);
  });
});
