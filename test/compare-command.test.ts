/**
 * `benchmark compare`: reading saved reports (saved.ts), matching scenarios
 * and the gate (compare.ts) and the text (compare-text.ts) on small
 * hand-written reports; then the command on files written by two real short
 * runs of the benchmark, and on doctored copies of them.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { compareFigure, compareRuns } from '../src/results/compare.js';
import { formatComparisonNotes, formatComparisonTable, formatRunContext } from '../src/results/compare-text.js';
import type { BenchmarkReport, ScenarioReport } from '../src/report/benchmark.js';
import { parseSavedRun } from '../src/results/saved.js';
import { ASCII_BORDERS } from '../src/report/table.js';
import { paintFor } from '../src/cli/colour.js';
import { JSON_SCHEMA } from '../src/cli/meta.js';
import { runBin, tempDir } from './helpers.js';

const plain = paintFor(process.stdout, { NO_COLOR: '1' });

/** A scenario with only what a comparison reads; latency figures scaled from p50. */
function scenario(connections: number, p50: number | null, throughputPerSec: number, more: Partial<ScenarioReport> = {}): ScenarioReport {
  const latencyUs = p50 === null ? null : { min: p50 / 2, mean: p50, stdev: 1, p50, p90: p50 * 2, p99: p50 * 4, p99_9: p50 * 8, p99_99: p50 * 16, max: p50 * 32 };
  return { connections, pipeline: 1, rate: null, partial: false, throughputPerSec, latencyUs, ...more } as ScenarioReport;
}

function run(scenarios: ScenarioReport[], more: Partial<BenchmarkReport> = {}): BenchmarkReport {
  const meta = {
    schema: JSON_SCHEMA,
    tool: 'benchmark',
    version: '0.1.0',
    node: 'v20.1.0',
    nodeFlags: [],
    hostname: 'box',
    cpu: { model: 'x', count: 2 },
    kernel: 'Linux',
    startedAt: '2025-01-02T03:04:05.000Z',
    commit: 'abcdef0123456789+',
  };
  return { meta, transport: 'tcp', address: 'tcp://127.0.0.1:8080', framing: 'length', mode: 'fixed', size: 64, scenarios, ...more } as BenchmarkReport;
}

