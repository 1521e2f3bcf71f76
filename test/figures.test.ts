/**
 * Figures that add up. The server's GC summary: its kinds sum to its total
 * in the text summary, the JSON summary and the kinds /metrics labels, with
 * a server run under V8's --stress-incremental-marking, which makes the
 * kinds beyond minor and major (incremental marking) happen for sure.
 * `benchmark compare` on client runs. `benchmark merge`'s interval rows:
 * each says the time it covers, and a run's end cut short says so.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { GC_KINDS } from '../src/stats/gc.js';
import { createHistogram, initHistograms } from '../src/stats/histogram.js';
import { HlogFile } from '../src/stats/hlog.js';
import { http } from './admin-helpers.js';
import { BIN, WAIT_MS, runBin, startServer, tempDir, withDeadline } from './helpers.js';

/** A small young generation (many scavenges), and V8's flag that runs incremental marking early and often. */
const STRESS_FLAGS = '--max-semi-space-size=2 --min-semi-space-size=2 --stress-incremental-marking';
const stressEnv = { ...process.env, RESPUESTA_NODE_FLAGS: STRESS_FLAGS };
const hasStressFlag = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout.includes('--stress-incremental-marking');
const skip = hasStressFlag ? false : "this Node's V8 has no --stress-incremental-marking";

/** The kinds' counts in a summary's gc object, added. */
const sumOfKinds = (gc: Record<string, number>) => GC_KINDS.reduce((n, k) => n + gc[k], 0);

