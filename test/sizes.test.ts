/**
 * Size sweeps (`--size 64,1024`) through the real programs: the benchmark
 * and the client against an echo peer on a real socket that records the
 * size of every request it answers, so that each scenario or block is seen
 * to send its own size on its own connections; the tags in --hlog read back
 * by hdr-histogram-js's own reader; the JSON each writes, read back by the
 * saved-results commands (report, compare, merge).
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, describe, it } from 'node:test';
import { createLengthDecoder, lengthFrame } from '../src/protocol/length.js';
import { listenRaw, runBin, tempDir, usageErrorTests } from './helpers.js';
import { readIntervals } from './hlog-helpers.js';
import { type DrawnChart, chromiumPath, drawnCharts } from './report-browser.js';

/** Connections in the order accepted, each with the payload sizes of the requests it echoed. */
type Seen = number[][];

/**
 * A length-framing echo peer: each request answered with itself, its size
 * recorded under its connection. The project's decoder finds the frames,
 * as the server's does.
 */
async function echoPeer(t: TestContext): Promise<{ port: number; seen: Seen }> {
  const seen: Seen = [];
  const { port } = await listenRaw(t, (s) => {
    const sizes: number[] = [];
    seen.push(sizes);
    const decoder = createLengthDecoder(
      {
        onMessage(buf, start, end) {
          sizes.push(end - start);
          s.write(lengthFrame(buf.subarray(start, end)));
        },
      },
      1 << 20,
    );
    s.on('data', (chunk: Buffer) => decoder.push(chunk, 0, chunk.length));
    s.on('error', () => {});
  });
  return { port, seen };
}

/** The one size each connection sent, in the order the connections were made. */
function sizeOfEach(seen: Seen): number[] {
  return seen.map((sizes) => {
    assert.ok(sizes.length > 0, 'every connection sent');
    assert.equal(new Set(sizes).size, 1, `one size per connection: ${[...new Set(sizes)]}`);
    return sizes[0];
  });
}

const RUN = ['--mode', 'echo', '--warmup', '0.1', '--duration', '0.3', '--ascii'];

/** The runs' files, written by the tests that make them and read by the later ones (a file's tests run in order). */
const dir = tempDir();

