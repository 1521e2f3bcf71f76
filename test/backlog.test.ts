/**
 * `--backlog N`: the listen queue of every listener the server (or each
 * worker, or the cluster primary) binds, read back from the kernel with
 * `ss` (iproute2): for a listening socket its Send-Q is the queue's length.
 * Above net.core.somaxconn, which the kernel caps it at, one warning line.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { which } from './admin-helpers.js';
import { startServer, usageErrorTests, waitUntil } from './helpers.js';

const SS = which('ss');
const NO_SS = SS === null ? 'ss (iproute2) is not installed: cannot read a listen queue back from the kernel' : false;

/**
 * The Send-Q (the listen queue's length) of every listening socket `ss` shows
 * for `filter` (tcp: a port; unix: a path), one line per socket (-O).
 */
function listed(kind: 'tcp' | 'unix', filter: string): number[] {
  const r = spawnSync(SS!, kind === 'tcp' ? ['-ltnHO', `sport = :${filter}`] : ['-lxHO'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return (
    r.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      // A Unix socket shows the name it was bound by: Node's cluster module binds a path relative to the working directory (which the server shares with us) when that is shorter.
      .filter((f) => (kind === 'tcp' ? f[0] === 'LISTEN' : f[0] === 'u_str' && f[1] === 'LISTEN' && f[4] !== undefined && resolve(f[4]) === filter))
      .map((f) => Number(f[kind === 'tcp' ? 2 : 3]))
  );
}

/** `listed`, once it lists `count` sockets (the server says it is ready once it listens; to be sure); fails naming what ss printed last. */
async function queues(kind: 'tcp' | 'unix', filter: string, count = 1): Promise<number[]> {
  let last: number[] = [];
  try {
    await waitUntil(() => {
      last = listed(kind, filter);
      return last.length >= count;
    }, `ss to list ${count} ${kind} listener(s) on ${filter}`);
  } catch (err) {
    assert.fail(`${(err as Error).message}; it listed ${JSON.stringify(last)}`);
  }
  return last;
}

const somaxconn = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  } catch {
    return null;
  }
})();

describe('--backlog', () => {
  for (const workers of [1, 2]) {
    it(`sets the listen queue of the TCP and Unix listeners${workers > 1 ? ' with --workers 2' : ''}`, { skip: NO_SS }, async (t) => {
      const path = join(tmpdir(), `respuesta-backlog-${process.pid}-${workers}.sock`);
      t.after(() => rmSync(path, { force: true }));
      const server = await startServer(['--port', '0', '--unix', path, '--backlog', '37', '--workers', String(workers)]);
      assert.equal((await server.waitFor('config')).backlog, 37);
      // reuseport: one listener per worker; cluster: the primary's one.
      const tcp = await queues('tcp', String(server.port));
      assert.ok(tcp.length >= 1, `a TCP listener on port ${server.port}`);
      assert.deepEqual(
        tcp,
        tcp.map(() => 37),
        `every TCP listener's queue: ${tcp}`,
      );
      assert.deepEqual(await queues('unix', path), [37]);
      const { code } = await server.stop();
      assert.equal(code, 0);
    });
  }

  it("Node's 511 when not given, and the config line does not mention it", { skip: NO_SS }, async () => {
    const server = await startServer(['--port', '0']);
    assert.deepEqual(await queues('tcp', String(server.port)), [Math.min(511, somaxconn ?? 511)]);
    await server.stop();
  });

  const NOT_CAPPED = somaxconn === null ? 'no /proc/sys/net/core/somaxconn here' : somaxconn >= 65_535 ? `net.core.somaxconn is ${somaxconn}: no --backlog is above it` : false;
  it('above net.core.somaxconn: one warning naming both figures, and the kernel queues somaxconn', { skip: NOT_CAPPED || NO_SS }, async () => {
    const server = await startServer(['--port', '0', '--backlog', '65535']);
    const warnings = server.events.filter((e) => e.event === 'backlog-capped');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].backlog, 65535);
    assert.equal(warnings[0].somaxconn, somaxconn);
    assert.deepEqual(await queues('tcp', String(server.port)), [somaxconn]);
    await server.stop();
  });

  usageErrorTests('server', [
    [['--backlog', '0'], /--backlog.*expected an integer from 1 to 65535/],
    [['--backlog', '65536'], /--backlog.*expected an integer from 1 to 65535/],
    [['--backlog', 'many'], /--backlog.*expected an integer/],
  ]);
});
