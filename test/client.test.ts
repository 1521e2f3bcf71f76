/** bin/client against the real server, a server that closes, one that never answers, and none at all. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningServer, listenRaw, listeningPort, runBin, startServer, tempDir, textServer, unusedPort, usageErrorTests } from './helpers.js';

const LATENCY_KEYS = ['min', 'mean', 'stdev', 'p50', 'p90', 'p99', 'p99_9', 'p99_99', 'max'];

describe('against the real server', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--port', '0', '--unix', join(tempDir(), 'c.sock')]);
  });
  after(async () => {
    await server.stop();
  });

  it('--json prints one object with every field, over TCP', async () => {
    const r = await runBin('client', ['--port', String(server.port), '--count', '500', '--warmup', '50', '--size', '32', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const j = JSON.parse(lines[0]);
    assert.equal(j.transport, 'tcp');
    assert.equal(j.address, `tcp://127.0.0.1:${server.port}`);
    assert.equal(j.framing, 'length');
    assert.equal(j.mode, 'fixed');
    assert.equal(j.size, 32);
    assert.equal(j.sent, 550);
    assert.equal(j.received, 550);
    assert.equal(j.errors, 0);
    assert.equal(j.targetUs, 1000);
    assert.ok(j.underTargetPct >= 0 && j.underTargetPct <= 100);
    assert.ok(j.throughputPerSec > 0);
    for (const k of LATENCY_KEYS) assert.equal(typeof j.latencyUs[k], 'number', k);
    const l = j.latencyUs;
    assert.ok(l.min > 0 && l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p99_9 && l.p99_9 <= l.p99_99 && l.p99_99 <= l.max);
    assert.equal(j.writes, 'direct');
    assert.equal(j.error, null);
    assert.equal(j.partial, false);
    assert.deepEqual(j.warnings, []);
    // The run as it ran, and what it ran on.
    assert.equal(j.options.count, 500);
    assert.equal(j.options.duration, null);
    assert.equal(j.options.rate, null);
    assert.equal(j.options.port, server.port);
    assert.equal(j.meta.schema, 1);
    assert.equal(j.meta.node, process.version);
    assert.match(j.meta.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('prints the text report over the Unix socket and writes an .hgrm file', async () => {
    const hgrm = join(tempDir(), 'rtt.hgrm');
    const r = await runBin('client', ['--unix', server.path!, '--count', '300', '--warmup', '0', '--hgrm', hgrm]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^unix:/);
    assert.match(r.stdout, /sent 300 +received 300 +errors 0 +success 100\.000%/);
    assert.match(r.stdout, /p50 [\d.]+ +p90 [\d.]+ +p99 [\d.]+ +p99\.9 [\d.]+ +p99\.99 [\d.]+/);
    assert.match(r.stdout, /of round trips under 1000 us/);
    assert.match(r.stdout, /msg\/s/);
    // On a loaded machine p99 may pass the default 1 ms target: the verdict then says so (tested below).
    assert.match(r.stdout, /^result +ok(: every reply right; p99 [\d.]+ us over the 1000 us target)?$/m);
    assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour into a pipe');
    const text = readFileSync(hgrm, 'utf8');
    assert.match(text, /Value +Percentile +TotalCount +1\/\(1-Percentile\)/);
    assert.match(text, /#\[Max += +[\d.]+, Total count += +300\]/);
  });

  // No round trip over a socket takes 1 us, and none can take 10 s (the reply timeout is 5 s): whatever this
  // machine's load, the first target is missed at p99 and the second is met.
  it('a p99 over --target-us is named in the result line and the JSON next to "every reply right", exit still 0', async () => {
    const text = await runBin('client', ['--port', String(server.port), '--count', '300', '--warmup', '0', '--target-us', '1']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^result +ok: every reply right; p99 [\d.]+ us over the 1 us target$/m);
    // Open loop (the case): the corrected p99 against the target.
    const json = await runBin('client', ['--port', String(server.port), '--count', '300', '--warmup', '0', '--rate', '2000', '--target-us', '1', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const j = JSON.parse(json.stdout);
    assert.equal(j.errors, 0);
    assert.ok(j.latencyUs.p99 > 1);
    assert.equal(j.p99OverTarget, true);
  });

  it('a p99 under --target-us: the result line says ok and nothing more, the JSON says the target was not missed', async () => {
    const text = await runBin('client', ['--port', String(server.port), '--count', '300', '--warmup', '0', '--target-us', '10000000']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /\nresult +ok\n$/);
    const json = await runBin('client', ['--unix', server.path!, '--count', '300', '--warmup', '0', '--target-us', '10000000', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).p99OverTarget, false);
  });

  it('counts wrong replies as errors and exits 1', async () => {
    const r = await runBin('client', ['--port', String(server.port), '--count', '20', '--warmup', '0', '--mode', 'echo', '--json']);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout);
    assert.equal(j.errors, 20);
    assert.match(r.stderr, /reply 1 was 9 bytes "respuesta"/);
  });

  it('checks the fixed response it is told to expect', async () => {
    const r = await runBin('client', ['--port', String(server.port), '--count', '5', '--warmup', '0', '--response', 'otra']);
    assert.equal(r.code, 1);
    const ok = await runBin('client', ['--port', String(server.port), '--count', '5', '--warmup', '0', '--response', 'respuesta']);
    assert.equal(ok.code, 0);
  });
});

describe('every framing and mode', () => {
  for (const framing of ['length', 'line', 'sockperf']) {
    for (const mode of ['fixed', 'echo']) {
      it(`${framing} ${mode}`, async () => {
        const server = await startServer(['--port', '0', '--framing', framing, '--mode', mode]);
        const r = await runBin('client', ['--port', String(server.port), '--framing', framing, '--mode', mode, '--count', '200', '--warmup', '10', '--json']);
        const { summary } = await server.stop();
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(JSON.parse(r.stdout).received, 210);
        assert.equal(summary?.messages, 210);
      });
    }
  }
});

describe('failures', () => {
  it('a server that is not there: one line, exit 1', async (t) => {
    const port = await unusedPort(t);
    const r = await runBin('client', ['--port', String(port), '--count', '5']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /cannot connect to tcp:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stdout, '', 'nothing half-built on stdout');
  });

  it('a server that closes mid-run: exit 1 with the reason', async (t) => {
    const reply = Buffer.from([0, 0, 0, 9, ...Buffer.from('respuesta')]);
    let n = 0;
    const { port } = await listenRaw(t, (s) => {
      s.on('data', (d) => {
        for (let i = 0; i < d.length; i += 68) if (++n <= 5) s.write(reply);
        if (n >= 5) s.destroy();
      });
    });
    const r = await runBin('client', ['--port', String(port), '--count', '20', '--warmup', '0', '--json']);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout);
    assert.equal(j.received, 5);
    assert.match(j.error, /(server closed the connection|connection lost) after 5 replies/);
    assert.ok(j.errors >= 1);
    assert.equal(j.hint, null, 'right replies came: no hint about framing');
  });

  it('a server that never answers: times out, exit 1', async (t) => {
    const { port } = await listenRaw(t, () => {});
    const r = await runBin('client', ['--port', String(port), '--count', '3', '--timeout-ms', '200', '--json']);
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).error, /no reply within 200 ms/);
  });
});

describe('bad usage exits 2 with one line naming the option', () => {
  usageErrorTests('client', [
    [['--port', 'abc'], /--port/],
    [['--framing', 'http'], /--framing/],
    [['--count', '0'], /--count/],
    [['--framing', 'sockperf', '--size', '10'], /--size/],
    [['--target-us', '-5'], /--target-us/],
    [['--bogus'], /--bogus/],
    [['--cpu', '4095'], /option --cpu: taskset could not pin to CPUs 4095/],
    [['--duration', '0'], /--duration.* expected a number from 0\.001 to 604,800\./],
    [['--rate', '-1'], /--rate/],
    [['--count', '5', '--duration', '1'], /options --count and --duration: give one, not both/],
    [['--mode', 'any', '--framing', 'sockperf'], /^client: error: option --mode any has no meaning with --framing sockperf/],
    [['--mode', 'any', '--response', 'x'], /^client: error: option --response has no meaning with --mode any/],
    [['--mode', 'any', '--udp'], /^client: error: option --udp needs --mode echo with --framing length: a reply of --mode any carries no sequence number/],
  ]);
  usageErrorTests('benchmark', [[['--mode', 'any', '--spawn-server'], /^benchmark: error: option --mode any needs a server of your own/]]);
});

describe('--mode any', () => {
  it("takes any framed reply, where fixed mode calls another server's reply wrong", async (t) => {
    const other = await textServer(t, ['--port', '0', '--response', 'something else']);
    const port = await listeningPort(other.proc, 'server');
    const any = await runBin('client', ['--port', String(port), '--count', '200', '--warmup', '0', '--mode', 'any', '--json']);
    assert.equal(any.code, 0, any.stderr);
    const j = JSON.parse(any.stdout);
    assert.equal(j.mode, 'any');
    assert.equal(j.received, 200);
    const fixed = await runBin('client', ['--port', String(port), '--count', '200', '--warmup', '0']);
    assert.equal(fixed.code, 1);
    assert.match(fixed.stdout + fixed.stderr, /"something else"/);
  });
});

describe('range errors in human terms', () => {
  // Limits as a person reads them; never the parsers' unbounded defaults (Number.MAX_VALUE, Number.MAX_SAFE_INTEGER).
  const cases: Array<['client' | 'server' | 'benchmark', string[], RegExp]> = [
    ['client', ['--count', '0'], /expected an integer of at least 1\.$/],
    ['client', ['--count', '1e3'], /expected an integer of at least 1\.$/],
    ['client', ['--count', '123456789012345678901'], /expected an integer of at least 1; 123456789012345678901 is too large\.$/],
    ['client', ['--warmup', '-1'], /expected an integer of at least 0\.$/],
    ['client', ['--timeout-ms', '0'], /expected an integer of at least 1\.$/],
    ['client', ['--target-us', '0'], /expected a number of at least 0\.001\.$/],
    ['client', ['--max-frame', '0'], /expected an integer from 1 to 4,294,967,295\.$/],
    ['client', ['--port', '65536'], /expected an integer from 0 to 65535\.$/],
    ['server', ['--grace-ms', '-1'], /expected an integer from 0 to 3,600,000\.$/],
    ['benchmark', ['--duration', '0'], /expected a number of at least 0\.1\.$/],
  ];
  for (const [name, args, message] of cases) {
    it(`${name} ${args.join(' ')}`, async () => {
      const r = await runBin(name, args);
      assert.equal(r.code, 2);
      assert.match(r.stderr.trim(), message);
      assert.doesNotMatch(r.stderr, /1\.797|e\+308|9007199254740991|Infinity/);
    });
  }
});
