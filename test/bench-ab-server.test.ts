/**
 * bench/ab.ts in the modes that vary the server's settings (the admin port,
 * real-time priority, V8's GC flags), at a tiny size, the output read back
 * as test/bench-ab.test.ts reads it.
 */
import { describe, it } from 'node:test';
import { ab, checkAbba } from './bench-ab-helpers.js';

const ROOT_SKIP = process.getuid?.() === 0 ? false : 'SCHED_FIFO needs root here (CAP_SYS_NICE)';

describe("bench/ab.ts, the server's settings", () => {
  it('admin: the admin port off, and flooded with requests for /metrics', async () => {
    checkAbba(await ab(['admin', '--sides', 'off,flood']), ['off', 'flood'], ['flood']);
  });

  it('gc-flags: the server with no V8 flags and with --single-threaded-gc', async () => {
    checkAbba(await ab(['gc-flags', '--sets', ';--single-threaded-gc']), ['(none)', '--single-threaded-gc']);
  });

  it('rt: the server without and with --rt-priority', { skip: ROOT_SKIP }, async () => {
    checkAbba(await ab(['rt']), ['off', 'fifo']);
  });
});
