/**
 * bin/client runs that end otherwise than by count: interrupted (SIGINT,
 * SIGTERM), timed (--duration), on a fixed schedule (--rate); and runs
 * against a server that speaks another framing or reply. Real processes;
 * the tests wait on what the server reports, and assert counts, not times.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, after, before, describe, it } from 'node:test';
import { BIN, type Run, type RunningServer, listenRaw, onTeardown, runBin, startServer, tempDir, unusedPort, waitUntil, withDeadline } from './helpers.js';

/** bin/client started in the background, to be signalled; killed when test `t` ends if still running. */
function startClient(t: TestContext, args: string[]): { signal(s: NodeJS.Signals): void; done: Promise<Run> } {
  const p = spawn(BIN('client'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  p.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<Run>((resolve) => p.once('close', (code) => resolve({ code, stdout, stderr })));
  onTeardown(t, () => {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });
  return { signal: (s) => p.kill(s), done: withDeadline(done, `client ${args.join(' ')} to exit`) };
}

/** Messages the server had answered at its latest stats event (it runs with --stats-interval). */
function answeredSoFar(server: RunningServer): number {
  const stats = server.events.filter((e) => e.event === 'stats');
  return stats.length === 0 ? 0 : (stats[stats.length - 1].messages as number);
}

/** Messages answered, from a stats event logged after this call: it counts every client that has exited by then. */
async function answeredNow(server: RunningServer): Promise<number> {
  const mark = server.events.length;
  await waitUntil(() => server.events.slice(mark).some((e) => e.event === 'stats'), 'a stats event from the server');
  return answeredSoFar(server);
}

/**
 * Resolves once the server has answered `n` messages more than `base`: the
 * one client running is then in its measured phase, whatever the speed of
 * the machine.
 */
function answered(server: RunningServer, base: number, n: number): Promise<void> {
  return waitUntil(() => answeredSoFar(server) >= base + n, `the server has answered ${n} more messages`);
}

describe('an interrupt keeps what was measured', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--port', '0', '--stats-interval', '50']);
  });
  after(async () => {
    await server.stop();
  });

  // Past the 1 000 round trips of warm-up, so that the partial report has measured ones.
  const SOME = 3_000;

  it('SIGINT, --json: exit 130, one JSON report marked partial, with the figures so far', async (t) => {
    const mark = await answeredNow(server);
    const c = startClient(t, ['--port', String(server.port), '--count', '10000000', '--json']);
    await answered(server, mark, SOME);
    c.signal('SIGINT');
    const r = await c.done;
    assert.equal(r.code, 130, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const j = JSON.parse(lines[0]);
    assert.equal(j.partial, true);
    assert.equal(j.interrupted, 'SIGINT');
    assert.equal(j.error, null);
    assert.equal(j.count, 10_000_000);
    assert.ok(j.sent >= SOME && j.sent < 10_000_000, `sent ${j.sent}`);
    // The reply in flight when the signal came is awaited (a short grace), so every request is answered.
    assert.equal(j.received, j.sent);
    assert.equal(j.errors, 0);
    assert.equal(j.successPct, 100);
    assert.ok(j.durationS > 0);
    assert.ok(j.latencyUs.p50 > 0);
    assert.equal(j.meta.schema, 1);
  });

  it('SIGINT, text: exit 130, the report with a partial verdict, and the --hgrm file written', async (t) => {
    const hgrm = join(tempDir(), 'partial.hgrm');
    const mark = await answeredNow(server);
    const c = startClient(t, ['--port', String(server.port), '--count', '10000000', '--hgrm', hgrm, '--target-us', '10000000']);
    await answered(server, mark, SOME);
    c.signal('SIGINT');
    const r = await c.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stdout, /sent [\d,]+ +received [\d,]+ +errors 0 +success 100\.000%/);
    assert.match(r.stdout, /p50 [\d.]+ +p90/);
    assert.match(r.stdout, /^result +partial: interrupted by SIGINT after [\d.]+ s measured$/m);
    const measured = Number(/Total count += +(\d+)/.exec(readFileSync(hgrm, 'utf8'))?.[1]);
    assert.ok(measured > 0, 'the .hgrm file holds the measured round trips');
  });

  it('SIGTERM: exit 143, a report marked partial', async (t) => {
    const mark = await answeredNow(server);
    const c = startClient(t, ['--port', String(server.port), '--count', '10000000', '--json']);
    await answered(server, mark, SOME);
    c.signal('SIGTERM');
    const r = await c.done;
    assert.equal(r.code, 143, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.partial, true);
    assert.equal(j.interrupted, 'SIGTERM');
    assert.ok(j.sent >= SOME);
  });

  it('a reply that never comes does not hold the interrupt up: it counts as lost, and the report follows', async (t) => {
    let request!: () => void;
    const got = new Promise<void>((resolve) => {
      request = resolve;
    });
    const { port } = await listenRaw(t, (s) => s.once('data', () => request()));
    const c = startClient(t, ['--port', String(port), '--warmup', '0', '--timeout-ms', '600000', '--json']);
    await withDeadline(got, 'the first request');
    c.signal('SIGINT');
    const r = await c.done;
    assert.equal(r.code, 130, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.partial, true);
    assert.equal(j.sent, 1);
    assert.equal(j.lost, 1);
    assert.equal(j.successPct, 0);
  });
});

