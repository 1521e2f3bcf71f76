/**
 * ./run.sh's verdict (src/demo/verdict.ts, through dist/demo/main.js as the
 * script calls it), fed runs kept from bin/client and bin/benchmark against
 * the real server: each run against its own --target-us, failures counted,
 * and the kept runs shown as their programs print them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, type RunningServer, runBin, startServer, tempDir, unusedPort, withDeadline } from './helpers.js';

process.env.LC_ALL = 'C.UTF-8';
const MAIN = join(ROOT, 'dist', 'demo', 'main.js');
const SHORT = ['--duration', '0.3', '--warmup', '0.1'];
// No round trip over a socket takes 1 us, and none can take 10 s (replies time out at 5 s): whatever this
// machine's load, the first target is missed at p99 and the second is met.
const MISSED = ['--target-us', '1'];
const MET = ['--target-us', '10000000'];

/** node dist/demo/main.js with `args`, piped (no colour). */
function demo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return withDeadline(new Promise((resolve) => p.once('close', (code) => resolve({ code, stdout, stderr }))), 'dist/demo/main.js to finish');
}

/** Run `name` with --json, keep its stdout in `file` as run.sh does, and return the file. */
async function keep(dir: string, file: string, name: 'client' | 'benchmark', args: string[]): Promise<string> {
  const r = await runBin(name, [...args, '--json']);
  const path = join(dir, file);
  writeFileSync(path, r.stdout);
  return path;
}

const line = (out: string, label: string) => out.split('\n').find((l) => l.startsWith(label.padEnd(13))) ?? `(no line for ${label} in)\n${out}`;

describe("./run.sh's verdict on kept runs", () => {
  let server: RunningServer;
  let dir: string;
  before(async () => {
    dir = tempDir();
    server = await startServer(['--port', '0', '--unix', join(dir, 'v.sock')]);
  });
  after(async () => {
    await server.stop();
  });

  it('names the benchmark scenarios whose p99 missed the target next to "every reply right", and exits 0', async () => {
    const port = String(server.port);
    const client = await keep(dir, 'client-missed.json', 'client', ['--port', port, '--count', '300', '--warmup', '0', ...MISSED]);
    const closed = await keep(dir, 'closed-missed.json', 'benchmark', ['--port', port, '--connections', '1,2', ...SHORT, ...MISSED]);
    const open = await keep(dir, 'open-met.json', 'benchmark', ['--unix', server.path!, '--connections', '2', '--rate', '2000', ...SHORT, ...MET]);
    const r = await demo(['verdict', '--client', `TCP=${client}`, '--load', `load TCP=${closed}`, '--load', `load Unix=${open}`, '--server-cpus', '0-1', '--page', 'x.html']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(line(r.stdout, 'TCP'), /^TCP +p50 [\d.]+ us +p99 [\d.]+ us +(p99 misses|p50 and p99 miss) the 1 us target$/);
    assert.match(line(r.stdout, 'load TCP'), /^load TCP +2 scenarios: every reply right; p99 over the 1 us target in scenarios 1 \([\d.]+ us\), 2 \([\d.]+ us\)$/);
    assert.match(line(r.stdout, 'load Unix'), /^load Unix +1 scenario: every reply right, p99 under the 10000 ms target in each$/);
    assert.match(line(r.stdout, 'report'), /^report +x\.html {3}open it in a browser/);
    assert.match(line(r.stdout, 'placement'), /the server could use CPUs 0-1/);
  });

  it('targets met: said once per run, and nothing of a miss', async () => {
    const client = await keep(dir, 'client-met.json', 'client', ['--unix', server.path!, '--count', '300', '--warmup', '0', ...MET]);
    const load = await keep(dir, 'closed-met.json', 'benchmark', ['--port', String(server.port), '--connections', '1,2', ...SHORT, ...MET]);
    const r = await demo(['verdict', '--client', `Unix socket=${client}`, '--load', `load TCP=${load}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(line(r.stdout, 'Unix socket'), /both under the 10000 ms target$/);
    assert.match(line(r.stdout, 'load TCP'), /^load TCP +2 scenarios: every reply right, p99 under the 10000 ms target in each$/);
    assert.doesNotMatch(r.stdout, /over the|miss/);
  });

  it('a failed run fails the verdict (exit 1), says why, and still names a missed target', async (t) => {
    const load = await keep(dir, 'closed-wrong.json', 'benchmark', ['--port', String(server.port), '--connections', '1', ...SHORT, ...MISSED]);
    // The same run, as if its server had answered two requests wrongly.
    const wrong = JSON.parse(readFileSync(load, 'utf8'));
    Object.assign(wrong.scenarios[0], { errors: 2, wrong: 2 });
    wrong.ok = false;
    writeFileSync(load, JSON.stringify(wrong));
    const refused = await keep(dir, 'refused.json', 'benchmark', ['--port', String(await unusedPort(t)), '--connections', '1', ...SHORT]);
    const r = await demo(['verdict', '--client', `TCP=${join(dir, 'absent.json')}`, '--load', `load TCP=${load}`, '--load', `load Unix=${refused}`, '--page', '']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(line(r.stdout, 'TCP'), /^TCP +no figures: the client failed/);
    assert.match(line(r.stdout, 'load TCP'), /^load TCP +failed: scenario 1: 2 wrong replies, 0 lost; p99 over the 1 us target in scenario 1 \([\d.]+ us\)$/);
    assert.match(line(r.stdout, 'load Unix'), /^load Unix +failed: scenario 1: cannot connect to /);
    assert.match(line(r.stdout, 'report'), /^report +not written/);
  });

  it('show: a kept run as its program prints it; nothing for a run that measured nothing', async () => {
    const load = await keep(dir, 'show.json', 'benchmark', ['--port', String(server.port), '--connections', '1,2', ...SHORT, ...MISSED]);
    const b = await demo(['show', load]);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /^benchmark +tcp:\/\/127\.0\.0\.1:\d+ /);
    assert.match(b.stdout, /^│ 2 │ +2 │ +1 │ +closed │/m);
    assert.match(b.stdout, /^result +ok: every reply right; p99 over the 1 us target in scenarios 1 \([\d.]+ us\), 2 \([\d.]+ us\)\n$/m);
    const client = await keep(dir, 'show-client.json', 'client', ['--port', String(server.port), '--count', '100', '--warmup', '0', ...MET]);
    const c = await demo(['show', client]);
    assert.match(c.stdout, /^messages +sent 100 +received 100 +errors 0/m);
    assert.match(c.stdout, /\nresult +ok\n$/);
    const none = await demo(['show', join(dir, 'absent.json')]);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, '');
  });
});
