/**
 * `--workers`: several server processes on one address (src/server/primary.ts).
 * Each test runs on both distributions this Node has: SO_REUSEPORT (Linux,
 * Node 22.12+; skipped, saying so, on an older Node) and the cluster
 * module, forced with --distribution cluster.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { codecs } from '../src/protocol/index.js';
import { reusePortAvailable } from '../src/server/workers.js';
import { BIN, IO_PATHS, type RunningServer, numbered, rawConnect, readBytes, readNumbered, startServer, tempDir, usageErrorTests, waitUntil, withDeadline } from './helpers.js';

const REUSEPORT_SKIP = reusePortAvailable() ? false : `reuseport needs Linux and Node 22.12+ or 23.1+; this is Node ${process.versions.node} on ${process.platform}`;
const DISTRIBUTIONS = [
  { name: 'reuseport', args: ['--distribution', 'reuseport'], skip: REUSEPORT_SKIP },
  { name: 'cluster', args: ['--distribution', 'cluster'], skip: false },
] as const;

type WorkerFigures = { worker: number; pid: number; connections: number; messages: number };

function workerPids(server: RunningServer): number[] {
  return server.events.filter((e) => e.event === 'worker-ready').map((e) => e.pid as number);
}

/**
 * A connection doing round trips one at a time (echo mode, numbered
 * messages), checking that each reply is the one it waits for, until told
 * to stop or the server closes it.
 */
class Pinger {
  sent = 0;
  received = 0;
  closed = false;
  private wake: (() => void) | null = null;

