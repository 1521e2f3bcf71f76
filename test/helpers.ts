/**
 * Test helpers: real server processes (bin/server, the compiled build) on
 * ephemeral ports and temporary Unix socket paths, and a raw socket client.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, it } from 'node:test';

import { type ServerProcess, startServerProcess } from '../src/server/spawn.js';

export { waitForPort } from '../bench/lib.js';

export const ROOT = new URL('..', import.meta.url).pathname;
export const BIN = (name: 'server' | 'client' | 'benchmark') => join(ROOT, 'bin', name);

const tmpDirs: string[] = [];
after(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory, removed when the test file ends. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'respuesta-test-'));
  tmpDirs.push(d);
  return d;
}

/** The permission model's flag: `--permission` from Node 22.13/23.5, `--experimental-permission` before. */
const PERMISSION = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';

/**
 * The server's two I/O paths, a dimension of the tests of its guarantees:
 * Node's internals (bare accepted handles; the default), and the public
 * `net.Socket` path as a Node without those internals would take it. That
 * one is not forced with `--io sockets` but reached as the real fallback:
 * under the permission model `process.binding` throws ERR_ACCESS_DENIED, so
 * binding.ts finds no internals. `config` is what the config line reports.
 */
export const IO_PATHS = [
  { name: 'io handles', config: 'handles', env: undefined },
  {
    name: 'io sockets, internals refused',
    config: 'sockets',
    env: { ...process.env, RESPUESTA_NODE_FLAGS: `--max-semi-space-size=2 --min-semi-space-size=2 ${PERMISSION} --allow-fs-read=* --allow-fs-write=* --allow-child-process` },
  },
] as const;

export type RunningServer = ServerProcess;

const running = new Set<ServerProcess>();
// A test that fails midway leaves its servers running: kill them when the file ends, so it ends.
after(async () => {
  await Promise.all([...running].map((s) => s.stop('SIGKILL')));
});

/** Start bin/server (src/server/spawn.ts, as every caller does), in `io.env` if given; killed at the end of the file if still running. */
export async function startServer(args: string[], io?: { env?: NodeJS.ProcessEnv }): Promise<RunningServer> {
  const server = await startServerProcess(args, { env: io?.env });
  running.add(server);
  void server.exited.then(() => running.delete(server));
  return server;
}

/** Connect a raw socket to a running server, over TCP or its Unix socket. */
export function rawConnect(server: { port?: number; path?: string }, transport: 'tcp' | 'unix' = 'tcp'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = transport === 'unix' ? connect(server.path!) : connect({ host: '127.0.0.1', port: server.port!, noDelay: true });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/** Collect everything a socket sends until it has `n` bytes (resolves with them) or closes (resolves with what came). */
export function readBytes(s: Socket, n: number, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const done = () => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', done);
      resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= n) done();
    };
    const timer = setTimeout(() => {
      s.off('data', onData);
      reject(new Error(`timed out with ${got} of ${n} bytes`));
    }, timeoutMs);
    s.on('data', onData);
    s.once('close', done);
  });
}

/** Resolves when the socket has closed; `hadError` tells whether by reset. */
export function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed && s.closed ? resolve() : s.once('close', () => resolve())));
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run one of the programs to completion. */
export function runBin(name: 'server' | 'client' | 'benchmark', args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN(name), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    p.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${name} ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    p.once('exit', (code) => {
      clearTimeout(timer);
      // Let the pipes drain.
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

/** Leave a stale Unix socket file at `path`: a process listens on it and is killed with SIGKILL. */
export async function staleSocket(path: string): Promise<void> {
  const p = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => p.stdout.once('data', () => resolve()));
  p.kill('SIGKILL');
  await new Promise<void>((resolve) => p.once('exit', () => resolve()));
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An in-test TCP server on an ephemeral loopback port, for peers that misbehave on purpose. */
export function listenRaw(onConnection: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer(onConnection);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

/**
 * One test per bad command line of `name`: exit 2, one line on stderr that
 * matches its pattern, nothing on stdout (so a server listened on nothing).
 */
export function usageErrorTests(name: 'server' | 'client' | 'benchmark', cases: Array<[string[], RegExp]>): void {
  for (const [args, message] of cases) {
    it(args.join(' ').slice(0, 60), async () => {
      const r = await runBin(name, args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(r.stdout, '');
    });
  }
}