describe('benchmark --size with a list', () => {
  it('one scenario per size, size innermost: each on its own connections, its row, tag and JSON naming its size', async (t) => {
    const peer = await echoPeer(t);
    const hlog = join(dir, 'bench.hlog');
    const text = await runBin('benchmark', ['--port', String(peer.port), ...RUN, '-c', '1,2', '--size', '64,1024', '--hlog', hlog]);
    assert.equal(text.code, 0, text.stderr);
    // c1 at 64 B, c1 at 1024 B, then c2 (two connections) at each.
    assert.deepEqual(sizeOfEach(peer.seen), [64, 1024, 64, 64, 1024, 1024]);
    assert.match(text.stdout, /sizes 64, 1,024 B, a scenario each/);
    const rows = text.stdout.split('\n').filter((l) => /^\| \d /.test(l));
    assert.deepEqual(
      rows.map((l) => l.split('|').map((c) => c.trim())[5]),
      ['64', '1,024', '64', '1,024'],
      'the bytes column, after the rate',
    );
    assert.match(text.stdout, /\| bytes \|/);
    const tags = ['c1-p1-closed-64B', 'c1-p1-closed-1024B', 'c2-p1-closed-64B', 'c2-p1-closed-1024B'];
    for (const tag of tags) assert.ok(readIntervals(hlog, tag).reduce((a, b) => a + b, 0) > 0, `${tag} in the log`);
    assert.deepEqual(readIntervals(hlog, 'c1-p1-closed'), [], 'no tag without its size');

    const json = await runBin('benchmark', ['--port', String(peer.port), ...RUN, '-c', '1', '--size', '64,1024', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.size, null, 'several sizes: no one size for the run');
    assert.deepEqual(report.options.sizes, [64, 1024]);
    assert.deepEqual(
      report.scenarios.map((s: { size: number; messages: number }) => [s.size, s.messages > 0]),
      [
        [64, true],
        [1024, true],
      ],
    );
    assert.deepEqual(
      report.options.scenarios.map((s: { size: number }) => s.size),
      [64, 1024],
    );
    writeFileSync(join(dir, 'sizes.json'), json.stdout);
  });

  it('one size: the run, its tags and its JSON as before', async (t) => {
    const peer = await echoPeer(t);
    const hlog = join(dir, 'one.hlog');
    const r = await runBin('benchmark', ['--port', String(peer.port), ...RUN, '-c', '1', '--size', '1024', '--hlog', hlog, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(sizeOfEach(peer.seen), [1024]);
    const report = JSON.parse(r.stdout);
    assert.equal(report.size, 1024);
    assert.equal(report.scenarios[0].size, 1024);
    assert.ok(readIntervals(hlog, 'c1-p1-closed').length > 0);
    writeFileSync(join(dir, 'one.json'), r.stdout);
  });
});

describe('client --size with a list', () => {
  it('one block per size: its own connection, warm-up and measurement; text, JSON, --hlog and --hgrm per size', async (t) => {
    const peer = await echoPeer(t);
    const hlog = join(dir, 'rtt.hlog');
    const hgrm = join(dir, 'rtt.hgrm');
    const base = ['--port', String(peer.port), '--mode', 'echo', '--count', '300', '--warmup', '50', '--size', '64,1024'];
    const text = await runBin('client', [...base, '--hlog', hlog, '--hgrm', hgrm]);
    assert.equal(text.code, 0, text.stderr);
    assert.deepEqual(sizeOfEach(peer.seen), [64, 1024]);
    assert.deepEqual(
      peer.seen.map((s) => s.length),
      [350, 350],
      'each size warmed up and measured in full',
    );
    const heads = text.stdout.split('\n').filter((l) => l.startsWith('tcp://'));
    assert.equal(heads.length, 2, text.stdout);
    assert.match(heads[0], /size 64 B/);
    assert.match(heads[1], /size 1024 B/);
    assert.equal(text.stdout.match(/^result {7}ok\b/gm)?.length, 2, 'a verdict per block');
    for (const tag of ['rtt-64B', 'rtt-1024B'])
      assert.equal(
        readIntervals(hlog, tag).reduce((a, b) => a + b, 0),
        300,
        tag,
      );
    assert.deepEqual(readIntervals(hlog, 'rtt'), []);
    assert.ok(existsSync(join(dir, 'rtt-64B.hgrm')) && existsSync(join(dir, 'rtt-1024B.hgrm')), '--hgrm: a file per size');

    const json = await runBin('client', [...base, '--json', '--report', join(dir, 'client-sizes.html')]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.deepEqual(report.sizes, [64, 1024]);
    assert.equal(report.ok, true);
    assert.equal(report.error, null);
    assert.deepEqual(
      report.blocks.map((b: { size: number; options: { size: number }; received: number; latencyUs: unknown }) => [b.size, b.options.size, b.received, b.latencyUs !== null]),
      [
        [64, 64, 350, true],
        [1024, 1024, 350, true],
      ],
    );
    writeFileSync(join(dir, 'client-sizes.json'), json.stdout);
  });

  it('one size: the JSON is the one report, as before', async (t) => {
    const peer = await echoPeer(t);
    const r = await runBin('client', ['--port', String(peer.port), '--mode', 'echo', '--count', '100', '--warmup', '10', '--size', '200', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.size, 200);
    assert.equal(report.blocks, undefined);
    assert.equal(report.received, 110);
  });
});

describe('bad --size lists exit 2 with one line', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--size', '64,x'], /--size.*expected a comma-separated list of integers from 0/],
    [['--size', '64,1k'], /--size.*expected a comma-separated list/],
    [['--size', '64,,1024'], /--size.*expected a comma-separated list/],
    [['--size', '64,64'], /--size.*64 is listed twice/],
    [['--framing', 'sockperf', '--size', '64,13'], /--size must be at least 14 with --framing sockperf \(the header\); 13 is not/],
    [['--size', '64,2000', '--max-frame', '1000'], /--size must be at most --max-frame \(1000\); 2000 is not/],
  ];
  usageErrorTests('benchmark', cases);
  usageErrorTests('client', cases);
});

describe('kept runs of several sizes: report, compare, merge', () => {
  it('compare pairs scenarios by size too: 64 B is never compared with 1024 B', async () => {
    const sizes = join(dir, 'sizes.json');
    const one = join(dir, 'one.json');
    const self = await runBin('benchmark', ['compare', sizes, sizes, '--json']);
    assert.equal(self.code, 0, self.stderr);
    assert.deepEqual(
      JSON.parse(self.stdout).scenarios.map((s: { scenario: string; size: number }) => [s.scenario, s.size]),
      [
        ['c1-p1-closed-64B', 64],
        ['c1-p1-closed-1024B', 1024],
      ],
    );
    // A run of one size, 1024 B, against the sweep: only the sweep's 1024 B scenario is its match.
    const r = await runBin('benchmark', ['compare', sizes, one, '--json', '--max-regression', '100000']);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout);
    assert.deepEqual(
      c.scenarios.map((s: { scenario: string }) => s.scenario),
      ['c1-p1-closed-1024B'],
    );
    assert.deepEqual(c.unmatched, { baseline: ['c1-p1-closed-64B'], new: [] });
    assert.deepEqual(c.differences, [], 'the size is a key here, not a difference');
    const text = await runBin('benchmark', ['compare', sizes, one, '--ascii', '--max-regression', '100000']);
    assert.match(text.stdout, /length echo 64,1024 B to/);
    assert.match(text.stdout, /length echo 1024 B to/);
  });

  it("compare reads a client's run of sizes: rtt at each size", async () => {
    const file = join(dir, 'client-sizes.json');
    const r = await runBin('benchmark', ['compare', file, file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).scenarios.map((s: { scenario: string }) => s.scenario),
      ['rtt-64B', 'rtt-1024B'],
    );
  });

  it('merge keeps each size apart: a tag per scenario and size', async () => {
    const r = await runBin('benchmark', ['merge', join(dir, 'bench.hlog'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout)
        .tags.map((t: { tag: string }) => t.tag)
        .sort(),
      ['c1-p1-closed-1024B', 'c1-p1-closed-64B', 'c2-p1-closed-1024B', 'c2-p1-closed-64B'],
    );
  });
});

describe('the page overlays the sizes, in Chromium', () => {
  const browser = chromiumPath();

  /** The chart of every scenario on `page`, as uPlot drew it, with no error from the page; its latency series only. */
  async function everyScenario(page: string): Promise<DrawnChart> {
    if ('skip' in browser) throw new Error(browser.skip);
    const { charts, problems } = await drawnCharts(browser.path, page);
    assert.deepEqual(problems, []);
    // The overlay of every scenario comes first, its title naming no scenario (each scenario's own chart does).
    const every = charts.find((c) => c.kind === 'spectrum' && c.title === 'corrected latency (us) by percentile');
    assert.ok(every !== undefined, `a chart of every scenario: ${charts.map((c) => c.title).join('; ')}`);
    // The latency target is drawn as a series of its own: not a size.
    const series = every.series.filter((s) => !/^target\b/.test(s.label));
    for (const s of series)
      assert.ok(
        s.values.some((v) => v !== null && v > 0),
        `${s.label} is drawn`,
      );
    return { ...every, series };
  }

  it("the client's page of two sizes: one series per size, named by it", async (t) => {
    if ('skip' in browser) return t.skip(browser.skip);
    const every = await everyScenario(join(dir, 'client-sizes.html'));
    assert.deepEqual(
      every.series.map((s) => s.label),
      ['rtt-64B', 'rtt-1024B'],
    );
  });

  it('benchmark report of a run of two sizes: one series per size, named by it', async (t) => {
    if ('skip' in browser) return t.skip(browser.skip);
    const page = join(dir, 'sizes.html');
    const r = await runBin('benchmark', ['report', join(dir, 'sizes.json'), '--html', page]);
    assert.equal(r.code, 0, r.stderr);
    const every = await everyScenario(page);
    assert.deepEqual(
      every.series.map((s) => s.label),
      ['c1-p1-closed-64B', 'c1-p1-closed-1024B'],
    );
  });
});
