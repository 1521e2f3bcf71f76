/**
 * Test helpers: real server processes (bin/server, the compiled build) on
 * ephemeral ports and temporary Unix socket paths, a raw socket client, and
 * the ways a test waits: for an event or a condition, never for a while.
 *
 * Everything a test opens is closed even when the test fails: sockets and
 * in-test servers by the test's own teardown (`t.after`, registered by
 * rawConnect and listenRaw), server processes and programs run with runBin
 * when the file ends. A failed assertion so fails the test at once and
 * leaves nothing that keeps the file from ending.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { type TestContext, after, it } from 'node:test';

import { codecs, frameNumber, type MessageHandler } from '../src/protocol/index.js';
import { type ServerProcess, startServerProcess } from '../src/launch/server.js';

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
    env: {
      ...process.env,
      RESPUESTA_NODE_FLAGS: `--max-semi-space-size=32 --min-semi-space-size=32 --minor-gc-task-trigger=90 --no-memory-reducer ${PERMISSION} --allow-fs-read=* --allow-fs-write=* --allow-child-process`,
    },
  },
] as const;

export type RunningServer = ServerProcess;

const running = new Set<ServerProcess>();
// A test that fails midway leaves its servers running: kill them when the file ends, so it ends.
after(async () => {
  await Promise.all([...running].map((s) => s.stop('SIGKILL')));
});

/** Start bin/server (src/launch/server.ts, as every caller does), in `io.env` if given; killed at the end of the file if still running. */
export async function startServer(args: string[], io?: { env?: NodeJS.ProcessEnv }): Promise<RunningServer> {
  const server = await startServerProcess(args, { env: io?.env });
  running.add(server);
  void server.exited.then(() => running.delete(server));
  return server;
}

/** The nice value of thread `tid` of `pid` (the 19th field of its /proc stat). */
export function threadNice(pid: number, tid: number | string): number {
  return Number(
    readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ')[16],
  );
}

/**
 * How long a test waits for something that should happen (an event, a
 * condition) before it fails naming what it waited for. Generous: on a
 * loaded, shared 2-core machine a reply can take seconds; and well under
 * the runner's per-test timeout (run.sh), so that a failure says what never
 * came instead of only that the test timed out.
 */
export const WAIT_MS = 30_000;
/** How often waitUntil looks at its condition. */
const POLL_MS = 10;

/** `p`, or a rejection naming `what` if it has not settled within `timeoutMs`. */
export function withDeadline<T>(p: Promise<T>, what: string, timeoutMs = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once `cond()` is true, looking every 10 ms: for what no event
 * announces (a count the server reports in its stats, bytes gathered by a
 * listener). Rejects naming `what` after `timeoutMs`.
 */
export async function waitUntil(cond: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const teardowns = new WeakMap<TestContext, Array<() => unknown>>();

/**
 * Run `fn` when test `t` ends, passed or failed. One `t.after` per test runs
 * every teardown registered on it, last first: a test that opens 10 000
 * sockets registers one hook, not 10 000.
 */
export function onTeardown(t: TestContext, fn: () => unknown): void {
  let fns = teardowns.get(t);
  if (fns === undefined) {
    const list: Array<() => unknown> = [];
    teardowns.set(t, list);
    t.after(async () => {
      for (const f of list.reverse()) await f();
    });
    fns = list;
  }
  fns.push(fn);
}

export interface ConnectOptions {
  /** Keep our side open after the server's FIN (net's allowHalfOpen): a peer that never closes. */
  allowHalfOpen?: boolean;
}

/** Connect a raw socket to a running server, over TCP or its Unix socket; destroyed when test `t` ends. */
export function rawConnect(t: TestContext, server: { port?: number; path?: string }, transport: 'tcp' | 'unix' = 'tcp', options: ConnectOptions = {}): Promise<Socket> {
  const allowHalfOpen = options.allowHalfOpen ?? false;
  const s = transport === 'unix' ? connect({ path: server.path!, allowHalfOpen }) : connect({ host: '127.0.0.1', port: server.port!, noDelay: true, allowHalfOpen });
  onTeardown(t, () => s.destroy());
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/** Collect everything a socket sends until it has `n` bytes (resolves with them) or closes (resolves with what came); rejects after `timeoutMs`. */
export function readBytes(s: Socket, n: number, timeoutMs = WAIT_MS): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const stop = () => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('close', done);
    };
    const done = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= n) done();
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out after ${timeoutMs} ms with ${got} of ${n} bytes`));
    }, timeoutMs);
    s.on('data', onData);
    s.once('close', done);
  });
}

/** Resolves when the socket has closed; rejects after `timeoutMs`. */
export function closed(s: Socket, timeoutMs = WAIT_MS): Promise<void> {
  if (s.destroyed && s.closed) return Promise.resolve();
  return withDeadline(new Promise((resolve) => s.once('close', () => resolve())), 'the socket to close', timeoutMs);
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
// Only a test cancelled by the runner's timeout leaves a runBin child running (the others await it): kill it when the file ends.
after(() => {
  for (const p of children) p.kill('SIGKILL');
});

/** Run one of the programs to completion; killed after `timeoutMs`, or when the file ends if still running. */
export function runBin(name: 'server' | 'client' | 'benchmark', args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN(name), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(p);
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    p.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${name} ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    p.once('exit', (code) => {
      children.delete(p);
      clearTimeout(timer);
      // Let the pipes drain.
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

/** Leave a stale Unix socket file at `path`: a process listens on it and is killed with SIGKILL. */
export async function staleSocket(path: string): Promise<void> {
  const p = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  try {
    await withDeadline(new Promise<void>((resolve) => p.stdout.once('data', () => resolve())), `a process to listen on ${path}`);
  } finally {
    p.kill('SIGKILL');
    await exited;
  }
}

/** A pause that is itself what a test does (pacing writes, staying silent): never a way to wait for something to happen. */
export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An in-test TCP server on an ephemeral loopback port, for peers that
 * misbehave on purpose. When test `t` ends it stops listening and destroys
 * every connection it accepted (close() alone would wait for them).
 */
export function listenRaw(t: TestContext, onConnection: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const accepted = new Set<Socket>();
  const server = createServer((s) => {
    accepted.add(s);
    s.once('close', () => accepted.delete(s));
    onConnection(s);
  });
  onTeardown(t, () => {
    for (const s of accepted) s.destroy();
    if (server.listening) server.close();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

/** A loopback TCP port nobody listens on: the kernel's pick, released at once. */
export async function unusedPort(t: TestContext): Promise<number> {
  const { server, port } = await listenRaw(t, () => {});
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * The TCP port child `proc` listens on, once it listens: for a server that
 * is given port 0 but reports the port it got nowhere a test can read it
 * (sockperf). Read from /proc: the inodes of its sockets
 * (/proc/PID/fd), then the LISTEN row with one of them (/proc/net/tcp).
 * Rejects if the process exits first, or after `timeoutMs`.
 */
export async function listeningPort(proc: ChildProcess, what: string, timeoutMs = WAIT_MS): Promise<number> {
  let port: number | undefined;
  await waitUntil(
    () => {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited (${proc.exitCode ?? proc.signalCode}) before listening`);
      port = tcpListenPort(proc.pid!);
      return port !== undefined;
    },
    `${what} listens`,
    timeoutMs,
  );
  return port!;
}

