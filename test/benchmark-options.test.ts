/** The benchmark's options as pure functions: the scenario matrix, presets, --slo, the split over threads. No process, no socket. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { parseSlo, presetScenarios, scenarioMatrix, sloBreaches } from '../src/benchmark/options.js';
import { PRESETS, scenarioTag } from '../src/report/scenario.js';
import { parseIntList } from '../src/cli/args.js';
import { splitConnections } from '../src/benchmark/run.js';

describe('scenario options', () => {
  it('a matrix crosses connections, pipelines and rates, connections outermost', () => {
    const m = scenarioMatrix([1, 10], [1, 16], [null, 5000], [64], 1, 2);
    assert.equal(m.length, 8);
    assert.deepEqual(m[0], { connections: 1, pipeline: 1, rate: null, size: 64, warmupS: 1, durationS: 2 });
    assert.deepEqual(m[7], { connections: 10, pipeline: 16, rate: 5000, size: 64, warmupS: 1, durationS: 2 });
  });

  it('sizes are the innermost loop: each load at each size, in the order given', () => {
    const m = scenarioMatrix([1, 10], [1], [null], [1024, 64], 0, 1);
    assert.deepEqual(
      m.map((s) => [s.connections, s.size]),
      [
        [1, 1024],
        [1, 64],
        [10, 1024],
        [10, 64],
      ],
    );
    assert.deepEqual(
      m.map((s) => scenarioTag(s, s.size)),
      ['c1-p1-closed-1024B', 'c1-p1-closed-64B', 'c10-p1-closed-1024B', 'c10-p1-closed-64B'],
    );
    assert.equal(scenarioTag(m[0]), 'c1-p1-closed', 'a run of one size keeps the short tag');
    const light = presetScenarios('light', [64, 4096]);
    assert.deepEqual(
      light.map((s) => [s.connections, s.size]),
      [
        [1, 64],
        [1, 4096],
        [10, 64],
        [10, 4096],
      ],
    );
  });

  it('--size and the other lists: integers, each once; sizes may be 0', () => {
    const sizes = parseIntList(0xffff_ffff, 0);
    assert.deepEqual(sizes('64,1024, 16384'), [64, 1024, 16384]);
    assert.deepEqual(sizes('0'), [0]);
    assert.throws(() => sizes('64,1k'), /expected a comma-separated list of integers from 0 to 4294967295/);
    assert.throws(() => sizes('64,,1024'), /expected a comma-separated list/);
    assert.throws(() => sizes('-1'), /expected a comma-separated list/);
    assert.throws(() => sizes('64,64'), /64 is listed twice/);
    assert.throws(() => parseIntList(100)('0'), /from 1 to 100/);
  });

  it('presets grow from light to stress, and stress lasts about a minute', () => {
    const seconds = (p: (typeof PRESETS)[number]) => presetScenarios(p, [64]).reduce((t, s) => t + s.warmupS + s.durationS, 0);
    const maxConns = (p: (typeof PRESETS)[number]) => Math.max(...presetScenarios(p, [64]).map((s) => s.connections * s.pipeline));
    for (let i = 1; i < PRESETS.length; i++) assert.ok(maxConns(PRESETS[i]) > maxConns(PRESETS[i - 1]), PRESETS[i]);
    assert.ok(seconds('stress') >= 45 && seconds('stress') <= 75, `${seconds('stress')} s`);
    assert.ok(presetScenarios('stress', [64]).some((s) => s.rate !== null));
    assert.deepEqual(
      presetScenarios('light', [64], 0, 0.5).map((s) => [s.warmupS, s.durationS]),
      [
        [0, 0.5],
        [0, 0.5],
      ],
    );
  });

  it('--slo names percentiles as written and compares in microseconds', () => {
    const slo = parseSlo('p99=1000,p99.9=5000');
    assert.deepEqual(slo, [
      { name: 'p99', key: 'p99', limitUs: 1000 },
      { name: 'p99.9', key: 'p99_9', limitUs: 5000 },
    ]);
    const l = { min: 1, mean: 2, stdev: 1, p50: 2, p90: 3, p99: 999, p99_9: 5001, p99_99: 6000, max: 7000 };
    assert.deepEqual(sloBreaches(l, slo), ['p99.9 5001 us > 5000 us']);
    assert.deepEqual(sloBreaches(null, slo).length, 2);
    assert.throws(() => parseSlo('p99=0'), InvalidArgumentError);
    assert.throws(() => parseSlo('p99'), InvalidArgumentError);
  });

  it('connections are split over threads as evenly as they go, numbered without gaps', () => {
    assert.deepEqual(splitConnections(10, 3), [
      [4, 0],
      [3, 4],
      [3, 7],
    ]);
    assert.deepEqual(splitConnections(2, 4), [
      [1, 0],
      [1, 1],
    ]);
    assert.deepEqual(splitConnections(1, 1), [[1, 0]]);
  });
});
