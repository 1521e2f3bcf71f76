/**
 * `benchmark merge` through the real programs: two benchmark processes at
 * once against one server, each with --hlog, merged; checked against one
 * histogram holding every interval of both logs, read by hdr-histogram-js's
 * own HistogramLogReader (not our parser).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as hdr from 'hdr-histogram-js';
import { createHistogram, decodeHistogram, initHistograms, summarize } from '../src/stats/histogram.js';
import { type RunningServer, runBin, startServer, tempDir } from './helpers.js';

/**
 * Every interval of `tag` in `logs`, added into one histogram by
 * HistogramLogReader's decoding. The WebAssembly build, as the report's:
 * the JavaScript build gives a decoded histogram's maximum as the bottom of
 * its bucket, the WebAssembly build (and Java) as the top.
 */
function oneHistogram(logs: readonly string[], tag: string): hdr.Histogram {
  const all = createHistogram();
  for (const log of logs) {
    const reader = new hdr.HistogramLogReader(readFileSync(log, 'utf8'), 32, true);
    for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
      if (h.tag === tag) all.add(h);
      h.destroy();
    }
  }
  return all;
}

describe('benchmark merge', () => {
  let server: RunningServer;
  let dir: string;
  const logs: string[] = [];
  const messages: number[] = [];
  const TAG = 'c2-p1-closed';

  before(async () => {
    await initHistograms();
    server = await startServer(['--port', '0']);
    dir = tempDir();
    // Two load generators at the same time, as two machines would run them.
    const runs = await Promise.all(
      ['a', 'b'].map((name) => {
        const log = join(dir, `${name}.hlog`);
        logs.push(log);
        return runBin('benchmark', ['--port', String(server.port), '-c', '2', '--warmup', '0.1', '--duration', '1.5', '--interval', '0.25', '--hlog', log, '--json']);
      }),
    );
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      messages.push(report.scenarios[0].messages);
    }
    writeFileSync(join(dir, 'a.json'), runs[0].stdout);
  });
  after(async () => {
    await server.stop();
  });

  it('--json: the total is the sum of both runs, its percentiles those of one histogram of both logs', async () => {
    const r = await runBin('benchmark', ['merge', ...logs, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, true);
    // Each log's interval is its most frequent length: 0.25 s, or a few ms more when the machine is loaded and every tick is late.
    assert.ok(out.intervalS >= 0.25 && out.intervalS < 0.25 * 1.05, `merged intervals of ${out.intervalS} s`);
    assert.deepEqual(
      out.tags.map((t: { tag: string }) => t.tag),
      [TAG],
    );
    const [t] = out.tags;
    assert.equal(t.partial, false);
    assert.equal(t.messages, messages[0] + messages[1]);
    assert.deepEqual(
      t.perLog.map((p: { messages: number }) => p.messages),
      messages,
    );
    assert.equal(
      t.intervals.reduce((n: number, iv: { messages: number }) => n + iv.messages, 0),
      t.messages,
      'the intervals add up to the total',
    );
    assert.ok(
      t.intervals.some((iv: { logs: number }) => iv.logs === 2),
      `the two runs overlap in time: ${JSON.stringify(t.intervals)}`,
    );

    const all = oneHistogram(logs, TAG);
    assert.equal(all.totalCount, t.messages);
    const want = summarize(all)!;
    for (const k of ['min', 'p50', 'p90', 'p99', 'p99_9', 'p99_99', 'max'] as const) assert.equal(t.latencyUs[k], want[k], k);
    // The merged histogram itself, read back.
    const back = decodeHistogram(t.histogram);
    assert.equal(back.totalCount, all.totalCount);
    for (const p of [50, 99, 99.9, 100]) assert.equal(back.getValueAtPercentile(p), all.getValueAtPercentile(p), `p${p}`);
    assert.equal(back.maxValue, all.maxValue);
    back.destroy();
    all.destroy();
  });

  it('text: per tag the total with each log beside it, a line per interval', async () => {
    const r = await runBin('benchmark', ['merge', ...logs]);
    assert.equal(r.code, 0, r.stderr);
    const total = (messages[0] + messages[1]).toLocaleString('en-US');
    assert.match(r.stdout, /^merged {6}2 logs, 0\.2[5-6]\d* s intervals/);
    assert.ok(r.stdout.includes(`\n${TAG}\n  messages  ${total}  (${logs[0]} ${messages[0].toLocaleString('en-US')}, ${logs[1]} ${messages[1].toLocaleString('en-US')})\n`), r.stdout);
    assert.match(r.stdout, /\n {2}latency {3}p50 [\d.]+ {2}p90 [\d.]+ {2}p99 [\d.]+ {2}p99\.9 [\d.]+ {2}p99\.99 [\d.]+ {2}max [\d.]+\n/);
    assert.ok((r.stdout.match(/^ +\+\d+\.\d+ s +[\d.]+ s +[\d,]+ +[\d,]+ +[\d.]+ +[\d.]+ +[\d.]+ +[12]( {2}.+)?$/gm) ?? []).length >= 4, r.stdout);
  });

  it('--html: the merged load and each generator in one page, the merged total in its summary', async () => {
    const page = join(dir, 'merged.html');
    const r = await runBin('benchmark', ['merge', ...logs, '--html', page]);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(page, 'utf8');
    // Three runs (merged, a, b), one tag: one spectrum overlaying them, and a timeline each.
    for (const label of ['merged', 'a', 'b']) assert.match(html, new RegExp(`<span>${label}</span>`));
    assert.equal(html.match(/class="chart spectrum"/g)?.length, 1);
    assert.equal(html.match(/class="chart timeline"/g)?.length, 3);
    const total = (messages[0] + messages[1]).toLocaleString('en-US');
    assert.ok(html.includes(`<td>merged</td><td>${TAG}</td><td class="num">${total}</td>`), 'the merged row counts both runs');
  });

  it('a file that is not an interval log: exit 2, one line naming it', async () => {
    const notLog = join(dir, 'a.json');
    const r = await runBin('benchmark', ['merge', logs[0], notLog]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^benchmark merge: .*a\.json: not an HdrHistogram interval log \(line 1: \{"/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);

    const json = await runBin('benchmark', ['merge', notLog, '--json']);
    assert.equal(json.code, 2);
    assert.equal(JSON.parse(json.stdout).ok, false);
  });

  it('a file that cannot be read, and no file at all: exit 2', async () => {
    const missing = await runBin('benchmark', ['merge', join(dir, 'none.hlog')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^benchmark merge: cannot read .*none\.hlog: ENOENT/);
    const none = await runBin('benchmark', ['merge']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /missing required argument/);
  });
});