describe('the server GC summary: the kinds add up to the total', { skip }, () => {
  it('--json: every kind counted, incremental marking among them; /metrics labels the same kinds', async (t) => {
    const server = await startServer(['--port', '0', '--admin', '127.0.0.1:0'], { env: stressEnv });
    t.after(() => server.stop('SIGKILL'));
    const client = await runBin('client', ['--port', String(server.port), '--count', '2000', '--warmup', '0']);
    assert.equal(client.code, 0, client.stderr);
    const metrics = (await http(`${server.admin!.url}/metrics`)).body;
    const labelled = [...metrics.matchAll(/^respuesta_gc_pause_seconds_count\{kind="([a-z]+)"\}/gm)].map((m) => m[1]);
    const { summary } = await server.stop('SIGTERM');
    const gc = summary!.gc as Record<string, number>;
    assert.ok(gc.incremental > 0, JSON.stringify(gc));
    assert.equal(sumOfKinds(gc), gc.count, JSON.stringify(gc));
    assert.deepEqual(
      Object.keys(gc).filter((k) => (GC_KINDS as readonly string[]).includes(k)),
      labelled,
    );
  });

  it('text: the kinds in the summary line add up to its GC total', async (t) => {
    const p = spawn(BIN('server'), ['--port', '0'], { env: stressEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => p.kill('SIGKILL'));
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = once(p, 'exit');
    await withDeadline(new Promise<void>((resolve) => p.stdout.on('data', () => /^ready: /m.test(out) && resolve())), 'the ready line');
    const port = /^ready: tcp:\/\/127\.0\.0\.1:(\d+)/m.exec(out)![1];
    const client = await runBin('client', ['--port', port, '--count', '2000', '--warmup', '0']);
    assert.equal(client.code, 0, client.stderr);
    p.kill('SIGTERM');
    await withDeadline(exited, 'the server to exit', WAIT_MS);
    const m = /^summary: .*, GC (\d+) \(([^;)]*);/m.exec(out);
    assert.ok(m !== null, out);
    const kinds = [...m[2].matchAll(/(\d+) ([a-z ]+)/g)].map((k) => [k[2], Number(k[1])] as const);
    assert.deepEqual(
      kinds.map(([name]) => name),
      ['minor', 'major', 'incremental marking', ...kinds.slice(3).map(([name]) => name)],
    );
    assert.equal(
      kinds.reduce((n, [, c]) => n + c, 0),
      Number(m[1]),
      m[0],
    );
  });
});

describe('benchmark compare: client runs', () => {
  let dir: string;
  let port: number;

  before(async () => {
    dir = tempDir();
    const server = await startServer(['--port', '0']);
    port = server.port!;
    for (const name of ['a', 'b']) {
      const r = await runBin('client', ['--port', String(port), '--count', '300', '--warmup', '0', '--json']);
      assert.equal(r.code, 0, r.stderr);
      writeFileSync(join(dir, `${name}.json`), r.stdout);
    }
    const bench = await runBin('benchmark', ['--port', String(port), '--connections', '1', '--duration', '0.2', '--warmup', '0', '--json']);
    writeFileSync(join(dir, 'bench.json'), bench.stdout);
    await server.stop();
  });

  it('two client runs: one scenario, rtt, its figures from each file', async () => {
    // A gate no noise can trip: this test is about reading the runs, not judging them.
    const r = await runBin('benchmark', ['compare', join(dir, 'a.json'), join(dir, 'b.json'), '--max-regression', '1000000', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout);
    assert.equal(c.baseline.meta.tool, 'client');
    assert.deepEqual(
      c.scenarios.map((s: { scenario: string; connections: number; pipeline: number }) => [s.scenario, s.connections, s.pipeline]),
      [['rtt', 1, 1]],
    );
    const a = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'));
    const p99 = c.scenarios[0].figures.find((f: { figure: string }) => f.figure === 'p99');
    assert.equal(p99.baseline, a.latencyUs.p99);
    const text = await runBin('benchmark', ['compare', join(dir, 'a.json'), join(dir, 'b.json'), '--max-regression', '1000000']);
    assert.match(text.stdout, /^baseline {2}.*a\.json: client /m);
    assert.match(text.stdout, /│ +rtt │ +p50 us │/);
  });

  it('a client run against a benchmark run: no scenario in common, said in one line, exit 2', async () => {
    const r = await runBin('benchmark', ['compare', join(dir, 'a.json'), join(dir, 'bench.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^benchmark compare: error: no scenario matches: BASELINE ran rtt; NEW ran c1-p1-closed\n$/);
  });

  it('a client run that measured nothing is refused with its error', async () => {
    const failed = join(dir, 'failed.json');
    writeFileSync(failed, (await runBin('client', ['--port', String(port), '--json'])).stdout);
    const r = await runBin('benchmark', ['compare', failed, join(dir, 'a.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /failed\.json: a run that measured nothing: cannot connect/);
  });
});

describe('benchmark merge: what each interval row is', () => {
  before(() => initHistograms());

  it("each row gives the time it covers; the run's last interval, cut short, says so, its msg/s over its own length", async () => {
    const file = join(tempDir(), 'run.hlog');
    const start = 1_700_000_000_000;
    const log = new HlogFile(file, start);
    const h = createHistogram();
    // Three whole seconds of 40,000 messages, then the 5 ms left when the run stopped: 201 messages.
    for (const [from, to, n] of [
      [0, 1000, 40_000],
      [1000, 2000, 40_000],
      [2000, 3000, 40_000],
      [3000, 3005, 201],
    ]) {
      h.reset();
      for (let i = 0; i < n; i++) h.recordValue(50_000);
      log.write('c10-p1-closed', start + from, start + to, h);
    }
    h.destroy();
    log.close();
    const r = await runBin('benchmark', ['merge', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {2}intervals: start from the first, time covered, messages, msg\/s over that time/m);
    assert.match(r.stdout, /^ +start +length +messages +msg\/s +p50 +p99 +max +logs$/m);
    assert.match(r.stdout, /^ +\+0 s +1 s +40,000 +40,000 .* 1$/m);
    assert.match(r.stdout, /^ +\+3 s +0\.005 s +201 +40,200 .* 1 {2}the end of the run: its last interval, cut short$/m);
    assert.equal(r.stdout.match(/cut short/g)?.length, 1);
    const json = JSON.parse((await runBin('benchmark', ['merge', file, '--json'])).stdout);
    assert.deepEqual(
      json.tags[0].intervals.map((iv: { lengthS: number }) => iv.lengthS),
      [1, 1, 1, 0.005],
    );
  });
});