describe('saved reports', () => {
  it('a benchmark report is read back; anything else is refused with one reason', () => {
    const good = run([scenario(1, 20, 50_000)]);
    const read = parseSavedRun(JSON.stringify(good));
    assert.ok(read.ok);
    assert.deepEqual(read.report, good);
    const reason = (text: string) => {
      const r = parseSavedRun(text);
      assert.ok(!r.ok, text);
      return r.reason;
    };
    assert.match(reason('{"meta": '), /^not JSON \(/);
    assert.match(reason('[1, 2]'), /^not a benchmark report \(not a JSON object\)$/);
    assert.match(reason('{"error": "cannot connect"}'), /^a run that measured nothing: cannot connect$/);
    assert.match(reason(JSON.stringify({ ...good, meta: { ...good.meta, schema: JSON_SCHEMA + 1 } })), new RegExp(`^report schema ${JSON_SCHEMA + 1}, this version reads schema ${JSON_SCHEMA}$`));
    // What bin/client --json writes: a meta, no scenarios.
    assert.match(reason(JSON.stringify({ meta: { ...good.meta, tool: 'client' }, latencyUs: {} })), /^not a benchmark report \(no scenarios; written by client\)$/);
    const noP99 = run([scenario(1, 20, 50_000, { latencyUs: { p50: 1 } as ScenarioReport['latencyUs'] })]);
    assert.match(reason(JSON.stringify(noP99)), /^not a benchmark report \(scenario 1: no latencyUs\.p90\)$/);
    for (const r of ['not JSON\n"x"\n', '{"a":\n\n']) assert.equal(reason(r).split('\n').length, 1);
  });
});

describe('one figure', () => {
  it('latency is worse when higher, throughput when lower; at the threshold exactly is no regression', () => {
    assert.deepEqual(compareFigure('p99', 100, 300, 10), { figure: 'p99', baseline: 100, new: 300, ratio: 3, worsePct: 200, regression: true });
    assert.equal(compareFigure('p99', 100, 110, 10).regression, false);
    assert.equal(compareFigure('p99', 100, 110.1, 10).regression, true);
    assert.equal(compareFigure('p99', 100, 50, 10).regression, false);
    assert.deepEqual(compareFigure('throughput', 1000, 800, 10), { figure: 'throughput', baseline: 1000, new: 800, ratio: 0.8, worsePct: 20, regression: true });
    assert.equal(compareFigure('throughput', 1000, 900, 10).regression, false);
    assert.equal(compareFigure('throughput', 1000, 5000, 10).regression, false);
    assert.equal(compareFigure('throughput', 1000, 5000, 10).worsePct, -400);
  });

  it('NEW with nothing measured where BASELINE measured is a regression; the reverse compares nothing', () => {
    assert.deepEqual(compareFigure('p50', 20, null, 10), { figure: 'p50', baseline: 20, new: null, ratio: null, worsePct: null, regression: true });
    assert.deepEqual(compareFigure('p50', null, 20, 10), { figure: 'p50', baseline: null, new: 20, ratio: null, worsePct: null, regression: false });
    assert.equal(compareFigure('throughput', 0, 10, 10).ratio, null);
  });
});

describe('two runs', () => {
  it('scenarios pair by connections, pipeline and rate, whatever their order; the rest is listed as unmatched', () => {
    const base = run([scenario(1, 20, 50_000), scenario(2, 20, 90_000), scenario(4, 20, 100_000)]);
    const next = run([scenario(2, 30, 90_000), scenario(1, 20, 50_000), scenario(1, 20, 50_000, { rate: 1000 }), scenario(8, 20, 1)]);
    const r = compareRuns(base, next, ['p50', 'throughput'], 10);
    assert.ok(r.ok);
    const c = r.comparison;
    assert.deepEqual(
      c.scenarios.map((s) => s.scenario),
      ['c1-p1-closed', 'c2-p1-closed'],
    );
    assert.deepEqual(c.unmatched, { baseline: ['c4-p1-closed'], new: ['c1-p1-r1000', 'c8-p1-closed'] });
    assert.deepEqual(c.regressions, [{ scenario: 'c2-p1-closed', figure: 'p50', worsePct: 50 }]);
    assert.deepEqual(c.differences, []);
  });

  it('a scenario run twice pairs in order; different workloads are said, not refused', () => {
    const base = run([scenario(1, 10, 1000), scenario(1, 20, 1000)]);
    const next = run([scenario(1, 10, 1000), scenario(1, 20, 1000)], { size: 1024, framing: 'line' });
    const r = compareRuns(base, next, ['p50'], 0);
    assert.ok(r.ok);
    assert.deepEqual(r.comparison.regressions, []);
    assert.deepEqual(r.comparison.differences, ['framing length -> line', 'size 64 -> 1024']);
  });

  it('runs of several sizes pair by size too: 64 B is never compared with 16 KiB', () => {
    const sweep = run([scenario(1, 10, 1000, { size: 64 }), scenario(1, 50, 900, { size: 16384 })], { size: null });
    // A run of one size kept before scenarios had their own: its size is the run's.
    const one = run([scenario(1, 50, 900)], { size: 16384 });
    const r = compareRuns(sweep, one, ['p50'], 10);
    assert.ok(r.ok);
    assert.deepEqual(
      r.comparison.scenarios.map((s) => [s.scenario, s.size, s.figures[0].ratio]),
      [['c1-p1-closed-16384B', 16384, 1]],
    );
    assert.deepEqual(r.comparison.unmatched, { baseline: ['c1-p1-closed-64B'], new: [] });
    assert.deepEqual(r.comparison.differences, []);
    assert.deepEqual(compareRuns(run([scenario(1, 10, 1000)], { size: 1024 }), sweep, ['p50'], 10), {
      ok: false,
      reason: 'no scenario matches: BASELINE ran c1-p1-closed-1024B; NEW ran c1-p1-closed-64B, c1-p1-closed-16384B',
    });
  });

  it("no scenario in common: refused, naming both runs' scenarios", () => {
    const r = compareRuns(run([scenario(1, 10, 1000)]), run([scenario(2, 10, 1000), scenario(3, 10, 1000)]), ['p99'], 10);
    assert.deepEqual(r, { ok: false, reason: 'no scenario matches: BASELINE ran c1-p1-closed; NEW ran c2-p1-closed, c3-p1-closed' });
    assert.deepEqual(compareRuns(run([]), run([scenario(2, 10, 1000)]), ['p99'], 10), { ok: false, reason: 'no scenario matches: BASELINE ran none; NEW ran c2-p1-closed' });
  });
});

describe('the text', () => {
  it('context lines, a row per scenario and figure, partial flagged, the verdict naming each regression', () => {
    const base = run([scenario(1, 20, 50_000), scenario(2, 20, 90_000)]);
    const next = run([scenario(1, 20, 40_000, { partial: true }), scenario(2, 25, 90_000)]);
    const r = compareRuns(base, next, ['p99', 'throughput'], 10);
    assert.ok(r.ok);
    assert.equal(
      formatRunContext('baseline', 'a.json', base),
      'baseline  a.json: benchmark 0.1.0, commit abcdef012345+, node v20.1.0, host box, started 2025-01-02T03:04:05.000Z; length fixed 64 B to tcp://127.0.0.1:8080',
    );
    assert.equal(
      formatComparisonTable(r.comparison, ASCII_BORDERS),
      [
        '+----------------+--------+----------+--------+----------+-------+',
        '|       scenario | figure | baseline |    new | new/base |  gate |',
        '+----------------+--------+----------+--------+----------+-------+',
        '| c1-p1-closed * | p99 us |    80.00 |  80.00 |    1.000 |    ok |',
        '|                |  msg/s |   50,000 | 40,000 |    0.800 | WORSE |',
        '|   c2-p1-closed | p99 us |    80.00 |  100.0 |    1.250 | WORSE |',
        '|                |  msg/s |   90,000 | 90,000 |    1.000 |    ok |',
        '+----------------+--------+----------+--------+----------+-------+',
      ].join('\n'),
    );
    assert.equal(
      formatComparisonNotes(r.comparison, plain),
      [
        '* c1-p1-closed was interrupted in NEW (partial): its figures there cover a shorter window',
        'regression: NEW is worse than BASELINE by more than 10% at c1-p1-closed throughput -20.0%, c2-p1-closed p99 +25.0%',
      ].join('\n'),
    );
    const fine = compareRuns(base, base, ['p50'], 10);
    assert.ok(fine.ok);
    assert.equal(formatComparisonNotes(fine.comparison, plain), 'no regression beyond 10% at p50 (2 scenarios)');
  });
});

describe('benchmark compare, on files from real runs', () => {
  let dir = '';
  const file = (name: string) => join(dir, name);
  /** A copy of `from` as `to`, changed by `change`. */
  const doctor = (from: string, to: string, change: (r: BenchmarkReport) => void) => {
    const r = JSON.parse(readFileSync(file(from), 'utf8')) as BenchmarkReport;
    change(r);
    writeFileSync(file(to), JSON.stringify(r));
    return file(to);
  };

  before(async () => {
    dir = tempDir();
    for (const name of ['a.json', 'b.json']) {
      const r = await runBin('benchmark', ['--spawn-server', '-c', '1,2', '-d', '0.3', '-w', '0', '--json']);
      assert.equal(r.code, 0, r.stderr);
      writeFileSync(file(name), r.stdout);
    }
  });

  it('two runs, no worse: both contexts, both scenarios, exit 0', async () => {
    // b's own context with a's figures: the verdict cannot hang on how noisy the machine was between the two runs.
    const a = JSON.parse(readFileSync(file('a.json'), 'utf8')) as BenchmarkReport;
    const same = doctor('b.json', 'b-same.json', (r) => {
      r.scenarios = r.scenarios.map((s, i) => ({ ...s, latencyUs: a.scenarios[i].latencyUs, throughputPerSec: a.scenarios[i].throughputPerSec }));
    });
    const r = await runBin('benchmark', ['compare', file('a.json'), same, '--max-regression', '1000']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, new RegExp(`^baseline  ${file('a.json')}: benchmark \\d+\\.\\d+\\.\\d+, commit [0-9a-f]{12}\\+?, node v\\d+`, 'm'));
    assert.match(r.stdout, new RegExp(`^new       ${same}: `, 'm'));
    assert.ok(a.meta.startedAt !== (JSON.parse(readFileSync(same, 'utf8')) as BenchmarkReport).meta.startedAt, 'two runs, two contexts');
    assert.match(r.stdout, /c1-p1-closed .* p50 us /);
    assert.match(r.stdout, /c2-p1-closed .* p50 us /);
    assert.match(r.stdout, /no regression beyond 1000% at p50, p99, p99\.9, throughput \(2 scenarios\)$/m);
  });

  it("NEW's p99 tripled: exit 1, the verdict names p99 in each scenario and nothing else", async () => {
    const tripled = doctor('b.json', 'b-p99x3.json', (r) => {
      for (const s of r.scenarios) if (s.latencyUs !== null) s.latencyUs.p99 *= 3;
    });
    const r = await runBin('benchmark', ['compare', file('b.json'), tripled]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^regression: NEW is worse than BASELINE by more than 10% at c1-p1-closed p99 \+200\.0%, c2-p1-closed p99 \+200\.0%$/m);
    const j = await runBin('benchmark', ['compare', file('b.json'), tripled, '--json']);
    assert.equal(j.code, 1);
    const out = JSON.parse(j.stdout);
    assert.equal(out.ok, false);
    assert.equal(out.baseline.file, file('b.json'));
    assert.equal(out.new.meta.startedAt, out.baseline.meta.startedAt);
    assert.deepEqual(out.regressions, [
      { scenario: 'c1-p1-closed', figure: 'p99', worsePct: 200 },
      { scenario: 'c2-p1-closed', figure: 'p99', worsePct: 200 },
    ]);
    // Not gated at p99: nothing worse.
    const at = await runBin('benchmark', ['compare', file('b.json'), tripled, '--at', 'p50,throughput']);
    assert.equal(at.code, 0, at.stdout);
  });

  /** Exit 2, one line on stderr that matches `message`, nothing on stdout. */
  const refused = async (args: string[], message: RegExp) => {
    const r = await runBin('benchmark', ['compare', ...args]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr.trimEnd(), message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  };

  it("no scenario in common: exit 2 with one line naming both runs' scenarios", async () => {
    const other = doctor('b.json', 'b-c4.json', (r) => {
      for (const s of r.scenarios) s.connections *= 4;
    });
    await refused([file('a.json'), other], /^benchmark compare: error: no scenario matches: BASELINE ran c1-p1-closed, c2-p1-closed; NEW ran c4-p1-closed, c8-p1-closed$/);
  });

  it('files that are not benchmark reports, and bad options: exit 2 with one line', async () => {
    writeFileSync(file('bad.json'), '{"scenarios": [\n');
    await refused([file('a.json'), file('bad.json')], /^benchmark compare: error: .*bad\.json: not JSON \(/);
    const schema = doctor('a.json', 'schema.json', (r) => {
      (r.meta as { schema: number }).schema = 99;
    });
    await refused([schema, file('a.json')], /schema\.json: report schema 99, this version reads schema \d+$/);
    await refused([file('a.json'), file('missing.json')], /missing\.json: ENOENT/);
    await refused([file('a.json'), file('b.json'), '--at', 'p98'], /--at/);
    await refused([file('a.json'), file('b.json'), '--max-regression', '-5'], /--max-regression/);
    await refused([file('a.json')], /a\.json: one file is a saved benchmark ab --json \(its rounds compared again\); to compare runs give BASELINE NEW, or --base FILES --new FILES$/);
    await refused([], /missing the runs: BASELINE NEW, --base FILES --new FILES, or one saved benchmark ab --json$/);
    await refused(['--base', file('a.json'), file('b.json')], /--base and --new go together: --new is missing$/);
    await refused([file('a.json'), '--base', file('a.json'), '--new', file('b.json')], /either as BASELINE NEW or with --base and --new, not both/);
  });

  /**
   * Four copies of a.json a side, each figure scaled by `scale(i)` (the
   * latency figures) for copy i; throughput left alone. Runs start a minute
   * apart, alternating sides, as rounds would.
   */
  const side = (name: string, scale: (i: number) => number, offset: number) =>
    [0, 1, 2, 3].map((i) =>
      doctor('a.json', `${name}${i}.json`, (r) => {
        r.meta.startedAt = `2026-12-05T10:${String(2 * i + offset).padStart(2, '0')}:00.000Z`;
        for (const s of r.scenarios) {
          const l = s.latencyUs;
          if (l !== null) for (const k of ['p50', 'p99', 'p99_9'] as const) l[k] *= scale(i);
        }
      }),
    );

  it('several runs a side, NEW 50% slower: each ratio with its interval, the verdict in words, exit 1', async () => {
    const base = side('base', (i) => 1 + 0.02 * i, 0);
    const slow = side('slow', (i) => 1.5 * (1 + 0.02 * (3 - i)), 1);
    const r = await runBin('benchmark', ['compare', '--base', ...base, '--new', ...slow, '--at', 'p50,p99']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^base 1    ${base[0]}: `, 'm'));
    assert.match(r.stdout, /^4 runs of BASELINE, 4 of NEW; 95% intervals \(97\.1% exactly\): Hodges-Lehmann/m);
    assert.match(r.stdout, /^c1-p1-closed: NEW slower at p50 by 50% \[4\d%, 5\d%\]$/m);
    assert.match(r.stdout, /^regression: NEW is worse than BASELINE by more than 10% over the whole interval at c1-p1-closed p50 \+50%/m);
    const j = JSON.parse((await runBin('benchmark', ['compare', '--base', ...base, '--new', ...slow, '--json'])).stdout);
    assert.equal(j.ok, false);
    assert.equal(j.baseline.length, 4);
    assert.deepEqual(j.runs, { a: 4, b: 4 });
    const p50 = j.scenarios[0].figures[0];
    assert.equal(p50.verdict, 'slower');
    assert.ok(p50.estimate.low > 1.4 && p50.estimate.high < 1.6, JSON.stringify(p50.estimate));
  });

  it('several runs a side, alike: no difference beyond noise, exit 0; one run a side says the noise is unknown', async () => {
    const base = side('base', (i) => 1 + 0.02 * i, 0);
    const alike = side('alike', (i) => 1.01 + 0.02 * (3 - i), 1);
    const r = await runBin('benchmark', ['compare', '--base', ...base, '--new', ...alike]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /no difference at p50 beyond noise \(1\.0\d\d \[0\.9\d\d, 1\.\d\d\d\]\)/);
    const one = await runBin('benchmark', ['compare', '--base', base[0], '--new', alike[0]]);
    assert.equal(one.code, 0, one.stdout + one.stderr);
    assert.match(one.stdout, /^noise unknown: one run a side/m);
    const three = await runBin('benchmark', ['compare', '--base', ...base.slice(0, 3), '--new', ...alike.slice(0, 3)]);
    assert.match(three.stdout, /^too few runs for a 95% interval: 3 and 3; 4 a side are the fewest/m);
  });
});
