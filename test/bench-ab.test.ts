/**
 * bench/ab.ts, the A/B harness, at a tiny size (two rounds of 200 round
 * trips): real servers and clients, and the output read back: every side in
 * every round, the order forward then backward (ABBA), the figures numbers,
 * the summary's range the rows', and each side against the first with no
 * interval (two rounds are too few for one). Here the I/O modes and bad
 * usage; the server's settings (admin, rt, gc-flags) in
 * test/bench-ab-server.test.ts, another revision (rev, client-rev) in
 * test/bench-ab-rev.test.ts: three files, as each file must end within the
 * runner's timeout on a loaded machine. The comparison's figures on
 * hand-made rounds: test/bench-ab-versus.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ROOT } from './helpers.js';
import { SCRIPT, ab, checkAbba } from './bench-ab-helpers.js';

describe('bench/ab.ts', () => {
  it('io: the server on handles and on sockets', async () => {
    checkAbba(await ab(['io']), ['handles', 'sockets']);
  });

  it('client-io: the client on handles and on sockets, the server apart on CPU 1', async () => {
    const out = await ab(['client-io', '--cpu', '1', '--client-cpu', '0']);
    assert.match(out.stdout, /bin\/client \(CPU 0\) -> bin\/server \(CPU 1\)/);
    checkAbba(out, ['handles', 'sockets']);
  });

  it('bad usage: exit 2, the reason and the usage line', async () => {
    for (const args of [['nope'], ['rev'], ['io', '--rounds', '0'], ['admin', '--sides', 'off,sometimes']]) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.status, 2, `${args}: ${r.stderr}`);
      assert.match(r.stderr, /^bench\/ab\.ts: .+\nusage: /, `${args}`);
      assert.equal(r.stdout, '');
    }
  });
});
