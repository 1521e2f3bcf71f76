/** bin/server's main(argv), called in this process: a real server on a real socket, stopped the way SIGTERM stops it, its exit status returned. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { codecs } from '../src/protocol/index.js';
import { main } from '../src/server/main.js';
import { onTeardown, rawConnect, readBytes, withDeadline } from './helpers.js';

type Event = Record<string, unknown> & { event: string };

/** Streams for main, and what was written to them: stdout's lines as events (--json), stderr as text. */
function captured() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const events: Event[] = [];
  let err = '';
  let out = '';
  const waiters: Array<() => void> = [];
  let partial = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.startsWith('{')) events.push(JSON.parse(line) as Event);
    for (const wake of waiters.splice(0)) wake();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const waitFor = (event: string): Promise<Event> =>
    withDeadline(
      new Promise<Event>((resolve) => {
        const look = () => {
          const found = events.find((e) => e.event === event);
          if (found !== undefined) resolve(found);
          else waiters.push(look);
        };
        look();
      }),
      `the ${event} event`,
    );
  return { stdout, stderr, events, waitFor, stderrText: () => err, stdoutText: () => out };
}

describe('main(argv) in this process', () => {
  it('serves until its signal is aborted, as on SIGTERM: summary, handlers removed, exit status 0', async (t) => {
    const io = captured();
    const abort = new AbortController();
    const handlers = process.listenerCount('SIGTERM');
    const run = main(['--port', '0', '--json'], { stdout: io.stdout, stderr: io.stderr, signal: abort.signal });
    onTeardown(t, () => abort.abort());
    const ready = await io.waitFor('ready');
    const [endpoint] = ready.endpoints as Array<{ port: number }>;
    assert.equal(process.listenerCount('SIGTERM'), handlers + 1, 'main listens for SIGTERM while it serves');

    const socket = await rawConnect(t, endpoint);
    socket.write(codecs.length.frame(Buffer.from('hola')));
    const reply = codecs.length.frame(Buffer.from('respuesta'));
    assert.deepEqual(await readBytes(socket, reply.length), reply);

    abort.abort();
    assert.equal(await withDeadline(run, 'main to resolve'), 0);
    const shutdown = io.events.find((e) => e.event === 'shutdown');
    assert.equal(shutdown?.signal, 'SIGTERM');
    const summary = io.events.find((e) => e.event === 'summary');
    assert.equal(summary?.connections, 1);
    assert.equal(summary?.messages, 1);
    assert.equal(process.listenerCount('SIGTERM'), handlers, 'no signal handler left behind');
    assert.equal(io.stderrText(), '');
  });

  it('returns 2 for bad usage, one line on its stderr, and this process goes on', async () => {
    const io = captured();
    assert.equal(await main(['--port', '0', '--admin-debug'], io), 2);
    assert.equal(io.stderrText(), 'server: error: option --admin-debug needs --admin\n');
    assert.equal(await main(['--conections', '1'], io), 2);
    assert.match(io.stderrText(), /unknown option '--conections'/);
  });

  it('returns 0 after --help, written to its stdout', async () => {
    const io = captured();
    assert.equal(await main(['--help'], io), 0);
    assert.match(io.stdoutText(), /^Usage: server \[options\]/);
  });

  it('returns 1 when it cannot listen, with the one line a failed run prints', async (t) => {
    const first = captured();
    const abort = new AbortController();
    const running = main(['--port', '0', '--json'], { stdout: first.stdout, stderr: first.stderr, signal: abort.signal });
    onTeardown(t, () => abort.abort());
    const [endpoint] = (await first.waitFor('ready')).endpoints as Array<{ port: number }>;
    const second = captured();
    const handlers = process.listenerCount('SIGTERM');
    assert.equal(await main(['--port', String(endpoint.port)], second), 1);
    assert.match(second.stderrText(), /^server: cannot listen: .*EADDRINUSE/);
    assert.equal(process.listenerCount('SIGTERM'), handlers);
    abort.abort();
    assert.equal(await withDeadline(running, 'the first server to stop'), 0);
  });
});
