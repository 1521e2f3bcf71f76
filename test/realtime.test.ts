/**
 * `--rt-priority N`: every thread of the server (each process of
 * `--workers`) and of the client under SCHED_FIFO (chrt). Bad values exit 2;
 * a process that may not use real-time scheduling exits 1 in one line; as
 * root, /proc says every thread runs under SCHED_FIFO at that priority.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { BIN, type RunningServer, numbered, rawConnect, readNumbered, runBin, startServer, threadNice, usageErrorTests, waitUntil, withDeadline } from './helpers.js';

/** Linux's numbers for SCHED_OTHER and SCHED_FIFO in /proc/PID/task/TID/sched. */
const SCHED_OTHER = 0;
const SCHED_FIFO = 1;
const ROOT_SKIP = process.getuid?.() === 0 ? false : 'setting SCHED_FIFO needs root here (CAP_SYS_NICE); this test runs as a normal user';
const SETPRIV_SKIP =
  process.getuid?.() !== 0 ? false : spawnSync('setpriv', ['--version']).status === 0 ? false : 'setpriv (util-linux) is missing: cannot drop CAP_SYS_NICE to see the refusal as root';

/**
 * Policy and priority of every thread of `pid`, from /proc (the kernel's prio
 * of an RT thread is 99 - its rt priority). A thread that ends between the
 * listing and the read (Node's short-lived helper threads) is left out.
 */
function threadPolicies(pid: number): Array<{ tid: string; policy: number; rtPriority: number }> {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    let sched: string;
    try {
      sched = readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const field = (name: string) => Number(new RegExp(`^${name}\\s*:\\s*(-?\\d+)`, 'm').exec(sched)![1]);
    return [{ tid, policy: field('policy'), rtPriority: 99 - field('prio') }];
  });
}

function assertFifo(pid: number, priority: number): void {
  const threads = threadPolicies(pid);
  assert.ok(threads.length > 1, `process ${pid} has its Node threads`);
  for (const t of threads) {
    assert.equal(t.policy, SCHED_FIFO, `thread ${t.tid} of ${pid} runs under SCHED_FIFO`);
    assert.equal(t.rtPriority, priority, `thread ${t.tid} of ${pid} at priority ${priority}`);
  }
}

async function assertAnswers(t: TestContext, server: RunningServer): Promise<void> {
  const s = await rawConnect(t, server);
  s.write(numbered(10));
  assert.equal(await withDeadline(readNumbered(s, 10), 'ten echo replies'), 10);
  s.end();
}

describe('bad --rt-priority values exit 2 with one line', () => {
  usageErrorTests('server', [
    [['--rt-priority', '0', '--port', '0'], /--rt-priority.*expected an integer from 1 to 99/],
    [['--rt-priority', '100', '--port', '0'], /--rt-priority.*expected an integer from 1 to 99/],
    [['--rt-priority', 'high', '--port', '0'], /--rt-priority.*expected an integer/],
    [['--rt-priority', '10', '--busy-poll', '--port', '0'], /--rt-priority and --busy-poll/],
  ]);
  usageErrorTests('client', [
    [['--rt-priority', '-1'], /--rt-priority/],
    [['--rt-priority', '10', '--busy-poll'], /--rt-priority and --busy-poll/],
  ]);
});

describe('--rt-priority', () => {
  it('refused in one line, exit 1, when the process may not use real-time scheduling', { skip: SETPRIV_SKIP }, async () => {
    // As root, drop CAP_SYS_NICE from the bounding set: the server then runs as root without it.
    const args = ['--rt-priority', '10', '--port', '0'];
    const r = process.getuid?.() === 0 ? runSetpriv(args) : await runBin('server', args);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /option --rt-priority: cannot run under SCHED_FIFO at priority 10 \(chrt: .*not permitted\)/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stdout, /"ready"|ready:/);
  });

  it('a server alone: every thread under SCHED_FIFO at the priority, and it answers', { skip: ROOT_SKIP }, async (t) => {
    const server = await startServer(['--port', '0', '--mode', 'echo', '--rt-priority', '7']);
    t.after(() => server.stop('SIGKILL'));
    assert.equal(server.events.find((e) => e.event === 'config')!.rtPriority, 7);
    assertFifo(server.pid, 7);
    await assertAnswers(t, server);
    const { code } = await server.stop('SIGTERM');
    assert.equal(code, 0);
  });

  it('with --admin: every thread under SCHED_FIFO but the admin thread, back to the normal policy at nice 19', { skip: ROOT_SKIP }, async (t) => {
    const server = await startServer(['--port', '0', '--mode', 'echo', '--rt-priority', '7', '--admin', '127.0.0.1:0']);
    t.after(() => server.stop('SIGKILL'));
    const threads = threadPolicies(server.pid);
    const normal = threads.filter((th) => th.policy !== SCHED_FIFO);
    assert.equal(normal.length, 1, `one thread left SCHED_FIFO: ${JSON.stringify(threads)}`);
    assert.equal(normal[0].policy, SCHED_OTHER);
    assert.equal(threadNice(server.pid, normal[0].tid), 19, 'the admin thread is at nice 19');
    for (const th of threads.filter((x) => x.policy === SCHED_FIFO)) assert.equal(th.rtPriority, 7);
    assert.ok(
      threads.some((th) => th.tid === String(server.pid) && th.policy === SCHED_FIFO),
      'the serving thread stays under SCHED_FIFO',
    );
    await assertAnswers(t, server);
    const { code } = await server.stop('SIGTERM');
    assert.equal(code, 0);
  });

  it('--workers 2: the primary and both workers, every thread under SCHED_FIFO', { skip: ROOT_SKIP }, async (t) => {
    const server = await startServer(['--port', '0', '--mode', 'echo', '--workers', '2', '--rt-priority', '3']);
    t.after(() => server.stop('SIGKILL'));
    const pids = [server.pid, ...server.events.filter((e) => e.event === 'worker-ready').map((e) => e.pid as number)];
    assert.equal(pids.length, 3);
    for (const pid of pids) assertFifo(pid, 3);
    await assertAnswers(t, server);
    const { code, summary } = await server.stop('SIGTERM');
    assert.equal(code, 0);
    assert.equal(summary?.messages, 10);
  });

  it('the client: every thread under SCHED_FIFO during its run, which succeeds', { skip: ROOT_SKIP }, async (t) => {
    const server = await startServer(['--port', '0']);
    t.after(() => server.stop('SIGKILL'));
    const client = spawn(BIN('client'), ['--port', String(server.port), '--duration', '3', '--rt-priority', '5', '--json'], { stdio: ['ignore', 'pipe', 'ignore'] });
    t.after(() => client.kill('SIGKILL'));
    let stdout = '';
    client.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => client.once('close', resolve));
    // The launcher execs node: the pid is the client's. It sets the policy as it starts, one thread after
    // another (chrt --all-tasks): wait for them all, not for the first one read, then check each.
    await waitUntil(() => {
      const threads = threadPolicies(client.pid!);
      return threads.length > 1 && threads.every((th) => th.policy === SCHED_FIFO);
    }, 'every thread of the client to run under SCHED_FIFO');
    assertFifo(client.pid!, 5);
    assert.equal(await withDeadline(exited, 'the client to finish'), 0);
    // Its report says so.
    assert.equal(JSON.parse(stdout).rtPriority, 5);
  });
});

/** bin/server as root without CAP_SYS_NICE (dropped from the bounding set by setpriv). */
function runSetpriv(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('setpriv', ['--bounding-set', '-sys_nice', BIN('server'), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
