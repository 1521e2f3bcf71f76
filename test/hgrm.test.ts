/** The .hgrm files: HdrHistogram's percentile distribution, monotone whatever the data (a property test). */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createHistogram, initHistograms, toHgrm } from '../src/stats/histogram.js';

/** The data rows of an .hgrm: value (us), percentile (0..1), total count. */
function rows(hgrm: string): Array<[number, number, number]> {
  return hgrm
    .split('\n')
    .filter((l) => /^\s*\d/.test(l))
    .map((l) => {
      const [value, percentile, count] = l.trim().split(/\s+/).map(Number);
      return [value, percentile, count];
    });
}

describe('.hgrm', () => {
  before(() => initHistograms());

  it('values never decrease, percentiles increase, and the last total count is the recorded count, over random histograms', () => {
    // A cluster (a latency mode) of nanosecond values, plus a tail of rarer large ones.
    const sample = fc.record({
      base: fc.integer({ min: 1, max: 10_000_000 }),
      spread: fc.integer({ min: 0, max: 1_000_000 }),
      cluster: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 3000 }),
      tail: fc.array(fc.integer({ min: 1, max: 5_000_000_000 }), { maxLength: 50 }),
    });
    fc.assert(
      fc.property(sample, ({ base, spread, cluster, tail }) => {
        const h = createHistogram();
        try {
          for (const u of cluster) h.recordValue(base + Math.floor(u * spread));
          for (const v of tail) h.recordValue(v);
          const r = rows(toHgrm(h));
          assert.ok(r.length > 0);
          for (let i = 1; i < r.length; i++) {
            assert.ok(r[i][0] >= r[i - 1][0], `value ${r[i][0]} after ${r[i - 1][0]} (row ${i})`);
            assert.ok(r[i][1] > r[i - 1][1], `percentile ${r[i][1]} after ${r[i - 1][1]} (row ${i})`);
            assert.ok(r[i][2] >= r[i - 1][2], `total count ${r[i][2]} after ${r[i - 1][2]} (row ${i})`);
          }
          assert.equal(r[r.length - 1][1], 1);
          assert.equal(r[r.length - 1][2], cluster.length + tail.length);
        } finally {
          h.destroy();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the standard footer: mean, max and total count in microseconds', () => {
    const h = createHistogram();
    for (const v of [10_000, 20_000, 30_000]) h.recordValue(v);
    const text = toHgrm(h);
    h.destroy();
    assert.match(text, /^\s+Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/);
    assert.match(text, /#\[Mean\s+=\s+20\.0\d*,/);
    assert.match(text, /#\[Max\s+=\s+30\.0\d*, Total count\s+=\s+3\]/);
  });
});
