/**
 * sockperf's UDP client (its default transport: no --tcp) against our
 * server's --udp, on both I/O paths: ping-pong, under-load and throughput,
 * as a sockperf user runs them. Skipped, saying so, when sockperf is not
 * installed (.ci/run installs it from Debian's packages).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { IO_PATHS, startServer } from './helpers.js';

const have = spawnSync('sockperf', ['--version'], { encoding: 'utf8' });
const skip = have.error !== undefined ? 'sockperf is not installed (apt-get install sockperf)' : false;

/** Run sockperf `mode` against UDP `port` for 1 s; its output without colours. */
function sockperf(mode: string, port: number): string {
  const r = spawnSync('sockperf', [mode, '-i', '127.0.0.1', '-p', String(port), '-t', '1', '--msg-size', '64'], { encoding: 'utf8', timeout: 60_000 });
  return `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
}

/** The counts of sockperf's `[Total Run]` line: everything it sent and received, warm-up included. */
function totals(out: string): { sent: number; received: number } {
  const m = /\[Total Run\].*SentMessages=(\d+); ReceivedMessages=(\d+)/.exec(out);
  assert.ok(m !== null, out);
  return { sent: Number(m[1]), received: Number(m[2]) };
}

for (const io of IO_PATHS) {
  describe(`sockperf's UDP client against our --udp, ${io.name}`, { skip }, () => {
    it('ping-pong: every reply arrives and the summary counts them', async () => {
      const server = await startServer(['--udp', '0', '--framing', 'sockperf'], io);
      const out = sockperf('ping-pong', server.udp!.port);
      const { summary } = await server.stop();
      assert.doesNotMatch(out, /ERROR|No messages were received/, out);
      assert.match(out, /avg-latency=[\d.]+/, out);
      assert.match(out, /percentile 99\.000 = +[\d.]+/, out);
      const { sent, received } = totals(out);
      assert.ok(received > 100, out);
      // A reply may be on its way when sockperf stops: it sent one request more than it counted replies to.
      assert.ok(sent - received <= 1, out);
      assert.equal(summary?.messages, sent);
      assert.equal(summary?.datagramsDropped, 0);
    });

    it('under-load: the requests that ask for a reply are answered, the rest ignored, none dropped', async () => {
      const server = await startServer(['--udp', '0', '--framing', 'sockperf'], io);
      const out = sockperf('under-load', server.udp!.port);
      const { summary } = await server.stop();
      assert.doesNotMatch(out, /ERROR|No messages were received/, out);
      const { sent, received } = totals(out);
      assert.ok(received > 0, out);
      assert.ok((summary?.messages as number) >= received, JSON.stringify(summary));
      assert.ok((summary?.ignored as number) > 0);
      // UDP may lose datagrams under load (a full socket buffer); none is dropped by the server.
      assert.ok((summary?.datagrams as number) <= sent);
      assert.equal(summary?.datagramsDropped, 0);
    });

    it('throughput: every datagram that arrives is taken and none answered, as with sockperf server', async () => {
      const server = await startServer(['--udp', '0', '--framing', 'sockperf'], io);
      const out = sockperf('throughput', server.udp!.port);
      const { summary } = await server.stop();
      assert.doesNotMatch(out, /ERROR/, out);
      assert.match(out, /Summary: Message Rate is \d+ \[msg\/sec\]/, out);
      assert.ok(Number(/Total of (\d+) messages sent/.exec(out)?.[1]) > 0, out);
      // Many are lost when sockperf outruns the server (a full socket buffer: UDP); every one that arrives is taken, unanswered.
      assert.equal(summary?.messages, 0);
      assert.ok((summary?.ignored as number) > 0, JSON.stringify(summary));
      assert.equal(summary?.ignored, summary?.datagrams);
      assert.equal(summary?.datagramsDropped, 0);
    });
  });
}
