/**
 * deploy/prometheus against the real tools: promtool checks the scrape
 * configuration and the alerting rules and runs the rules' unit tests; a
 * real Prometheus server scrapes a real respuesta server while a client
 * runs, and its HTTP API finds respuesta_messages_total at the count the
 * client sent. Skipped, with the reason, where Debian's prometheus package
 * is missing (.ci/run installs it).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT, onTeardown, runBin, startServer, tempDir, unusedPort } from './helpers.js';
import { http, which } from './admin-helpers.js';

const DEPLOY = join(ROOT, 'deploy', 'prometheus');
const MISSING = 'is not installed (Debian package prometheus; .ci/run installs it)';

function promtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: DEPLOY, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('deploy/prometheus', () => {
  it('promtool: the scrape configuration and the rules are valid, and the rules pass their unit tests', (t) => {
    if (which('promtool') === null) return t.skip(`promtool ${MISSING}`);
    for (const args of [
      ['check', 'config', 'prometheus.yml'],
      ['check', 'rules', 'alerts.yml'],
      ['test', 'rules', 'alerts.test.yml'],
    ]) {
      const r = promtool(args);
      assert.equal(r.status, 0, `promtool ${args.join(' ')}: ${r.output}`);
    }
  });

  it('a real Prometheus scrapes the admin port and its API returns respuesta_messages_total', async (t) => {
    const prometheus = which('prometheus');
    if (prometheus === null) return t.skip(`prometheus ${MISSING}`);
    const server = await startServer(['--port', '0', '--admin', '127.0.0.1:0']);
    const dir = tempDir();
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: respuesta\n    static_configs:\n      - targets: ['127.0.0.1:${server.admin!.port}']\n`);
    const webPort = await unusedPort(t);
    const proc: ChildProcess = spawn(prometheus, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${webPort}`, '--log.level=warn'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
    const exited = once(proc, 'exit');
    onTeardown(t, async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
    });

    const client = await runBin('client', ['--port', String(server.port), '--count', '5000', '--warmup', '0']);
    assert.equal(client.code, 0, client.stderr);

    const api = `http://127.0.0.1:${webPort}/api/v1/query?query=respuesta_messages_total`;
    const deadline = performance.now() + 60_000;
    let last = '';
    for (;;) {
      if (proc.exitCode !== null) assert.fail(`prometheus exited (${proc.exitCode}): ${log}`);
      const r = await http(api).catch((err: Error) => ({ status: 0, body: err.message }));
      last = r.body;
      if (r.status === 200) {
        const result = JSON.parse(r.body).data.result as Array<{ metric: Record<string, string>; value: [number, string] }>;
        if (result.length === 1 && result[0].value[1] === '5000') {
          assert.equal(result[0].metric.job, 'respuesta');
          assert.equal(result[0].metric.instance, `127.0.0.1:${server.admin!.port}`);
          break;
        }
      }
      if (performance.now() > deadline) assert.fail(`Prometheus never showed respuesta_messages_total 5000; last answer: ${last}; its log: ${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const up = JSON.parse((await http(`http://127.0.0.1:${webPort}/api/v1/query?query=up`)).body).data.result;
    assert.equal(up[0].value[1], '1');
    await server.stop();
  });
});
