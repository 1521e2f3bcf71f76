/**
 * bench/netns-cluster.sh at reduced size (--quick): two responders behind
 * Debian's HAProxy (deploy/haproxy/haproxy.cfg), two load generators, each
 * its own network namespace. The run must succeed with the figures it
 * claims (messages through both responders, no wrong or lost reply, a drain
 * that loses nothing and sends no new connection to the drained responder),
 * and leave nothing behind: no namespace of the run, no link named after it,
 * no process it started; also when it is interrupted (Ctrl-C). Skipped,
 * with the reason, without root, `ip netns` or haproxy (.ci/run installs
 * haproxy).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, describe, it } from 'node:test';
import { ROOT, onTeardown, tempDir, waitUntil, withDeadline } from './helpers.js';
import { which } from './admin-helpers.js';

const SCRIPT = join(ROOT, 'bench', 'netns-cluster.sh');
const CONFIG = join(ROOT, 'deploy', 'haproxy', 'haproxy.cfg');
/** The quick run takes about 20 s on 2 idle CPUs; far more when the machine is loaded. */
const RUN_MS = 110_000;

/** Why the script cannot run here, or null when it can. */
function unavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces are Linux's; this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'needs root (ip netns add); run the suite as root, as CI does';
  if (which('ip') === null) return 'ip (iproute2) is not installed';
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (probe.status !== 0) return `ip netns does not work here: ${probe.stderr.trim()}`;
  if (which('haproxy') === null) return 'haproxy is not installed (Debian package haproxy; .ci/run installs it)';
  if (which('curl') === null) return 'curl is not installed (the script reads HAProxy statistics with it)';
  return null;
}

interface Teardown {
  id: string;
  namespaces: number;
  links: number;
  processes: number;
  pids: number[];
  created: string[];
}

/** Check, apart from what the script says of itself, that nothing of its run is left. */
function assertNothingLeft(teardown: Teardown): void {
  assert.equal(teardown.namespaces + teardown.links + teardown.processes, 0, 'the script found nothing left');
  assert.ok(teardown.created.length >= 6, `it created the switch and five hosts (${teardown.created.join(' ')})`);
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.equal(namespaces.includes(`${teardown.id}-`), false, `no namespace of ${teardown.id} is left: ${namespaces}`);
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  const linkPrefix = teardown.id.replace('-', '');
  assert.equal(links.includes(linkPrefix), false, `no link ${linkPrefix}* is left in the root namespace`);
  assert.ok(teardown.pids.length >= 3, 'it knew of the responders and HAProxy at least');
  for (const pid of teardown.pids) {
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    assert.equal(alive, false, `process ${pid} of the run has exited`);
  }
}

function runScript(t: TestContext, args: string[]) {
  const proc = spawn(SCRIPT, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  // A test that fails midway stops the script the way Ctrl-C does: its trap removes what it made.
  onTeardown(t, () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT');
  });
  const exited = once(proc, 'exit') as Promise<[number | null, string | null]>;
  return { proc, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('bench/netns-cluster.sh', () => {
  it('haproxy -c accepts deploy/haproxy/haproxy.cfg with its addresses set', (t) => {
    const haproxy = which('haproxy');
    if (haproxy === null) return t.skip('haproxy is not installed (Debian package haproxy; .ci/run installs it)');
    const env = { ...process.env, RSP_LB_BIND: '127.0.0.1:8080', RSP_STATS_BIND: '127.0.0.1:8404', RSP_R1: '10.0.0.11:8080', RSP_R2: '10.0.0.12:8080', RSP_ADMIN_PORT: '9464' };
    const r = spawnSync(haproxy, ['-c', '-f', CONFIG], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });

  it('--quick: measures direct and through HAProxy, drains r1 without loss, and leaves nothing behind', async (t) => {
    const reason = unavailable();
    if (reason !== null) return t.skip(reason);
    const out = tempDir();
    const run = runScript(t, ['--quick', '--out', out]);
    const [code] = await withDeadline(run.exited, 'the quick run to finish', RUN_MS);
    assert.equal(code, 0, `exit ${code}: ${run.stderr().slice(-2000)}${run.stdout().slice(-2000)}`);
    assert.match(run.stdout(), /^hop cost, ping: /m);
    assert.match(run.stdout(), /^hop cost, load: /m);
    assert.match(run.stdout(), /^result ok/m);

    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(s.ok, true);
    assert.equal(s.rounds.length, 1);
    const [round] = s.rounds;
    for (const phase of ['direct', 'via', 'both']) assert.ok(round.messages[phase] > 0, `${phase}: messages were answered`);
    assert.ok(round.connections.both.r1 > 0 && round.connections.both.r2 > 0, `both responders got connections: ${JSON.stringify(round.connections)}`);
    for (const hop of [s.hop, s.pingHop]) {
      for (const p of ['p50', 'p99', 'p99_9']) {
        assert.equal(typeof hop[p].addedUs, 'number', `the hop's ${p}`);
        assert.ok(hop[p].directUs > 0 && hop[p].viaUs > 0);
      }
    }
    const d = s.drain;
    assert.ok(d.r1OpenAtSignal > 0, 'r1 held connections when it was told to stop');
    assert.deepEqual(d.benchmark.wrong + d.benchmark.lost + d.benchmark.errors, 0, 'the run drained through lost nothing');
    assert.ok(d.benchmark.messages > 0);
    assert.equal(d.newConnectionsWhileDown.r1, 0, 'no new connection reached r1 once it was DOWN');
    assert.ok(d.newConnectionsWhileDown.r2 > 0, 'new connections went to r2');
    assert.equal(d.exitCode, 0);
    assert.equal(d.r1.forcedCloses, 0);
    assert.equal(d.r1.bytesIn, d.r1.messages * 68, 'every message r1 received was answered');
    assert.equal(d.drained.left, 0, "r1's peers closed every connection it held");
    assert.ok(readFileSync(join(out, 'report.html'), 'utf8').includes('<html'));
    assert.ok(readFileSync(join(out, 'both.html'), 'utf8').includes('<html'));

    assertNothingLeft(JSON.parse(readFileSync(join(out, 'teardown.json'), 'utf8')));
  });

  it('interrupted (SIGINT) once its hosts are up: exits 130 and leaves nothing behind', async (t) => {
    const reason = unavailable();
    if (reason !== null) return t.skip(reason);
    const out = tempDir();
    const run = runScript(t, ['--quick', '--out', out]);
    await waitUntil(() => run.stderr().includes('hosts up:') || run.proc.exitCode !== null, 'the hosts to be up');
    assert.equal(run.proc.exitCode, null, `the script ended early: ${run.stderr()}`);
    run.proc.kill('SIGINT');
    const [code] = await withDeadline(run.exited, 'the script to stop on SIGINT');
    assert.equal(code, 130, run.stderr());
    assertNothingLeft(JSON.parse(readFileSync(join(out, 'teardown.json'), 'utf8')));
  });
});
