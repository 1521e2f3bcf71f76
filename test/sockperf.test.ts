/**
 * Interoperability with sockperf 3.x, the C reference: our client against its
 * server, its client against our server. Skipped, saying so, when sockperf is
 * not installed (.ci/run installs it from Debian's packages).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { runBin, startServer, waitForPort } from './helpers.js';

const have = spawnSync('sockperf', ['--version'], { encoding: 'utf8' });
const skip = have.error !== undefined ? 'sockperf is not installed (apt-get install sockperf)' : false;

/**
 * A port for sockperf's server, which cannot be told to pick one. Below
 * Linux's ephemeral range (32768 and up), so that no connection of another
 * test, lingering in TIME_WAIT, can hold it.
 */
function freePort(): number {
  return 20_000 + Math.floor(Math.random() * 12_000);
}

describe('sockperf interoperability', { skip }, () => {
  it("our client measures sockperf's server", async () => {
    const port = freePort();
    const server = spawn('sockperf', ['server', '--tcp', '-i', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    try {
      await waitForPort(port);
      const r = await runBin('client', ['--port', String(port), '--framing', 'sockperf', '--size', '64', '--count', '2000', '--warmup', '100', '--json']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.received, 2100);
      assert.equal(j.errors, 0);
      assert.ok(j.latencyUs.p50 > 0);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it("sockperf's client measures our server", async () => {
    const ours = await startServer(['--port', '0', '--framing', 'sockperf']);
    // sockperf idles for 2 s after connecting, then measures for -t seconds.
    const r = spawnSync('sockperf', ['ping-pong', '--tcp', '-i', '127.0.0.1', '-p', String(ours.port), '-t', '1', '--msg-size', '64'], { encoding: 'utf8', timeout: 30_000 });
    const out = r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    const { summary } = await ours.stop();
    assert.match(out, /avg-latency=[\d.]+/, out);
    assert.match(out, /percentile 99\.000 = +[\d.]+/);
    assert.doesNotMatch(out, /No messages were received/);
    const received = Number(/ReceivedMessages=(\d+)/.exec(out)?.[1]);
    assert.ok(received > 100, out);
    assert.ok((summary?.messages as number) >= received);
    assert.equal(summary?.protocolErrors, 0);
  });
});