const TCP_LISTEN = '0A';

function tcpListenPort(pid: number): number | undefined {
  return boundPort(pid, ['/proc/net/tcp', '/proc/net/tcp6'], TCP_LISTEN);
}

/**
 * The local port of a socket process `pid` holds, read from /proc: its
 * socket inodes, then the first of `tables` (/proc/net/tcp, udp...) that
 * lists one of them (in `state`, when given: TCP's listening is 0A).
 * Undefined while it holds none (not started yet, or gone: the caller checks).
 */
export function boundPort(pid: number, tables: string[], state?: string): number | undefined {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m !== null) inodes.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return undefined;
  }
  for (const table of tables) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6
    }
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && (state === undefined || f[3] === state) && inodes.has(f[9])) return parseInt(f[1].split(':')[1], 16);
    }
  }
  return undefined;
}

/**
 * bin/server with its text log, as a person runs it: stdout and stderr
 * collected, resolved once the ready line is out; killed after test `t`.
 */
export async function textServer(t: TestContext, args: string[]): Promise<{ proc: ChildProcess; exited: Promise<unknown[]>; out: () => string; err: () => string }> {
  const proc = spawn(BIN('server'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(proc, 'exit');
  onTeardown(t, () => proc.kill('SIGKILL'));
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  await waitUntil(() => /^ready: .*\n/m.test(out), 'the ready line');
  return { proc, exited, out: () => out, err: () => err };
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

/** `n` length-framed messages whose 8-byte payload is their index, big-endian (src/protocol/length.ts). */
export { numberedFrames as numbered } from '../src/protocol/index.js';

/**
 * Read echo replies of `numbered` messages from a socket and check they come
 * back complete and in order; resolves with how many arrived before the
 * socket closed or `expected` were seen.
 */
export function readNumbered(s: Socket, expected: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let next = 0;
    const handler: MessageHandler = {
      onMessage(buf, start, end) {
        if (frameNumber(buf, start, end) !== next) reject(new Error(`reply ${next} is wrong or out of order`));
        next++;
      },
    };
    const decoder = codecs.length.createDecoder(handler, 1024);
    const onData = (chunk: Buffer) => {
      decoder.push(chunk, 0, chunk.length);
      if (next >= expected) done();
    };
    const done = () => {
      s.off('data', onData);
      resolve(next);
    };
    s.on('data', onData);
    s.once('close', done);
    s.resume();
  });
}
