/**
 * The client and the benchmark as functions: main(argv, io) run in this
 * process against a real server, writing to the streams given and
 * returning the exit code. Run twice in a row, each run is whole and leaves
 * no signal or exit handler behind. So are the saved-results commands
 * (benchmark report, compare, merge), on runs made here.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main as benchmark } from '../src/benchmark/main.js';
import type { ProgramIo } from '../src/cli/program.js';
import { main as client } from '../src/client/main.js';
import { runProbe } from '../src/client/probe.js';
import { type RunningServer, WAIT_MS, startServer, tempDir } from './helpers.js';

/** Streams that keep what is written to them, as a pipe would (not a terminal). */
function captured(): ProgramIo & { out(): string; err(): string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    out: () => out,
    err: () => err,
  };
}

/** The handlers a program installs on the process while it runs. */
const handlers = () => ({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM'), exit: process.listenerCount('exit') });

describe('main(argv, io) in-process', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--port', '0']);
  });
  after(async () => {
    await server.stop();
  });

  it('the client runs twice in a row, each time printing its own --json report on the stdout given', async () => {
    const before = handlers();
    const starts: string[] = [];
    for (const count of [200, 300]) {
      const io = captured();
      const code = await client(['--port', String(server.port), '--count', String(count), '--warmup', '10', '--json'], io);
      assert.equal(code, 0, io.err());
      assert.equal(io.err(), '');
      const lines = io.out().trim().split('\n');
      assert.equal(lines.length, 1);
      const j = JSON.parse(lines[0]);
      assert.equal(j.sent, count + 10);
      assert.equal(j.received, count + 10);
      assert.equal(j.error, null);
      assert.equal(j.options.count, count);
      starts.push(j.meta.startedAt);
      assert.deepEqual(handlers(), before);
    }
    assert.equal(starts.length, 2);
  });

  it('the client writes its live lines and --hlog, and its text report, to the streams given', async () => {
    const hlog = join(tempDir(), 'rtt.hlog');
    const io = captured();
    const code = await client(['--port', String(server.port), '--duration', '0.3', '--warmup', '0', '--interval', '0.1', '--hlog', hlog], io);
    assert.equal(code, 0, io.err());
    assert.match(io.out(), /^tcp:\/\/127\.0\.0\.1:\d+ {2}framing length/);
    assert.match(io.err(), /^rtt +0\.\d s .* msg\/s {2}p50 /m);
    assert.match(readFileSync(hlog, 'utf8'), /^Tag=rtt,/m);
  });

  it("one run's --io sockets does not outlive it: the next run, without it, writes to the handle again", async () => {
    const writes: string[] = [];
    for (const io of ['sockets', 'handles']) {
      const out = captured();
      const code = await client(['--port', String(server.port), '--count', '50', '--warmup', '0', '--io', io, '--json'], out);
      assert.equal(code, 0, out.err());
      writes.push(JSON.parse(out.out()).writes);
    }
    assert.deepEqual(writes, ['stream', 'direct']);
  });

  it('a probe interrupted before its connection is made rejects, and the connection made afterwards is closed', async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPWrap' || r === 'TCPSocketWrap').length;
    const before = sockets();
    const target = { transport: 'tcp' as const, host: '127.0.0.1', port: server.port! };
    const o = { target, framing: 'length' as const, mode: 'fixed' as const, size: 64, response: 'respuesta', count: 10, warmup: 0, targetUs: 1000, timeoutMs: 5000, maxFrame: 1 << 20 };
    await assert.rejects(runProbe({ ...o, signal: AbortSignal.abort('SIGINT') }), /interrupted \(SIGINT\) before the connection was made/);
    // The connection attempt goes on after the rejection; once it is made it must be closed, not kept (it would keep bin/client alive).
    const deadline = Date.now() + WAIT_MS;
    while (sockets() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(sockets() <= before, `a socket is still open (${sockets()} TCP handles, ${before} before)`);
  });

  it('the client returns 2 on bad usage and 0 after --help, the process still running', async () => {
    const bad = captured();
    assert.equal(await client(['--count', '5', '--duration', '1'], bad), 2);
    assert.equal(bad.err(), 'client: error: options --count and --duration: give one, not both\n');
    assert.equal(bad.out(), '');
    const help = captured();
    assert.equal(await client(['--help'], help), 0);
    assert.match(help.out(), /^Usage: client \[options\]/);
    assert.match(help.out(), /--hlog <file>/);
  });

  it('the benchmark runs twice in a row, each time printing its own --json report on the stdout given', async () => {
    const before = handlers();
    for (const connections of ['1', '2']) {
      const io = captured();
      const code = await benchmark(['--port', String(server.port), '-c', connections, '-d', '0.2', '-w', '0', '--json', '--no-progress'], io);
      assert.equal(code, 0, io.err());
      const lines = io.out().trim().split('\n');
      assert.equal(lines.length, 1);
      const j = JSON.parse(lines[0]);
      assert.equal(j.ok, true);
      assert.equal(j.scenarios.length, 1);
      assert.equal(j.scenarios[0].connections, Number(connections));
      assert.equal(j.interrupted, null);
      assert.deepEqual(handlers(), before);
    }
  });

  it('the benchmark prints its table on the stdout given, with --hgrm files', async () => {
    const dir = join(tempDir(), 'hgrm');
    const io = captured();
    const code = await benchmark(['--port', String(server.port), '-c', '1', '-d', '0.2', '-w', '0', '--hgrm', dir, '--ascii'], io);
    assert.equal(code, 0, io.err());
    assert.match(io.out(), /^benchmark {3}tcp:\/\/127\.0\.0\.1:\d+/);
    assert.match(io.out(), /^\| 1 \| +1 \| +1 \| closed \|/m);
    assert.match(io.out(), /^result +ok/m);
    assert.ok(existsSync(join(dir, '01-c1-p1-closed.hgrm')));
  });

  it('the benchmark fails early (exit 1) when --report cannot be written, and returns 2 for a misplaced command', async () => {
    const io = captured();
    const report = join(tempDir(), 'missing', 'run.html');
    assert.equal(await benchmark(['--port', String(server.port), '-d', '0.2', '-w', '0', '--report', report, '--json'], io), 1);
    const j = JSON.parse(io.out());
    assert.equal(j.ok, false);
    assert.match(j.error, /^cannot write --report: ENOENT/);
    assert.match(io.err(), /^benchmark: cannot write --report: ENOENT/);
    const misplaced = captured();
    assert.equal(await benchmark(['-c', '1', 'compare'], misplaced), 2);
    assert.match(misplaced.err(), /^benchmark: error: the command compare comes first/);
    const help = captured();
    assert.equal(await benchmark(['help'], help), 0);
    assert.match(help.out(), /^Usage: benchmark \[options\]/);
  });

  it('benchmark report, compare and merge run twice in a row on kept runs, each writing to the streams given and returning its code', async () => {
    const dir = tempDir();
    const file = (name: string) => join(dir, name);
    // Kept runs, made in-process: two benchmark runs with --json and --hlog, one client run with --json.
    for (const name of ['a', 'b']) {
      const io = captured();
      assert.equal(await benchmark(['--port', String(server.port), '-c', '1', '-d', '0.2', '-w', '0', '--json', '--no-progress', '--hlog', file(`${name}.hlog`)], io), 0, io.err());
      writeFileSync(file(`${name}.json`), io.out());
    }
    const probe = captured();
    assert.equal(await client(['--port', String(server.port), '--count', '200', '--warmup', '10', '--json'], probe), 0, probe.err());
    writeFileSync(file('rtt.json'), probe.out());
    // A run ten times slower than a.json: compare's gate must fail on it.
    const slower = JSON.parse(readFileSync(file('a.json'), 'utf8'));
    for (const s of slower.scenarios) for (const k of Object.keys(s.latencyUs)) s.latencyUs[k] *= 10;
    writeFileSync(file('slower.json'), JSON.stringify(slower));

    const messages = (name: string): number => JSON.parse(readFileSync(file(`${name}.json`), 'utf8')).scenarios[0].messages;
    const before = handlers();
    const exitCodeBefore = process.exitCode;
    const command = async (argv: string[]) => {
      const io = captured();
      const code = await benchmark(argv, io);
      return { code, out: io.out(), err: io.err() };
    };
    for (const round of [1, 2]) {
      const page = file(`report-${round}.html`);
      const report = await command(['report', file('a.json'), file('rtt.json'), file('b.hlog'), '--html', page]);
      assert.deepEqual(report, { code: 0, out: '', err: `benchmark report: 3 runs drawn in ${page}\n` });
      assert.match(readFileSync(page, 'utf8'), /^<!doctype html>/i);
      assert.deepEqual(await command(['report', file('a.json'), '--label', 'x', '--label', 'y', '--html', page]), {
        code: 2,
        out: '',
        err: 'benchmark report: error: 2 labels for 1 run: give at most one --label per run\n',
      });
      const help = await command(['help', 'report']);
      assert.equal(help.code, 0);
      assert.match(help.out, /^Usage: benchmark report \[options\] <run\.\.\.>/);

      const same = await command(['compare', file('a.json'), file('a.json'), '--json']);
      assert.equal(same.code, 0, same.err);
      assert.equal(JSON.parse(same.out).ok, true);
      const worse = await command(['compare', file('a.json'), file('slower.json'), '--ascii']);
      assert.equal(worse.code, 1, worse.err);
      assert.match(worse.out, /^baseline /);
      assert.match(worse.out, /c1-p1-closed/);
      const apart = await command(['compare', file('a.json'), file('rtt.json')]);
      assert.deepEqual(apart, { code: 2, out: '', err: 'benchmark compare: error: no scenario matches: BASELINE ran c1-p1-closed; NEW ran rtt\n' });

      const merged = await command(['merge', file('a.hlog'), file('b.hlog'), '--json']);
      assert.equal(merged.code, 0, merged.err);
      const [tag] = JSON.parse(merged.out).tags;
      assert.equal(tag.tag, 'c1-p1-closed');
      assert.equal(tag.messages, messages('a') + messages('b'));
      const notLog = await command(['merge', file('a.json'), '--json']);
      assert.equal(notLog.code, 2);
      assert.equal(JSON.parse(notLog.out).ok, false);
      assert.match(notLog.err, /^benchmark merge: .*a\.json: not an HdrHistogram interval log /);
      assert.equal(notLog.err.split('\n').length, 2, notLog.err);
    }
    assert.deepEqual(handlers(), before);
    assert.equal(process.exitCode, exitCodeBefore);
  });
});
