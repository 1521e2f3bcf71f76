/** The benchmark's options as pure functions: the scenario matrix, presets, --slo, the split over threads. No process, no socket. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { parseSlo, presetScenarios, scenarioMatrix, sloBreaches } from '../src/benchmark/options.js';
import { PRESETS } from '../src/report/scenario.js';
import { splitConnections } from '../src/benchmark/run.js';

describe('scenario options', () => {
  it('a matrix crosses connections, pipelines and rates, connections outermost', () => {
    const m = scenarioMatrix([1, 10], [1, 16], [null, 5000], 1, 2);
    assert.equal(m.length, 8);
    assert.deepEqual(m[0], { connections: 1, pipeline: 1, rate: null, warmupS: 1, durationS: 2 });
    assert.deepEqual(m[7], { connections: 10, pipeline: 16, rate: 5000, warmupS: 1, durationS: 2 });
  });

  it('presets grow from light to stress, and stress lasts about a minute', () => {
    const seconds = (p: (typeof PRESETS)[number]) => presetScenarios(p).reduce((t, s) => t + s.warmupS + s.durationS, 0);
    const maxConns = (p: (typeof PRESETS)[number]) => Math.max(...presetScenarios(p).map((s) => s.connections * s.pipeline));
    for (let i = 1; i < PRESETS.length; i++) assert.ok(maxConns(PRESETS[i]) > maxConns(PRESETS[i - 1]), PRESETS[i]);
    assert.ok(seconds('stress') >= 45 && seconds('stress') <= 75, `${seconds('stress')} s`);
    assert.ok(presetScenarios('stress').some((s) => s.rate !== null));
    assert.deepEqual(
      presetScenarios('light', 0, 0.5).map((s) => [s.warmupS, s.durationS]),
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
