/**
 * Test helpers: real server processes (bin/server, the compiled build) on
 * ephemeral ports and temporary Unix socket paths, and a raw socket client.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, it } from 'node:test';

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

/**
 * The server's I/O paths, a dimension of the tests that exercise its
 * guarantees: bare accepted handles (the default), net.Socket read into a
 * shared buffer and written to the handle, and net.Socket read and written
 * as Node does by default. `config` is what the server's config line reports.
 */
export const IO_PATHS = [
  { name: 'io handles', args: ['--io', 'handles'], config: { io: 'handles', reads: 'shared', writes: 'direct' } },
  { name: 'io sockets, reads shared, writes direct', args: ['--io', 'sockets', '--reads', 'shared', '--writes', 'direct'], config: { io: 'sockets', reads: 'shared', writes: 'direct' } },
  { name: 'io sockets, reads per-read, writes stream', args: ['--io', 'sockets', '--reads', 'per-read', '--writes', 'stream'], config: { io: 'sockets', reads: 'per-read', writes: 'stream' } },
] as const;

export interface RunningServer {
  proc: ChildProcess;
  port?: number;
  path?: string;
  /** JSON log lines so far. */
  events: Array<Record<string, unknown>>;
  stderr: () => string;
  /** Send a signal (unless one was sent already) and wait for exit; resolves with the exit code and the summary event. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; summary: Record<string, unknown> | undefined }>;
  /** Resolves with the first event of this name (waits for it). */
  waitFor(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Start bin/server with `--json` and the given arguments; resolves once every listener is up. */
export async function startServer(args: string[]): Promise<RunningServer> {
  const proc = spawn(BIN('server'), ['--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Array<Record<string, unknown>> = [];
  let err = '';
  let partial = '';
  const waiters: Array<() => void> = [];
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) if (l.trim() !== '') events.push(JSON.parse(l));
    for (const w of waiters.splice(0)) w();
  });
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const waitFor = (event: string, timeoutMs = 5000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${event}' event within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
      const check = () => {
        const found = events.find((e) => e.event === event);
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        } else waiters.push(check);
      };
      check();
      void exited.then(() => setTimeout(check, 20));
    });
  const expected = (args.includes('--unix') ? 1 : 0) + (args.includes('--port') || !args.includes('--unix') ? 1 : 0);
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (events.filter((e) => e.event === 'listening').length >= expected) resolve();
      else if (proc.exitCode !== null) reject(new Error(`server exited with ${proc.exitCode}: ${err}`));
      else waiters.push(check);
    };
    void exited.then(() => check());
    check();
  });
  const listening = events.filter((e) => e.event === 'listening');
  const tcp = listening.find((e) => e.transport === 'tcp');
  const unix = listening.find((e) => e.transport === 'unix');
  return {
    proc,
    port: tcp?.port as number | undefined,
    path: unix?.path as string | undefined,
    events,
    stderr: () => err,
    waitFor,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!proc.killed && proc.exitCode === null) proc.kill(signal);
      const code = await exited;
      return { code, summary: events.find((e) => e.event === 'summary') };
    },
  };
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
