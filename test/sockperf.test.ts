/**
 * Interoperability with sockperf 3.x, the C reference: our client against its
 * server, its client against our server. Skipped, saying so, when sockperf is
 * not installed (.ci/run installs it from Debian's packages).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { listeningPort, onTeardown, runBin, startServer } from './helpers.js';

const have = spawnSync('sockperf', ['--version'], { encoding: 'utf8' });
const skip = have.error !== undefined ? 'sockperf is not installed (apt-get install sockperf)' : false;

describe('sockperf interoperability', { skip }, () => {
  it("our client measures sockperf's server", async (t) => {
    // Port 0: the kernel picks the port as sockperf binds, one free at that
    // moment, so nothing can take it in between and nothing in TIME_WAIT
    // holds it. That is what the old pick below the ephemeral range (32768
    // and up) was after: there no connection of another test, lingering in
    // TIME_WAIT, could hold the port, but a random pick could still meet
    // another's. A port got from the kernel by listening on 0 and closing
    // would lie inside the ephemeral range, free to become any connection's
    // local port before sockperf binds it. sockperf does not print the port
    // it got: it is read from /proc (listeningPort in helpers.ts).
    const server = spawn('sockperf', ['server', '--tcp', '-i', '127.0.0.1', '-p', '0'], { stdio: 'ignore' });
    onTeardown(t, () => server.kill('SIGKILL'));
    const port = await listeningPort(server, "sockperf's server");
    const r = await runBin('client', ['--port', String(port), '--framing', 'sockperf', '--size', '64', '--count', '2000', '--warmup', '100', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.received, 2100);
    assert.equal(j.errors, 0);
    assert.ok(j.latencyUs.p50 > 0);
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
