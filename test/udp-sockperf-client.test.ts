/**
 * Our client and benchmark against sockperf's server over UDP, its default
 * transport: each request one datagram, matched by the sequence number in
 * sockperf's header. Skipped, saying so, when sockperf is not installed
 * (.ci/run installs it from Debian's packages).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { boundPort, onTeardown, runBin, tempDir, waitUntil } from './helpers.js';
import { readIntervals } from './hlog-helpers.js';

const have = spawnSync('sockperf', ['--version'], { encoding: 'utf8' });
const skip = have.error !== undefined ? 'sockperf is not installed (apt-get install sockperf)' : false;

/** `sockperf server` over UDP on loopback, port picked by the kernel; killed after the test. */
async function sockperfServer(t: TestContext): Promise<number> {
  const server: ChildProcess = spawn('sockperf', ['server', '-i', '127.0.0.1', '-p', '0'], { stdio: 'ignore' });
  onTeardown(t, () => server.kill('SIGKILL'));
  let port: number | undefined;
  await waitUntil(() => {
    if (server.exitCode !== null) throw new Error(`sockperf server exited (${server.exitCode})`);
    port = boundPort(server.pid!, ['/proc/net/udp']); // sockperf prints none for port 0
    return port !== undefined && port !== 0;
  }, "sockperf's UDP server binds");
  return port!;
}

describe("sockperf's UDP server", { skip }, () => {
  it('our client measures it: closed loop, counted round trips, the log', async (t) => {
    const port = await sockperfServer(t);
    const hlog = join(tempDir(), 'rtt.hlog');
    const r = await runBin('client', ['--udp', '--port', String(port), '--framing', 'sockperf', '--size', '64', '--count', '2000', '--warmup', '100', '--hlog', hlog, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.address, `udp://127.0.0.1:${port}`);
    assert.equal(j.received, 2100);
    assert.deepEqual([j.errors, j.wrong, j.lost, j.late, j.duplicates, j.outOfOrder], [0, 0, 0, 0, 0, 0]);
    assert.equal(
      readIntervals(hlog, 'rtt').reduce((a, b) => a + b, 0),
      2000,
    );
  });

  it('our client at a rate (open loop, spinning to each due time)', async (t) => {
    const port = await sockperfServer(t);
    const r = await runBin('client', ['--udp', '--port', String(port), '--framing', 'sockperf', '--count', '300', '--warmup', '10', '--rate', '2000', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.received, 310);
    assert.equal(j.errors, 0);
    assert.ok(j.uncorrectedUs !== null);
  });

  it('our benchmark: -c 4 -P 4 closed and open loop, on 2 threads, the HTML report', async (t) => {
    const port = await sockperfServer(t);
    const page = join(tempDir(), 'run.html');
    const r = await runBin('benchmark', [
      '--udp',
      '--port',
      String(port),
      '--framing',
      'sockperf',
      '-c',
      '4',
      '-P',
      '4',
      '-R',
      '4000',
      '-T',
      '2',
      '-d',
      '0.5',
      '-w',
      '0.2',
      '--report',
      page,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.transport, 'udp');
    const s = j.scenarios[0];
    assert.equal(s.loop, 'open');
    assert.deepEqual([s.errors, s.wrong, s.lost, s.late, s.duplicates], [0, 0, 0, 0, 0]);
    assert.ok(s.messages > 0);
    assert.match(readFileSync(page, 'utf8'), /scenario 1: lost 0, late 0, duplicates 0, out of order 0/);

    const closed = await runBin('benchmark', ['--udp', '--port', String(port), '--framing', 'sockperf', '-c', '4', '-P', '4', '-d', '0.5', '-w', '0.2', '--json']);
    assert.equal(closed.code, 0, closed.stdout + closed.stderr);
    const c = JSON.parse(closed.stdout).scenarios[0];
    assert.deepEqual([c.loop, c.errors, c.late], ['closed', 0, 0]);
    assert.ok(c.messages > 0);
  });
});
