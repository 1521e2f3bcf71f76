/**
 * The package as a user gets it: `npm pack` (whose prepack script builds
 * dist/), `npm install -g` of the tarball into a temporary prefix, then the
 * installed commands, found on PATH, run from a directory that is not the
 * checkout: --version, --help, and a short exchange between the installed
 * server and client.
 *
 * The pack runs in a copy of the checkout: prepack deletes and rebuilds
 * dist/, and doing that in the checkout would pull dist/ from under the test
 * files that run beside this one. The install fetches the dependencies from
 * the npm registry (or npm's cache); when npm cannot reach it, the test is
 * skipped with the reason.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServerProcess } from '../src/launch/server.js';
import { ROOT, runBin } from './helpers.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const PROGRAMS = ['server', 'client', 'benchmark'] as const;
/** What a checkout has that a copy to pack from must not: installed modules, builds, results, git. */
const NOT_COPIED = new Set(['node_modules', 'dist', 'results', '.git']);
/** npm's errors when it cannot reach the registry (getaddrinfo, connect, proxy, TLS interception aside). */
const OFFLINE = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED)\b/;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `cmd` to completion (killed after `timeoutMs`); resolves whatever its exit status, and with code null when it could not start. */
function run(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err === null) return resolve({ code: 0, signal: null, stdout, stderr });
      // A number: the exit status; a string: why it did not start (ENOENT); neither: killed (the timeout).
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string') return resolve({ code: null, signal: null, stdout, stderr: `${cmd}: ${code}: ${err.message}` });
      resolve({ code: typeof code === 'number' ? code : null, signal: (err as { signal?: NodeJS.Signals }).signal ?? null, stdout, stderr });
    });
  });
}

const firstLine = (s: string) => s.trim().split('\n')[0] ?? '';
/** npm's line that names the request it could not make and why (`FetchError: request to URL failed, reason: ...`), else its first. */
const offlineReason = (stderr: string) => stderr.split('\n').find((l) => l.includes('request to')) ?? firstLine(stderr);

describe('package', () => {
  it('installs with npm and runs from any directory as respuesta-server, respuesta-client, respuesta-benchmark', async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'respuesta-pkg-'));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const copy = join(work, 'checkout');
    const prefix = join(work, 'prefix');
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(elsewhere);
    // Only the top-level folders of NOT_COPIED: src/results is source, results/ the demo's kept runs.
    cpSync(ROOT, copy, { recursive: true, filter: (src) => !(NOT_COPIED.has(relative(ROOT, src)) || src.endsWith('.tgz') || src.endsWith('.hgrm')) });
    // tsc for the prepack script, from the checkout's modules.
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(copy, 'node_modules'));

    // Building dist/ (tsc) takes about 3 s on an idle 2-core machine; 30 s leaves room for a loaded one.
    const pack = await run('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], { cwd: copy, timeoutMs: 30_000 });
    if (pack.code === null && pack.signal === null) return t.skip(`npm cannot run: ${firstLine(pack.stderr)}`);
    assert.equal(pack.code, 0, pack.stderr);
    const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed.files.map((f) => f.path);
    for (const needed of [
      'assets/report.js',
      'assets/report.css',
      'bin/server',
      'bin/launch.sh',
      'dist/server/main.js',
      'dist/client/main.js',
      'dist/benchmark/worker.js',
      'LICENSE',
      'README.md',
    ]) {
      assert.ok(files.includes(needed), `the tarball lacks ${needed}`);
    }
    assert.deepEqual(
      files.filter((f) => /^(src|test|bench|\.ci)\//.test(f) || f.endsWith('.map')),
      [],
      'the tarball ships only what a user runs',
    );

    // npm fetches 14 small dependencies: about 1 s from a warm cache, a few more from a cold one. The timeout is
    // generous (80 s) and only keeps a stalled registry from hanging the test until the runner's own timeout (run.sh).
    // A registry that refuses or cannot be resolved fails fast: one retry after 1-2 s, not npm's default of 2 after 10-60 s
    // for each of the dependencies in turn (over 100 s); one that drops packets gives up after 15 s a request.
    const flags = [
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--prefer-offline',
      '--fetch-retries=1',
      '--fetch-retry-mintimeout=1000',
      '--fetch-retry-maxtimeout=2000',
      '--fetch-timeout=15000',
    ];
    const install = await run('npm', ['install', '-g', '--prefix', prefix, join(work, packed.filename), ...flags], { cwd: work, timeoutMs: 80_000 });
    if (install.code !== 0 && OFFLINE.test(install.stderr)) return t.skip(`npm cannot reach the registry: ${offlineReason(install.stderr)}`);
    if (install.code === null && install.signal !== null) return t.skip('npm install did not finish within 80 s: the registry is unreachable or too slow');
    assert.equal(install.code, 0, install.stderr);

    // The commands found on PATH as a user's shell finds them: symlinks into the installed package, not the checkout.
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` };
    delete env.RESPUESTA_PROGRAM;
    const installed = realpathSync(join(prefix, 'lib', 'node_modules', 'respuesta'));
    for (const p of PROGRAMS) {
      const name = `respuesta-${p}`;
      assert.equal(realpathSync(join(prefix, 'bin', name)), join(installed, 'bin', p));
      const version = await run(name, ['--version'], { cwd: elsewhere, env, timeoutMs: 30_000 });
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout, `${VERSION}\n`);
      const help = await run(name, ['--help'], { cwd: elsewhere, env, timeoutMs: 30_000 });
      assert.equal(help.code, 0, help.stderr);
      assert.ok(help.stdout.startsWith(`Usage: ${name} [options]`), firstLine(help.stdout));
      assert.match(help.stdout, new RegExp(`^  \\$ ${name} `, 'm'), 'the examples name the installed command');
      assert.doesNotMatch(help.stdout, new RegExp(`\\$ ${p} `), 'no example names the checkout command');
      assert.doesNotMatch(help.stdout, /bin\/(server|client|benchmark)\b/, "no text names a checkout's launcher (--spawn-server: respuesta-server)");
    }

    const server = await startServerProcess(['--port', '0'], { command: 'respuesta-server', cwd: elsewhere, env });
    t.after(() => server.stop('SIGKILL'));
    // --report: the page's own script and style (assets/) and uPlot come with the package.
    const client = await run('respuesta-client', ['--port', String(server.port), '--count', '100', '--warmup', '0', '--json', '--report', 'rtt.html'], { cwd: elsewhere, env, timeoutMs: 30_000 });
    assert.equal(client.code, 0, client.stderr);
    const report = JSON.parse(client.stdout) as { sent: number; received: number; errors: number };
    assert.deepEqual({ sent: report.sent, received: report.received, errors: report.errors }, { sent: 100, received: 100, errors: 0 });
    assert.match(readFileSync(join(elsewhere, 'rtt.html'), 'utf8'), /uPlot/);
    const stopped = await server.stop('SIGTERM');
    assert.equal(stopped.code, 0, server.stderr());
    assert.equal(stopped.summary?.messages, 100);
  });

  it('names the checkout commands as they are called there, with the same version', async () => {
    for (const p of PROGRAMS) {
      const help = await runBin(p, ['--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.ok(help.stdout.startsWith(`Usage: ${p} [options]`), firstLine(help.stdout));
      assert.match(help.stdout, new RegExp(`^  \\$ ${p}\\b`, 'm'));
      const version = await runBin(p, ['-V']);
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout, `${VERSION}\n`);
    }
  });
});
