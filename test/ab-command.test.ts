/**
 * `benchmark ab A B` end to end, on real bin/server processes: bad usage
 * (exit 2, one line, nothing run), the rounds in ABBA order kept whole in
 * --json with each side's placement, two instances of one server on Unix
 * sockets in text, a slower B found slower with its interval (exit 1), and
 * Ctrl-C comparing the rounds completed. The parts that need no server:
 * ab-rounds.test.ts. Runs are short (-d 0.2): the tests check what ab does
 * with the rounds, not the figures.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, boundPort, listeningPort, onTeardown, runBin, tempDir, textServer, unusedPort, usageErrorTests, waitUntil } from './helpers.js';

/** Short rounds: a few seconds for four of them. */
const SHORT = ['-c', '1', '-d', '0.2', '-w', '0.1'];

describe('benchmark ab: usage', () => {
  usageErrorTests('benchmark', [
    [['ab'], /^benchmark ab: error: missing required argument 'A'/],
    [['ab', 'tcp://127.0.0.1:1'], /^benchmark ab: error: missing required argument 'B'/],
    [['ab', 'localhost:8080', 'tcp://127.0.0.1:1'], /^benchmark ab: error: endpoint A 'localhost:8080' is not one of tcp:\/\/HOST:PORT .*unix:\/PATH or udp:\/\/HOST:PORT$/m],
    [['ab', '-c', '1', 'tcp://127.0.0.1:1', 'tcp://127.0.0.1:2'], /^benchmark ab: error: endpoint A '-c' is not one of .* \(the endpoints come first/],
    [['ab', 'tcp://127.0.0.1:1', 'unix:/tmp/x', '--port', '9'], /^benchmark ab: error: option --port is not for ab: the endpoints A and B say where to connect\n/],
    [['ab', 'tcp://127.0.0.1:1', 'unix:/tmp/x', '--spawn-server'], /^benchmark ab: error: option --spawn-server is not for ab/],
    [['ab', 'tcp://127.0.0.1:1', 'unix:/tmp/x', '--hlog', 'x.hlog'], /^benchmark ab: error: option --hlog is not for ab/],
    [['ab', 'tcp://127.0.0.1:1', 'unix:/tmp/x', '--interval', '1'], /^benchmark ab: error: option --interval is not for ab/],
    [['ab', 'tcp://127.0.0.1:1', 'unix:/tmp/x', '--rounds', '0'], /^benchmark ab: error: option '--rounds <n>' argument '0' is invalid/],
    [['ab', 'tcp://127.0.0.1:1', 'unix:/tmp/x', '--at', 'p42'], /^benchmark ab: error: option '--at <figures>' argument 'p42' is invalid/],
    // The run's own checks, made once before anything runs: a bad value, and UDP's rule on fixed replies.
    [['ab', 'tcp://127.0.0.1:1', 'unix:/tmp/x', '-c', '0'], /^benchmark ab: error: option '-c, --connections <list>' argument '0' is invalid/],
    [['ab', 'tcp://127.0.0.1:1', 'udp://127.0.0.1:2'], /^benchmark ab: error: option --udp needs --mode echo/],
  ]);
});

/** The parts of ab's --json a test reads. */
interface AbJson {
  warmupRounds: number;
  a: { endpoint: string; placement: { listeners: Array<{ pid: number; cpus: string | null; children: unknown[] }> | null; reason: string | null } };
  b: AbJson['a'];
  client: { cpus: string | null };
  rounds: Array<{ round: number; order: string[]; a: Report; b: Report }>;
  comparison: {
    runs: { a: number; b: number };
    scenarios: Array<{ figures: Array<{ figure: string; verdict: string; worsePct: { low: number; high: number } }> }>;
    regressions: unknown[];
  } | null;
  interrupted: string | null;
  ok: boolean;
}
interface Report {
  address: string;
  ok: boolean;
  scenarios: Array<{ messages: number; histograms?: { latency: string } }>;
}

describe('benchmark ab: runs', () => {
  it('two instances of one server over TCP: four rounds in ABBA order, every report kept with its histograms, both placements, exit 0', async (t) => {
    const one = await textServer(t, ['--port', '0']);
    const two = await textServer(t, ['--port', '0']);
    const A = `tcp://127.0.0.1:${await listeningPort(one.proc, 'server A')}`;
    const B = `tcp://127.0.0.1:${await listeningPort(two.proc, 'server B')}`;
    // A gate no noisy minute can reach: at p50 and throughput, two instances of one server are never 4x apart over a whole
    // interval, where a 0.2 s window's p99 and beyond can be (one stall on this shared machine is a 20x spread).
    const r = await runBin('benchmark', ['ab', A, B, '--rounds', '4', ...SHORT, '--at', 'p50,throughput', '--max-regression', '300', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as AbJson;
    assert.deepEqual(
      out.rounds.map((x) => [x.round, x.order.join('')]),
      [
        [1, 'AB'],
        [2, 'BA'],
        [3, 'AB'],
        [4, 'BA'],
      ],
    );
    for (const x of out.rounds) {
      assert.equal(x.a.address, A);
      assert.equal(x.b.address, B);
      for (const rep of [x.a, x.b]) {
        assert.equal(rep.ok, true);
        assert.ok(rep.scenarios[0].messages > 0);
        assert.match(rep.scenarios[0].histograms?.latency ?? '', /^HISTF/);
      }
    }
    assert.equal(out.a.endpoint, A);
    assert.deepEqual(
      out.a.placement.listeners?.map((l) => l.pid),
      [one.proc.pid],
    );
    assert.deepEqual(
      out.b.placement.listeners?.map((l) => l.pid),
      [two.proc.pid],
    );
    assert.ok(out.a.placement.listeners![0].cpus !== null);
    assert.ok(out.client.cpus !== null);
    assert.deepEqual(out.comparison?.runs, { a: 4, b: 4 });
    assert.equal(out.comparison?.scenarios[0].figures.length, 2);
    assert.deepEqual(out.comparison?.regressions, []);
    assert.equal(out.interrupted, null);
    assert.equal(out.ok, true);
    // One warm-up round first (the default), unmeasured.
    const progress = r.stderr.trimEnd().split('\n');
    assert.equal(progress.length, 10, r.stderr);
    assert.equal(progress[0], `warm-up 1/1  A  ${A}  done`);
    assert.equal(progress[4], `round 2/4  B  ${B}  done`);
    assert.equal(out.warmupRounds, 1);

    // Kept, and judged again by benchmark compare: the same comparison, or another at other figures.
    const saved = join(tempDir(), 'ab.json');
    writeFileSync(saved, r.stdout);
    const again = await runBin('benchmark', ['compare', saved, '--at', 'p50,throughput', '--max-regression', '300', '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).comparison, out.comparison);
    const text = await runBin('benchmark', ['compare', saved, '--at', 'p99', '--max-regression', '1000', '--ascii']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^A {7}${A} +listening: pid ${one.proc.pid} `));
    assert.match(text.stdout, /^rounds {2}4, in order AB BA AB BA, after 1 unmeasured$/m);
    assert.match(text.stdout, /no interval lies beyond 1000% worse at p99 \(1 scenario\)/);
    const notAb = await runBin('benchmark', ['compare', join(saved, '..', 'nothing.json')]);
    assert.equal(notAb.code, 2);
    writeFileSync(join(saved, '..', 'round.json'), JSON.stringify(out.rounds[0].a));
    const one1 = await runBin('benchmark', ['compare', join(saved, '..', 'round.json')]);
    assert.equal(one1.code, 2);
    assert.match(one1.stderr, /one file is a saved benchmark ab --json \(its rounds compared again\)/);
  });

  it('over Unix sockets, in text: each side with its listening process, the client, the rounds and their order, then the comparison', async (t) => {
    const dir = tempDir();
    const [pathA, pathB] = [join(dir, 'a.sock'), join(dir, 'b.sock')];
    const one = await textServer(t, ['--unix', pathA]);
    const two = await textServer(t, ['--unix', pathB]);
    const r = await runBin('benchmark', [
      'ab',
      `unix:${pathA}`,
      `unix://${pathB}`,
      '--rounds',
      '4',
      '--warmup-rounds',
      '0',
      ...SHORT,
      '--at',
      'p50,throughput',
      '--max-regression',
      '300',
      '--ascii',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], new RegExp(`^A {7}unix:${pathA} +listening: pid ${one.proc.pid} \\(node, CPUs [\\d,-]+\\)$`));
    assert.match(lines[1], new RegExp(`^B {7}unix://${pathB} +listening: pid ${two.proc.pid} \\(node, CPUs [\\d,-]+\\)$`));
    assert.match(lines[2], /^client {2}CPUs [\d,-]+, the same for every run$/);
    assert.equal(lines[3], 'rounds  4, in order AB BA AB BA');
    assert.match(r.stdout, /\| c1-p1-closed \|\s+p50 us \|/);
    assert.match(r.stdout, /no interval lies beyond 300% worse at p50, throughput/);
  });

  it('B replies 60 KB where A replies 9 bytes (--mode any): slower at p50 with its interval, a regression beyond --max-regression, exit 1; --report draws it', async (t) => {
    const small = await textServer(t, ['--port', '0']);
    const large = await textServer(t, ['--port', '0', '--response', 'x'.repeat(60_000)]);
    const A = `tcp://127.0.0.1:${await listeningPort(small.proc, 'server A')}`;
    const B = `tcp://127.0.0.1:${await listeningPort(large.proc, 'server B')}`;
    const page = join(tempDir(), 'ab.html');
    // Eight in flight: 480 KB a batch against 72 bytes, so B is slower several times over, where at one in flight 60 KB costs
    // it about 15% at p50 here, within reach of a busy machine's noise. Eight rounds: the interval's bound is the 14th of 64
    // differences, so one very slow round of A (8 of them) cannot pull it to 1.1.
    const r = await runBin('benchmark', ['ab', A, B, '--rounds', '8', ...SHORT, '-P', '8', '--mode', 'any', '--at', 'p50', '--max-regression', '10', '--json', '--report', page]);
    assert.equal(r.code, 1, r.stderr + r.stdout.slice(-3000));
    const out = JSON.parse(r.stdout) as AbJson;
    const p50 = out.comparison!.scenarios[0].figures[0];
    assert.equal(p50.figure, 'p50');
    assert.equal(p50.verdict, 'slower');
    assert.ok(p50.worsePct.low > 10 && p50.worsePct.high >= p50.worsePct.low, JSON.stringify(p50));
    assert.equal(out.comparison!.regressions.length, 1);
    assert.equal(out.ok, false);
    const html = readFileSync(page, 'utf8');
    assert.match(html, /B slower at p50 by \d+% \[\d+%, \d+%\]/);
    assert.ok(html.includes(`A ${A}`) && html.includes(`B ${B}`));
  });

  it('over UDP: two echo servers, udp:// endpoints, four rounds, exit 0', async (t) => {
    const servers = [await textServer(t, ['--udp', '0', '--mode', 'echo']), await textServer(t, ['--udp', '0', '--mode', 'echo'])];
    const [A, B] = servers.map((s) => `udp://127.0.0.1:${boundPort(s.proc.pid!, ['/proc/net/udp'])}`);
    const r = await runBin('benchmark', [
      'ab',
      A,
      B,
      '--rounds',
      '4',
      '--warmup-rounds',
      '0',
      ...SHORT,
      '--mode',
      'echo',
      '--size',
      '32',
      '--at',
      'p50,throughput',
      '--max-regression',
      '300',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as AbJson;
    assert.deepEqual(
      out.rounds.map((x) => [x.a.address, x.b.address]),
      [
        [A, B],
        [A, B],
        [A, B],
        [A, B],
      ],
    );
    assert.ok(out.rounds.every((x) => x.a.scenarios[0].messages > 0 && x.b.scenarios[0].messages > 0));
    assert.deepEqual(
      out.b.placement.listeners?.map((l) => l.pid),
      [servers[1].proc.pid],
    );
    assert.deepEqual(out.comparison?.runs, { a: 4, b: 4 });
  });

  it('a --report that cannot be written is found out before the first round: exit 1, one line', async () => {
    const r = await runBin('benchmark', ['ab', 'tcp://127.0.0.1:1', 'tcp://127.0.0.1:2', '--report', join(tempDir(), 'no', 'ab.html')]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^benchmark ab: cannot write --report: .*ENOENT[^\n]*\n$/);
  });

  it('a side that cannot be reached stops the rounds with one line naming it and its round: exit 1', async (t) => {
    const one = await textServer(t, ['--port', '0']);
    const A = `tcp://127.0.0.1:${await listeningPort(one.proc, 'server A')}`;
    const B = `tcp://127.0.0.1:${await unusedPort(t)}`;
    const r = await runBin('benchmark', ['ab', A, B, '--rounds', '4', ...SHORT]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 1), [`warm-up 1/1  A  ${A}  done`]);
    assert.match(lines[1], new RegExp(`^benchmark ab: side B \\(${B}\\) failed in warm-up round 1: scenario 1: cannot connect to ${B}: connect ECONNREFUSED`));
    assert.equal(lines.length, 2);
  });

  it('SIGINT: the side-run in progress stops, the rounds both sides completed are compared, exit 130', async (t) => {
    const one = await textServer(t, ['--port', '0']);
    const A = `tcp://127.0.0.1:${await listeningPort(one.proc, 'server A')}`;
    const p = spawn(BIN('benchmark'), ['ab', A, A, '--rounds', '3', '--warmup-rounds', '0', '-c', '1', '-d', '0.5', '-w', '0.05', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    onTeardown(t, () => p.kill('SIGKILL'));
    const exited = once(p, 'exit');
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    p.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    // Round 1 complete, round 2's first side done: its second is running (or about to).
    await waitUntil(() => err.includes('round 2/3  B'), 'round 2 under way');
    p.kill('SIGINT');
    const [code] = await exited;
    assert.equal(code, 130, err);
    const json = JSON.parse(out) as AbJson;
    assert.deepEqual(
      json.rounds.map((x) => x.round),
      [1],
    );
    assert.equal(json.interrupted, 'SIGINT');
    assert.deepEqual(json.comparison?.runs, { a: 1, b: 1 });
    assert.equal(json.ok, false);
    assert.match(err, /interrupted \(SIGINT\) after 1 complete round of 3\n$/);
  });
});
