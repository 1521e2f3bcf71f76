/**
 * The one I/O decision (src/io/binding.ts): `--io sockets` forces the public
 * path in each program, and never touches Node's internals. (The guarantees
 * on that path, reached as the real fallback with the internals refused, run
 * in server.test.ts and hardening.test.ts over IO_PATHS.)
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { codecs } from '../src/protocol/index.js';
import { IO_PATHS, rawConnect, readBytes, runBin, startServer, tempDir } from './helpers.js';

const frame = (s: string) => codecs.length.frame(Buffer.from(s));

describe('--io sockets', () => {
  it('the server uses net.Socket only: config says so, both listeners answer, process.binding is never called', async (t) => {
    const path = join(tempDir(), 'f.sock');
    const env = { ...process.env, RESPUESTA_NODE_FLAGS: '--pending-deprecation' };
    const server = await startServer(['--port', '0', '--unix', path, '--io', 'sockets'], { env });
    assert.equal(server.events.find((e) => e.event === 'config')!.io, 'sockets');
    for (const transport of ['tcp', 'unix'] as const) {
      const s = await rawConnect(t, server, transport);
      s.write(Buffer.concat([frame('a'), frame('b')]));
      assert.deepEqual(await readBytes(s, 26), Buffer.concat([frame('respuesta'), frame('respuesta')]));
      s.destroy();
    }
    const { code, summary } = await server.stop();
    assert.equal(code, 0);
    assert.equal(summary!.messages, 4);
    assert.doesNotMatch(server.stderr(), /DEP0111/);
  });

  it('without it, the internals refused by the permission model: the server falls back to net.Socket by itself', async () => {
    const server = await startServer(['--port', '0'], IO_PATHS[1]);
    assert.equal(server.events.find((e) => e.event === 'config')!.io, 'sockets');
    await server.stop();
  });

  it('the client writes with socket.write, and says so', async () => {
    const server = await startServer(['--port', '0']);
    const r = await runBin('client', ['--port', String(server.port), '--count', '200', '--warmup', '0', '--io', 'sockets', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.writes, 'stream');
    assert.equal(report.received, 200);
    await server.stop();
  });

  it('the benchmark, its worker threads included, runs on the public path', async () => {
    const server = await startServer(['--port', '0']);
    const r = await runBin('benchmark', ['--port', String(server.port), '-c', '4', '-P', '4', '-T', '2', '-d', '0.3', '-w', '0', '--io', 'sockets', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.options.io, 'sockets');
    assert.ok(report.scenarios[0].messages > 0);
    assert.equal(report.scenarios[0].wrong + report.scenarios[0].lost, 0);
    await server.stop();
  });
});
