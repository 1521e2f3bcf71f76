/**
 * `benchmark ab`'s parts that need no server: the endpoint words
 * (endpoints.ts) and the rounds (ab-rounds.ts) driven by a stand-in for the
 * benchmark's run that answers with canned reports, so that the order, the
 * options each side-run gets, a failure and an interrupt are seen exactly.
 * The command on real servers: ab-command.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProgramIo } from '../src/cli/program.js';
import { type SideRun, roundOrder, runRounds } from '../src/results/ab-rounds.js';
import { parseEndpoint, targetArgs } from '../src/results/endpoints.js';

describe('ab endpoints', () => {
  it('reads tcp://, tcp://[v6], unix: (and unix:///) and udp:// into targets', () => {
    assert.deepEqual(parseEndpoint('tcp://127.0.0.1:8080'), { transport: 'tcp', host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseEndpoint('tcp://localhost:1'), { transport: 'tcp', host: 'localhost', port: 1 });
    assert.deepEqual(parseEndpoint('tcp://[::1]:65535'), { transport: 'tcp', host: '::1', port: 65535 });
    assert.deepEqual(parseEndpoint('unix:/tmp/a b.sock'), { transport: 'unix', path: '/tmp/a b.sock' });
    assert.deepEqual(parseEndpoint('unix:///tmp/s.sock'), { transport: 'unix', path: '/tmp/s.sock' });
    assert.deepEqual(parseEndpoint('udp://10.0.0.2:11111'), { transport: 'udp', host: '10.0.0.2', port: 11111 });
  });

  it('refuses every other word', () => {
    for (const word of [
      '',
      '8080',
      'localhost:8080',
      'http://127.0.0.1:8080',
      'tcp://127.0.0.1',
      'tcp://127.0.0.1:0',
      'tcp://127.0.0.1:65536',
      'tcp://127.0.0.1:80x',
      'tcp://::1:8080',
      'tcp://[localhost]:8080',
      'tcp://:8080',
      'unix:',
      'unix:relative.sock',
      'unix://host/tmp/s.sock',
      'udp://[::1]',
      '--port',
    ]) {
      assert.equal(parseEndpoint(word), null, word);
    }
  });

  it("gives each target the run's options that point at it", () => {
    assert.deepEqual(targetArgs({ transport: 'tcp', host: '::1', port: 9 }), ['--host', '::1', '--port', '9']);
    assert.deepEqual(targetArgs({ transport: 'unix', path: '/tmp/s' }), ['--unix', '/tmp/s']);
    assert.deepEqual(targetArgs({ transport: 'udp', host: '127.0.0.1', port: 9 }), ['--udp', '--host', '127.0.0.1', '--port', '9']);
  });
});

/** The streams of a call, kept. */
function capture(): ProgramIo & { err: () => string } {
  let err = '';
  return { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, err: () => err };
}

/** A stand-in for the benchmark's run: records each call's words and answers with `answer(call number from 1, words)` written to its stdout. */
function standIn(answer: (n: number, argv: string[]) => { code: number; out: string; err?: string }): { run: SideRun; calls: string[][] } {
  const calls: string[][] = [];
  const run: SideRun = async (argv, io) => {
    calls.push(argv);
    const a = answer(calls.length, argv);
    io.stdout.write(a.out);
    if (a.err !== undefined) io.stderr.write(a.err);
    return a.code;
  };
  return { run, calls };
}

/** A report as the run prints it with --json, clean, naming where it ran. */
const report = (argv: string[]) => `${JSON.stringify({ ok: true, failure: null, hint: null, address: argv.slice(0, 4).join(' '), scenarios: [] })}\n`;

const A = { transport: 'tcp', host: '127.0.0.1', port: 1111 } as const;
const B = { transport: 'unix', path: '/tmp/b.sock' } as const;

