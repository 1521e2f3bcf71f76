/**
 * `--admin` with `--workers N`: the primary serves the one admin port, each
 * worker's figures labelled worker="N" (src/admin/primary.ts, relay.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { rawConnect, readBytes, runBin, startServer, usageErrorTests, WAIT_MS, delay } from './helpers.js';
import { http, sample, waitForSample, which } from './admin-helpers.js';
import { lengthFrame } from '../src/protocol/length.js';

const WORKERS_ADMIN = ['--port', '0', '--workers', '2', '--admin', '127.0.0.1:0'];
const RUNS = 4;
const PER_RUN = 500;

/** The sum over workers of `name`'s series, and how many worker series there are. */
function perWorker(text: string, name: string, workers: number): { sum: number; series: number } {
  let sum = 0;
  let series = 0;
  for (let w = 1; w <= workers; w++) {
    const v = sample(text, name, `worker="${w}"`);
    if (v === undefined) continue;
    series++;
    sum += v;
  }
  return { sum, series };
}

describe('admin port with --workers', () => {
  it('one admin port in the primary: every worker series labelled worker="N", summing to the messages sent; promtool check metrics; /stats.json sums', async (t) => {
    const server = await startServer(WORKERS_ADMIN);
    assert.ok(server.admin !== undefined, 'the ready event has an admin field');
    const config = await server.waitFor('config');
    assert.equal(config.admin, '127.0.0.1:0');
    // Several connections, one after another: the kernel or the cluster primary spreads them over the workers.
    for (let i = 0; i < RUNS; i++) {
      const r = await runBin('client', ['--port', String(server.port), '--count', String(PER_RUN), '--warmup', '0']);
      assert.equal(r.code, 0, r.stderr);
    }
    const admin = server.admin.url;
    const sent = RUNS * PER_RUN;
    // The workers relay every 250 ms: wait until the sum has come.
    const deadline = performance.now() + WAIT_MS;
    let text = (await http(`${admin}/metrics`)).body;
    while (perWorker(text, 'respuesta_messages_total', 2).sum !== sent) {
      assert.ok(performance.now() < deadline, `the workers' messages sum to ${sent} (last: ${perWorker(text, 'respuesta_messages_total', 2).sum})`);
      await delay(50);
      text = (await http(`${admin}/metrics`)).body;
    }
    assert.equal(perWorker(text, 'respuesta_messages_total', 2).series, 2, 'a series for worker="1" and one for worker="2"');
    assert.equal(perWorker(text, 'respuesta_connections_accepted_total', 2).sum, RUNS);
    assert.equal(perWorker(text, 'respuesta_worker_up', 2).sum, 2);
    assert.equal(sample(text, 'respuesta_messages_total'), undefined, 'no series without a worker label');
    assert.match(text, /^respuesta_protocol_errors_total\{code="ERR_FRAME_TOO_LARGE",worker="2"\} 0$/m);
    assert.match(text, /^respuesta_gc_pause_seconds_count\{kind="minor",worker="1"\} \d+$/m);
    assert.match(text, /^respuesta_event_loop_delay_p99_seconds\{worker="2"\} /m);
    // The process metrics are the primary's, unlabelled.
    assert.match(text, /^process_resident_memory_bytes \d+/m);
    assert.equal(sample(text, 'respuesta_ready'), 1);

    await t.test('promtool check metrics passes on it', (st) => {
      const promtool = which('promtool');
      if (promtool === null) return st.skip('promtool is not installed (Debian package prometheus; .ci/run installs it)');
      const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(r.status, 0, `promtool check metrics: ${r.stdout}${r.stderr}`);
    });

    const stats = JSON.parse((await http(`${admin}/stats.json`)).body);
    assert.equal(stats.messages, sent);
    assert.equal(stats.connections.accepted, RUNS);
    assert.deepEqual(stats.workers, { count: 2, up: 2, restarts: 0 });
    assert.equal(stats.pid, server.pid);

    const { code, summary } = await server.stop();
    assert.equal(code, 0);
    assert.equal(summary?.messages, sent);
  });

  it('/readyz turns 503 from the primary’s first SIGTERM while a worker drains; /livez stays 200', async (t) => {
    const server = await startServer([...WORKERS_ADMIN, '--grace-ms', '60000']);
    const admin = server.admin!.url;
    assert.equal((await http(`${admin}/readyz`)).status, 200);
    assert.equal((await http(`${admin}/livez`)).status, 200);
    const s = await rawConnect(t, server, 'tcp', { allowHalfOpen: true });
    s.write(lengthFrame(Buffer.from('x')));
    await readBytes(s, 13);
    server.proc.kill('SIGTERM');
    await server.waitFor('shutdown');
    const ready = await http(`${admin}/readyz?verbose`);
    assert.equal(ready.status, 503);
    assert.equal(JSON.parse(ready.body).status, 'draining');
    assert.equal((await http(`${admin}/healthz`)).status, 503);
    assert.equal((await http(`${admin}/livez`)).status, 200);
    await waitForSample(admin, 'respuesta_ready', 0);
    s.destroy();
    const { code } = await server.stop();
    assert.equal(code, 0);
  });

  it('a worker killed and restarted: respuesta_worker_restarts_total counts it, its respuesta_worker_up and readiness come back', async () => {
    const server = await startServer(WORKERS_ADMIN);
    const admin = server.admin!.url;
    const first = server.events.find((e) => e.event === 'worker-ready' && e.worker === 1)!;
    process.kill(first.pid as number, 'SIGKILL');
    await waitForSample(admin, 'respuesta_worker_restarts_total', 1, 'worker="1"');
    await waitForSample(admin, 'respuesta_worker_up', 1, 'worker="1"');
    assert.equal((await http(`${admin}/readyz`)).status, 200);
    await server.stop();
  });
});

describe('admin port with --workers: usage', () => {
  usageErrorTests('server', [[['--workers', '2', '--admin', '0', '--admin-debug'], /--admin-debug profiles one serving thread/]]);
});