  constructor(readonly socket: Socket) {
    const decoder = codecs.length.createDecoder(
      {
        onMessage: (buf, start, end) => {
          if (end - start !== 8 || buf.readBigUInt64BE(start) !== BigInt(this.received)) throw new Error(`reply ${this.received} is wrong`);
          this.received++;
          this.wake?.();
        },
      },
      1024,
    );
    socket.on('data', (c: Buffer) => decoder.push(c, 0, c.length));
    socket.on('error', () => {}); // a killed worker's connections are reset
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** Round trips until `stop()` is true or the connection closes. */
  async run(stop: () => boolean): Promise<void> {
    const message = Buffer.alloc(12);
    message.writeUInt32BE(8, 0);
    while (!stop() && !this.closed) {
      message.writeBigUInt64BE(BigInt(this.sent), 4);
      this.sent++;
      this.socket.write(message);
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}

describe('two workers on one address', () => {
  for (const d of DISTRIBUTIONS) {
    for (const io of IO_PATHS) {
      it(`100 connections over TCP and a Unix socket reach both workers, each answered (${d.name}, ${io.name})`, { skip: d.skip }, async (t) => {
        const path = join(tempDir(), 'w.sock');
        const server = await startServer(['--workers', '2', '--port', '0', '--unix', path, '--mode', 'echo', ...d.args], io);
        const config = server.events.find((e) => e.event === 'config')!;
        assert.equal(config.workers, 2);
        assert.equal(config.distribution, d.name);
        assert.equal(config.io, io.config);
        const ready = server.events.filter((e) => e.event === 'worker-ready');
        assert.equal(ready.length, 2);
        for (const r of ready) assert.equal(r.io, io.config, 'each worker uses the I/O path the config line names');
        assert.equal(server.events.filter((e) => e.event === 'ready').length, 1);
        const socks = await Promise.all(Array.from({ length: 100 }, (_, i) => rawConnect(t, server, i % 5 === 4 ? 'unix' : 'tcp')));
        await Promise.all(
          socks.map(async (s, i) => {
            const m = numbered(i + 1).subarray(i * 12);
            s.write(m);
            assert.deepEqual(await readBytes(s, 12), m);
          }),
        );
        for (const s of socks) s.destroy();
        const { code, summary } = await server.stop();
        assert.equal(code, 0);
        assert.equal(summary!.connections, 100);
        assert.equal(summary!.messages, 100);
        const workers = summary!.workers as WorkerFigures[];
        assert.deepEqual(workers.map((w) => w.worker).sort(), [1, 2]);
        assert.deepEqual(workers.map((w) => w.pid).sort(), workerPids(server).sort());
        for (const w of workers) assert.ok(w.connections > 0, `worker ${w.worker} took no connection: ${JSON.stringify(workers)}`);
        assert.equal(existsSync(path), false, 'the socket file is removed');
      });
    }
  }

  it('--workers 1 (the default) is the server alone: no primary, no worker lines', async () => {
    const server = await startServer(['--port', '0']);
    const config = server.events.find((e) => e.event === 'config')!;
    assert.equal(config.pid, server.pid);
    assert.equal(config.workers, undefined);
    assert.equal(server.events.filter((e) => e.event === 'worker-ready').length, 0);
    assert.equal((await server.stop()).code, 0);
  });

  it('--cpu 0,1 pins one worker to each CPU', { skip: availableParallelism() < 2 && `this process may use ${availableParallelism()} CPU` }, async (t) => {
    const server = await startServer(['--workers', '2', '--port', '0', '--cpu', '0,1']);
    const cpus = server.events
      .filter((e) => e.event === 'worker-ready')
      .map((e) => e.cpus)
      .sort();
    assert.deepEqual(cpus, ['0', '1']);
    const s = await rawConnect(t, server);
    s.write(codecs.length.frame(Buffer.from('x')));
    assert.equal((await readBytes(s, 13)).length, 13);
    s.destroy();
    assert.equal((await server.stop()).code, 0);
  });

  it('text form: one config line, a line per worker, one ready line, one summary', async () => {
    const p = spawn(BIN('server'), ['--workers', '2', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise<number | null>((resolve) => p.once('exit', resolve));
    try {
      await waitUntil(() => out.includes('\nready: '), 'the ready line');
    } finally {
      p.kill('SIGTERM');
    }
    assert.equal(await withDeadline(exited, 'the server to exit'), 0);
    const lines = out.trim().split('\n');
    assert.equal(lines.filter((l) => l.startsWith('respuesta server pid ')).length, 1, out);
    assert.match(lines[0], / workers=2 \(tcp: (reuseport|cluster round-robin)\) /);
    assert.equal(lines.filter((l) => /^worker \d pid \d+: listening on tcp:\/\/127\.0\.0\.1:\d+ /.test(l)).length, 2, out);
    assert.equal(lines.filter((l) => l.startsWith('ready: tcp://127.0.0.1:')).length, 1, out);
    assert.equal(lines.filter((l) => l.startsWith('summary: ')).length, 1, out);
    assert.match(lines.at(-1)!, /^summary: .*; 2 workers$/);
  });
});

describe('a worker that dies', () => {
  for (const d of DISTRIBUTIONS) {
    it(`kill -9 of one worker under load: the other's connections lose nothing, the listener stays up, a new worker takes new connections (${d.name})`, { skip: d.skip }, async (t) => {
      const server = await startServer(['--workers', '2', '--port', '0', '--mode', 'echo', ...d.args]);
      const [, victim] = workerPids(server);
      const pingers = (await Promise.all(Array.from({ length: 40 }, () => rawConnect(t, server)))).map((s) => new Pinger(s));
      let stop = false;
      const loops = pingers.map((p) => p.run(() => stop));
      await waitUntil(() => pingers.every((p) => p.received >= 10), 'every connection to make 10 round trips');

      process.kill(victim, 'SIGKILL');
      const exit = await server.waitFor('worker-exit');
      assert.equal(exit.pid, victim);
      assert.equal(exit.signal, 'SIGKILL');
      // The killed worker's connections close, having made at most the round trip in flight then; the others go on, 100 more each.
      const mark = pingers.map((p) => p.received);
      await waitUntil(() => pingers.every((p, i) => p.closed || p.received >= mark[i] + 100), 'each connection to close or make 100 more round trips');
      const survivors = pingers.filter((p) => !p.closed);
      for (const [i, p] of pingers.entries()) if (p.closed) assert.ok(p.received <= mark[i] + 1, `a connection made ${p.received - mark[i]} round trips after the kill, then was closed`);
      // The listener is up all along: new connections are answered, before and after the new worker.
      const fresh = async (n: number) => {
        const ps = (await Promise.all(Array.from({ length: n }, () => rawConnect(t, server)))).map((s) => new Pinger(s));
        await Promise.all(ps.map((p) => p.run(() => p.received >= 3)));
        for (const p of ps) assert.equal(p.received, 3, 'a new connection is answered');
        for (const p of ps) p.socket.destroy();
      };
      await fresh(10);
      await waitUntil(() => workerPids(server).length === 3, 'a new worker to listen');
      const newcomer = workerPids(server)[2];
      await fresh(100);

      stop = true;
      await Promise.all(loops);
      for (const p of survivors) {
        assert.equal(p.closed, false, 'a connection of the surviving worker was closed');
        assert.equal(p.received, p.sent, 'a connection of the surviving worker lost a reply');
      }
      const lost = pingers.filter((p) => p.closed).length;
      assert.ok(survivors.length > 0 && lost > 0, `${survivors.length} survivors, ${lost} lost with the killed worker`);
      for (const p of pingers) p.socket.destroy();

      const { code, summary } = await server.stop();
      assert.equal(code, 0);
      assert.equal(summary!.workerDeaths, 1);
      const workers = summary!.workers as WorkerFigures[];
      assert.equal(workers.length, 2, 'the survivor and the newcomer report; the killed one cannot');
      assert.ok(workers.find((w) => w.pid === newcomer)!.connections > 0, 'the new worker took connections');
    });
  }
});

describe('shutdown with workers', () => {
  for (const d of DISTRIBUTIONS) {
    for (const transport of ['tcp', 'unix'] as const) {
      it(`SIGTERM during pipelined bursts on 16 connections over ${transport}, 2 workers (${d.name}): every message taken is answered; one summary; exit 0`, { skip: d.skip }, async (t) => {
        const path = join(tempDir(), 'burst.sock');
        const listen = transport === 'unix' ? ['--unix', path] : ['--port', '0'];
        const server = await startServer(['--workers', '2', ...listen, '--mode', 'echo', ...d.args]);
        const socks = await Promise.all(Array.from({ length: 16 }, () => rawConnect(t, server, transport)));
        const N = 50_000;
        const burst = numbered(N);
        const counted = socks.map((s) => {
          s.on('error', () => {}); // the server closes while we are still sending
          return readNumbered(s, N);
        });
        const firstReplies = socks.map((s) => new Promise((r) => s.once('data', r)));
        for (const s of socks) s.write(burst);
        await Promise.all(firstReplies);
        const stopped = server.stop('SIGTERM');
        const got = await Promise.all(counted);
        const { code, summary } = await stopped;
        assert.equal(code, 0);
        // What the workers say they answered is exactly what arrived, in order (readNumbered checks order).
        assert.equal(
          summary!.messages,
          got.reduce((a, b) => a + b, 0),
        );
        assert.equal(summary!.connections, 16);
        const workers = summary!.workers as WorkerFigures[];
        assert.equal(workers.length, 2);
        assert.equal(
          workers.reduce((n, w) => n + w.messages, 0),
          summary!.messages,
        );
        assert.equal(server.events.filter((e) => e.event === 'summary').length, 1);
        if (transport === 'unix') assert.equal(existsSync(path), false, 'the socket file is removed');
        for (const s of socks) s.destroy();
      });
    }
  }
});

describe('a primary stopped while its workers start', () => {
  for (const d of DISTRIBUTIONS) {
    it(`SIGTERM as soon as the config line is out, 2 workers (${d.name}): every worker started stops with its summary; exit 0`, { skip: d.skip }, async () => {
      // A worker attaches its stop listener only as it starts listening: a word sent before then was lost, and the
      // worker was killed after the grace period ("gave no summary", exit 1). The primary now tells it when it is ready.
      const p = spawn(BIN('server'), ['--workers', '2', '--port', '0', '--json', ...d.args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      const exited = new Promise<number | null>((resolve) => p.once('exit', resolve));
      try {
        await waitUntil(() => out.includes('"event":"config"'), 'the config line');
      } finally {
        p.kill('SIGTERM');
      }
      assert.equal(await withDeadline(exited, 'the server to exit'), 0, out);
      const events = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; workers?: unknown[]; missing?: number });
      assert.equal(events.filter((e) => e.event === 'ready').length, 0, 'no ready line: it was stopped first');
      const summaries = events.filter((e) => e.event === 'summary');
      assert.equal(summaries.length, 1, out);
      assert.doesNotMatch(out, /gave no summary|killed/);
    });
  }
});

describe('bad --workers values exit 2 with one line, before listening', () => {
  usageErrorTests('server', [
    [['--workers', '0', '--port', '0'], /--workers.*expected auto or an integer from 1 to 1024/],
    [['--workers', 'many', '--port', '0'], /--workers.*expected auto or an integer/],
    [['--workers', '1025', '--port', '0'], /--workers.*expected auto or an integer/],
    [['--workers', '-2', '--port', '0'], /--workers/],
    [['--workers', '2', '--distribution', 'fork', '--port', '0'], /--distribution/],
  ]);
  if (!reusePortAvailable()) usageErrorTests('server', [[['--workers', '2', '--distribution', 'reuseport', '--port', '0'], /--distribution reuseport needs Linux and Node 22\.12\+/]]);
});
