/**
 * bench/ab.ts rev and client-rev at a tiny size: HEAD built in a temporary
 * directory (git archive, then tsc) on this tree's node_modules, as the lock
 * files are the same, so no install runs; then run against this tree, the
 * output read back as test/bench-ab.test.ts reads it.
 */
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ROOT } from './helpers.js';
import { REV_SKIP, ab, checkAbba } from './bench-ab-helpers.js';

describe('bench/ab.ts rev', () => {
  it('rev and client-rev: HEAD built apart, against this tree', { skip: REV_SKIP }, async () => {
    const head = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
    const rev = await ab(['rev', 'HEAD']);
    const here = rev.rows.find((r) => r.label.startsWith('here:'))!.label;
    checkAbba(rev, [`rev:${head}`, here]);
    checkAbba(await ab(['client-rev', 'HEAD']), [`rev:${head}`, here]);
  });
});