describe('--duration and --rate', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--port', '0']);
  });
  after(async () => {
    await server.stop();
  });

  it('--duration 1: measures for about a second, however many round trips that is', async () => {
    const started = performance.now();
    const r = await runBin('client', ['--port', String(server.port), '--duration', '1', '--warmup', '100', '--json']);
    const wallS = (performance.now() - started) / 1000;
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.count, null);
    assert.equal(j.options.duration, 1);
    assert.equal(j.options.count, null);
    // The timer may fire up to a millisecond before the measured window's clock says 1 s (libuv's clock is in ms); generous above.
    assert.ok(j.durationS >= 0.99 && j.durationS < 5, `measured ${j.durationS} s`);
    assert.ok(wallS < 30, `ran ${wallS} s`);
    assert.ok(j.received > 100, `received ${j.received}`);
    assert.equal(j.received, j.sent);
    assert.equal(j.uncorrectedUs, null);
  });

  it('--rate 1000 --duration 1: about 1000 messages, latency corrected and uncorrected', async () => {
    const r = await runBin('client', ['--port', String(server.port), '--rate', '1000', '--duration', '1', '--warmup', '0', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.rate, 1000);
    // The schedule sends one message a millisecond: 1001 in [0, 1 s]. Fewer only when round trips
    // fall behind it (one message in flight), which a loaded 2-core machine can cause: hence 20%.
    assert.ok(j.sent >= 800 && j.sent <= 1_201, `sent ${j.sent}`);
    assert.equal(j.received, j.sent);
    const c = j.latencyUs;
    const u = j.uncorrectedUs;
    assert.ok(c !== null && u !== null && j.sendLagUs !== null);
    // Each message is due no later than it is written, so corrected is never below uncorrected, percentile by percentile.
    for (const k of ['p50', 'p99', 'max']) assert.ok(c[k] >= u[k], `${k}: corrected ${c[k]} < uncorrected ${u[k]}`);
    assert.equal(typeof j.behind, 'number');
  });

  it('--rate in text: both distributions and the send lag; --hgrm writes both files', async () => {
    const dir = tempDir();
    const r = await runBin('client', ['--port', String(server.port), '--rate', '500', '--count', '200', '--warmup', '0', '--hgrm', join(dir, 'rtt.hgrm')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /rate 500\/s \(latency from when each message was due\)/);
    assert.match(r.stdout, /^corrected us min [\d.]+/m);
    assert.match(r.stdout, /^uncorrected +min [\d.]+/m);
    assert.match(r.stdout, /^send lag us +p50 [\d.]+/m);
    assert.match(r.stdout, /sent 200 +received 200/);
    for (const f of ['rtt.hgrm', 'rtt-uncorrected.hgrm']) assert.match(readFileSync(join(dir, f), 'utf8'), /Total count += +200\]/, f);
  });

  it('--count and --duration together are bad usage', async () => {
    const r = await runBin('client', ['--port', String(server.port), '--count', '5', '--duration', '1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--count and --duration/);
    assert.equal(r.stdout, '');
  });
});

describe('a server that speaks another framing or reply', () => {
  it('a line client against a length server: success 0, never negative; the client names --framing, the server says it read text', async () => {
    const server = await startServer(['--port', '0']);
    try {
      const r = await runBin('client', ['--port', String(server.port), '--framing', 'line', '--count', '100', '--json']);
      assert.equal(r.code, 1);
      const j = JSON.parse(r.stdout);
      assert.equal(j.successPct, 0);
      assert.equal(j.received, 0);
      assert.match(j.error, /server closed the connection|connection lost/);
      assert.match(j.hint, /--framing/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr, /--framing/);
      const e = await server.waitFor('protocol-error');
      assert.equal(e.code, 'ERR_FRAME_TOO_LARGE');
      assert.match(String(e.hint), /reads as text \("abcd"\).*--framing line/);
      // In text, with nothing received: no report to show, one line on stderr.
      const text = await runBin('client', ['--port', String(server.port), '--framing', 'line', '--count', '100']);
      assert.equal(text.code, 1);
      assert.equal(text.stdout, '');
      assert.equal(text.stderr.trim().split('\n').length, 1);
      assert.match(text.stderr, /^client: .*hint: .*--framing \(this client: line\)/);
    } finally {
      await server.stop();
    }
  });

  it('a length client against a line server: no reply, and the timeout says to check --framing', async () => {
    const server = await startServer(['--port', '0', '--framing', 'line']);
    try {
      const r = await runBin('client', ['--port', String(server.port), '--count', '10', '--timeout-ms', '300', '--json']);
      assert.equal(r.code, 1);
      const j = JSON.parse(r.stdout);
      assert.match(j.error, /no reply within 300 ms \(message 1\)/);
      assert.match(j.hint, /same --framing \(this client: length\)/);
      assert.equal(j.successPct, 0);
    } finally {
      await server.stop();
    }
  });

  it('an echo client against a fixed server: the hint names --mode and --response', async () => {
    const server = await startServer(['--port', '0']);
    try {
      const r = await runBin('client', ['--port', String(server.port), '--mode', 'echo', '--count', '10', '--warmup', '0', '--json']);
      assert.equal(r.code, 1);
      const j = JSON.parse(r.stdout);
      assert.equal(j.wrong, 10);
      assert.equal(j.successPct, 0);
      assert.match(j.hint, /--mode and --response/);
    } finally {
      await server.stop();
    }
  });
});

describe('a run that cannot start', () => {
  it('--json to a closed port: stdout is one JSON object with error (and meta, options), stderr one line, exit 1', async (t) => {
    const port = await unusedPort(t);
    const r = await runBin('client', ['--port', String(port), '--json']);
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const j = JSON.parse(lines[0]);
    assert.match(j.error, /cannot connect to tcp:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    assert.equal(j.options.port, port);
    assert.equal(j.options.count, 10_000);
    assert.equal(j.meta.schema, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^client: cannot connect/);
  });

  it('--hgrm into a directory that does not exist: the report, then one line, exit 1', async () => {
    const server = await startServer(['--port', '0']);
    try {
      const missing = join(tempDir(), 'no', 'such', 'dir', 'rtt.hgrm');
      const r = await runBin('client', ['--port', String(server.port), '--count', '50', '--warmup', '0', '--json', '--hgrm', missing]);
      assert.equal(r.code, 1);
      const j = JSON.parse(r.stdout);
      assert.match(j.error, /cannot write --hgrm/);
      assert.equal(j.received, 50);
      assert.equal(existsSync(missing), false);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    } finally {
      await server.stop();
    }
  });
});