describe('ab rounds', () => {
  it('ABBA: A first in odd rounds, B first in even ones', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(roundOrder), [
      ['A', 'B'],
      ['B', 'A'],
      ['A', 'B'],
      ['B', 'A'],
      ['A', 'B'],
    ]);
  });

  it("runs each side in that order with its target, the run options and --json, and keeps each side's report in its round", async () => {
    const { run, calls } = standIn((_, argv) => ({ code: 0, out: report(argv) }));
    const io = capture();
    const r = await runRounds('benchmark ab', { a: A, b: B }, ['-c', '1', '-d', '0.2'], 4, io, run);
    assert.equal(r.failure, null);
    assert.equal(r.interrupted, null);
    const tcp = ['--host', '127.0.0.1', '--port', '1111', '-c', '1', '-d', '0.2', '--json'];
    const unix = ['--unix', '/tmp/b.sock', '-c', '1', '-d', '0.2', '--json'];
    assert.deepEqual(calls, [tcp, unix, unix, tcp, tcp, unix, unix, tcp]);
    assert.deepEqual(
      r.rounds.map((x) => [x.round, x.order.join('')]),
      [
        [1, 'AB'],
        [2, 'BA'],
        [3, 'AB'],
        [4, 'BA'],
      ],
    );
    for (const x of r.rounds) {
      assert.equal(x.a.address, '--host 127.0.0.1 --port 1111');
      assert.equal(x.b.address, '--unix /tmp/b.sock -c 1');
    }
    const lines = io.err().trimEnd().split('\n');
    assert.equal(lines.length, 8);
    assert.equal(lines[2], 'round 2/4  B  unix:/tmp/b.sock  done');
    assert.equal(lines[3], 'round 2/4  A  tcp://127.0.0.1:1111  done');
  });

  it('warm-up rounds run first, in the same order, and are not kept; a failure in one says so', async () => {
    const { run, calls } = standIn((n) => ({ code: 0, out: `${JSON.stringify({ ok: true, failure: null, hint: null, address: String(n), scenarios: [] })}\n` }));
    const io = capture();
    const r = await runRounds('benchmark ab', { a: A, b: B }, [], 2, io, run, 2);
    assert.equal(calls.length, 8);
    assert.deepEqual(
      r.rounds.map((x) => [x.round, x.order.join('')]),
      [
        [1, 'AB'],
        [2, 'BA'],
      ],
    );
    // The kept reports are the measured side-runs' (calls 5 to 8), not the warm-up's.
    assert.deepEqual(
      r.rounds.map((x) => x.a.address),
      ['5', '8'],
    );
    assert.deepEqual(io.err().trimEnd().split('\n').slice(0, 5), [
      'warm-up 1/2  A  tcp://127.0.0.1:1111  done',
      'warm-up 1/2  B  unix:/tmp/b.sock  done',
      'warm-up 2/2  B  unix:/tmp/b.sock  done',
      'warm-up 2/2  A  tcp://127.0.0.1:1111  done',
      'round 1/2  A  tcp://127.0.0.1:1111  done',
    ]);
    const failing = await runRounds('ab', { a: A, b: B }, [], 2, capture(), standIn(() => ({ code: 1, out: '' })).run, 1);
    assert.equal(failing.failure, 'side A (tcp://127.0.0.1:1111) failed in warm-up round 1: exit 1, no report');
  });

  it('a side-run that fails stops the rounds, with one line naming the side, its endpoint, the round and the run failure', async () => {
    const failed = JSON.stringify({ ok: false, failure: 'scenario 1: cannot connect to unix:/tmp/b.sock: connect ENOENT', hint: 'nothing listens there', scenarios: [] });
    const { run, calls } = standIn((n, argv) => (n === 4 ? { code: 1, out: failed } : { code: 0, out: report(argv) }));
    const r = await runRounds('benchmark ab', { a: A, b: B }, [], 6, capture(), run);
    assert.equal(calls.length, 4);
    assert.equal(r.rounds.length, 1);
    assert.equal(r.failure, 'side A (tcp://127.0.0.1:1111) failed in round 2: scenario 1: cannot connect to unix:/tmp/b.sock: connect ENOENT (hint: nothing listens there)');
  });

  it('a run that exits 0 with a scenario not clean is a failure too, and one that printed no report fails with its line', async () => {
    const wrong = JSON.stringify({ ok: false, failure: null, hint: null, scenarios: [{ failure: null, errors: 3, wrong: 3, lost: 0, sloBreaches: [], messages: 10 }] });
    let r = await runRounds('ab', { a: A, b: B }, [], 2, capture(), standIn(() => ({ code: 1, out: wrong })).run);
    assert.equal(r.failure, 'side A (tcp://127.0.0.1:1111) failed in round 1: scenario 1: 3 errors (3 wrong replies, 0 lost)');
    r = await runRounds(
      'ab',
      { a: A, b: B },
      [],
      2,
      capture(),
      standIn((n, argv) => (n === 1 ? { code: 0, out: report(argv) } : { code: 1, out: '', err: '\n\x1b[31mbenchmark: cannot write\x1b[0m\n' })).run,
    );
    assert.equal(r.failure, 'side B (unix:/tmp/b.sock) failed in round 1: benchmark: cannot write');
  });

  it('a side-run stopped by a signal (130, 143) stops the rounds; its round is not complete and is left out', async () => {
    for (const [code, signal] of [
      [130, 'SIGINT'],
      [143, 'SIGTERM'],
    ] as const) {
      const { run, calls } = standIn((n, argv) => ({ code: n === 4 ? code : 0, out: report(argv) }));
      const io = capture();
      const r = await runRounds('ab', { a: A, b: B }, [], 6, io, run);
      assert.equal(calls.length, 4);
      assert.equal(r.failure, null);
      assert.equal(r.interrupted, signal);
      assert.deepEqual(
        r.rounds.map((x) => x.round),
        [1],
      );
      assert.match(io.err(), /round 2\/6 {2}A {2}tcp:\/\/127\.0\.0\.1:1111 {2}interrupted\n$/);
    }
  });
});
