/**
 * Errors that help, from the three programs run as a user runs them: a
 * mistyped option gets commander's suggestion and a pointer to --help; a
 * word after `benchmark` that is no command names the commands; `benchmark
 * help [command]`; nothing listening: how to start a server (named as the
 * program was called: in a checkout or installed), or --spawn-server; no
 * right reply: the benchmark names --framing, as the client does; sockperf's
 * own server and several connections: a warning. The stable parts of each
 * message are asserted, not its whole wording.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, type Run, listenRaw, runBin, startServer, tempDir, unusedPort, usageErrorTests } from './helpers.js';

const SHORT = ['--duration', '0.2', '--warmup', '0'];

describe('a mistyped option: the suggestion and --help, in one line, exit 2', () => {
  usageErrorTests('benchmark', [[['--conections', '3'], /^benchmark: error: unknown option '--conections' \(Did you mean --connections\?\); see benchmark --help\n/]]);
  usageErrorTests('client', [[['--cont', '3'], /^client: error: unknown option '--cont' \(Did you mean --count\?\); see client --help\n/]]);
  usageErrorTests('server', [[['--unix-mod', '600'], /^server: error: unknown option '--unix-mod' \(Did you mean --unix-mode\?\); see server --help\n/]]);
  usageErrorTests('benchmark', [
    [['compare', '--max-regresion', '5', 'a', 'b'], /^benchmark compare: error: unknown option '--max-regresion' \(Did you mean --max-regression\?\); see benchmark compare --help\n/],
  ]);
});

describe('benchmark: a word that is no command', () => {
  usageErrorTests('benchmark', [
    [['reprot', 'x.json'], /^benchmark: error: unknown command 'reprot' \(did you mean report\?\): the commands are report, compare, merge and ab; .*see benchmark --help/],
    [['--duration', '1', 'merge', 'a.hlog'], /^benchmark: error: the command merge comes first: benchmark merge /],
    [['help', 'mrege'], /^benchmark: error: unknown command 'mrege' \(did you mean merge\?\)/],
  ]);

  it('help: the run options and the commands; help COMMAND: that command', async () => {
    const run = await runBin('benchmark', ['help']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.startsWith('Usage: benchmark [options]'), run.stdout);
    for (const command of ['report', 'compare', 'merge']) assert.match(run.stdout, new RegExp(`^  ${command} {2,}\\S`, 'm'));
    for (const command of ['report', 'compare', 'merge']) {
      const r = await runBin('benchmark', ['help', command]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.startsWith(`Usage: benchmark ${command} [options]`), r.stdout);
    }
  });
});

/** Run `path` (a launcher, or a link to one) to completion. */
function runPath(path: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(path, args, { timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? null), stdout, stderr }));
  });
}

