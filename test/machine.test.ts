/**
 * src/machine/cpus.ts: the one reader of CPU lists, as the kernel writes
 * them (/proc/PID/status, /sys/devices/system/cpu/online, a trailing newline
 * and all) and as the programs' --cpu options take them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { allowedCpus, cpuRanges, onlineCpus, otherCpus, parseCpuSet } from '../src/machine/cpus.js';

describe('CPU lists', () => {
  it('reads single CPUs and ranges, in order, with the kernel file ending in a newline', () => {
    assert.deepEqual(parseCpuSet('0-2,5\n'), [0, 1, 2, 5]);
    assert.deepEqual(parseCpuSet('7'), [7]);
    assert.equal(parseCpuSet(null), null);
    assert.deepEqual(cpuRanges('0-2,5'), [
      [0, 2],
      [5, 5],
    ]);
  });

  it('keeps a backwards range as written, for the option parser to refuse, and is null on what is no CPU list', () => {
    assert.deepEqual(cpuRanges('3-1'), [[3, 1]]);
    for (const text of ['', '0-', '-1', '0,,1', '0-1-2', 'a', '0 1', '1,2x']) assert.equal(cpuRanges(text), null, JSON.stringify(text));
    assert.throws(() => parseCpuSet('0-'), /not a CPU list: '0-'/);
  });

  it('takes the CPUs of one list out of another', () => {
    assert.equal(otherCpus('0-3', '1,2'), '0,3');
    assert.equal(otherCpus('0-1', '0-1'), null);
    assert.equal(otherCpus(null, '0'), null);
    assert.equal(otherCpus('0-1', undefined), null);
  });

  it("reads this process's allowed CPUs and the machine's online CPUs from the kernel", () => {
    const allowed = allowedCpus('self');
    assert.notEqual(allowed, null);
    const mine = parseCpuSet(allowed);
    const online = onlineCpus();
    assert.ok(mine !== null && mine.length > 0);
    assert.ok(
      mine.every((c) => online.includes(c)),
      `${allowed} within ${online.join(',')}`,
    );
    assert.deepEqual(online, parseCpuSet(readFileSync('/sys/devices/system/cpu/online', 'utf8')));
  });
});