describe('nothing listening: how to start a server', () => {
  it('benchmark, TCP: the server command for its port and framing, or --spawn-server; one line, and in --json a hint field', async (t) => {
    const port = await unusedPort(t);
    const r = await runBin('benchmark', ['--port', String(port), '--framing', 'line', ...SHORT]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /connect ECONNREFUSED .*\(hint: nothing listens there: start a server \(bin\/server --port \d+ --framing line\), or add --spawn-server/);
    const json = await runBin('benchmark', ['--port', String(port), ...SHORT, '--json']);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout);
    assert.match(report.error, /ECONNREFUSED/);
    assert.equal(report.hint, `nothing listens there: start a server (bin/server --port ${port}), or add --spawn-server to start one for the run`);
  });

  it('benchmark with threads: the reason crosses from the load thread', async (t) => {
    const port = await unusedPort(t);
    const r = await runBin('benchmark', ['--port', String(port), '--threads', '2', '--connections', '2', ...SHORT]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ECONNREFUSED .*\(hint: nothing listens there: start a server \(bin\/server --port \d+\)/);
  });

  it('benchmark, a Unix socket path with no file (ENOENT): the server command for that path', async () => {
    const path = join(tempDir(), 'none.sock');
    const r = await runBin('benchmark', ['--unix', path, '--mode', 'echo', ...SHORT]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(`ENOENT ${path} (hint: nothing listens there: start a server (bin/server --unix ${path} --mode echo), or add --spawn-server`), r.stderr);
  });

  it('client: the server command, no --spawn-server (it has none); in --json a hint field', async (t) => {
    const port = await unusedPort(t);
    const r = await runBin('client', ['--port', String(port), '--response', 'ok there']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.includes(`(hint: nothing listens there: start a server (bin/server --port ${port} --response 'ok there'))`), r.stderr);
    const json = JSON.parse((await runBin('client', ['--port', String(port), '--json'])).stdout);
    assert.equal(json.hint, `nothing listens there: start a server (bin/server --port ${port})`);
  });

  it('installed (called as respuesta-benchmark, as npm links it): respuesta-server, in the hint and in the help', async (t) => {
    const dir = tempDir();
    const link = join(dir, 'respuesta-benchmark');
    symlinkSync(BIN('benchmark'), link);
    const port = await unusedPort(t);
    const r = await runPath(link, ['--port', String(port), ...SHORT]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^respuesta-benchmark: .*\(hint: nothing listens there: start a server \(respuesta-server --port \d+\), or add --spawn-server/);
    const help = await runPath(link, ['--help']);
    assert.match(help.stdout, /--spawn-server +start respuesta-server with/);
    assert.doesNotMatch(help.stdout, /bin\/server/);
    const checkout = await runBin('benchmark', ['--help']);
    assert.match(checkout.stdout, /--spawn-server +start bin\/server with/);
  });
});

describe('no right reply: the benchmark says what to check', () => {
  it('a length benchmark against a line server: the hint names --framing, in the text and in --json', async (t) => {
    const server = await startServer(['--port', '0', '--framing', 'line']);
    t.after(() => server.stop());
    const args = ['--port', String(server.port), '--connections', '2', '--timeout-ms', '300', ...SHORT];
    const text = await runBin('benchmark', args);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^error: scenario 1: connection \d: (no reply within 300 ms|the server closed the connection)/m);
    assert.match(text.stdout, /^hint +no reply came back: check that the server runs with the same --framing \(this benchmark: length\), and --mode\/--response/m);
    const json = JSON.parse((await runBin('benchmark', [...args, '--json'])).stdout);
    assert.match(json.hint, /same --framing \(this benchmark: length\)/);
  });

  it('replies in another framing: the benchmark reads their bytes as the client does (a line where a length was expected)', async (t) => {
    // A peer that answers every read with a line: the benchmark, length-framed, reads "resp" as a length.
    const { port } = await listenRaw(t, (s) => s.on('data', () => s.write('respuesta\n')));
    const args = ['--port', String(port), '--connections', '1', '--timeout-ms', '1000', ...SHORT];
    const text = await runBin('benchmark', args);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^error: scenario 1: connection 1: bad reply stream/m);
    assert.match(text.stdout, /^hint +the 4-byte length reads as text \("resp"\).*--framing line/m);
    const json = JSON.parse((await runBin('benchmark', [...args, '--json'])).stdout);
    assert.match(json.hint, /reads as text \("resp"\)/);
    assert.match(json.scenarios[0].framingHint, /reads as text/);
  });

  it('a clean run has no hint', async (t) => {
    const server = await startServer(['--port', '0']);
    t.after(() => server.stop());
    const json = JSON.parse((await runBin('benchmark', ['--port', String(server.port), '--connections', '1', ...SHORT, '--json'])).stdout);
    assert.equal(json.ok, true);
    assert.equal(json.hint, null);
  });
});

describe("--framing sockperf and several connections: sockperf's own server serves one at a time", () => {
  const warning = /sockperf's own server serves one connection at a time/;

  it('warns once on stderr with more than one connection; not with one, nor with --spawn-server', async (t) => {
    const port = await unusedPort(t);
    const many = await runBin('benchmark', ['--framing', 'sockperf', '--port', String(port), '--connections', '1,4', ...SHORT]);
    assert.equal(many.stderr.split('\n').filter((l) => warning.test(l)).length, 1, many.stderr);
    assert.match(many.stderr, /^benchmark: warning: .*up to 4/m);
    const one = await runBin('benchmark', ['--framing', 'sockperf', '--port', String(port), '--connections', '1', ...SHORT]);
    assert.doesNotMatch(one.stderr, warning);
    const spawned = await runBin('benchmark', ['--framing', 'sockperf', '--spawn-server', '--connections', '2', ...SHORT, '--json']);
    assert.equal(spawned.code, 0, spawned.stderr);
    assert.doesNotMatch(spawned.stderr, warning);
  });
});
