/**
 * Which local processes listen on an address (src/machine/listeners.ts),
 * against real bin/server processes: on TCP, a Unix socket and UDP, one
 * process and several (--workers); and the reasons when none is named.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { allowedCpus } from '../src/machine/cpus.js';
import { listenersOf } from '../src/machine/listeners.js';
import { boundPort, listeningPort, tempDir, textServer, unusedPort } from './helpers.js';

describe('listeners of an address', () => {
  it('finds the server on its TCP port, its Unix socket and its UDP port, with its command and CPUs', async (t) => {
    const path = join(tempDir(), 'l.sock');
    const server = await textServer(t, ['--port', '0', '--unix', path, '--udp', '0', '--mode', 'echo']);
    const pid = server.proc.pid!;
    const port = await listeningPort(server.proc, 'the server');
    const udpPort = boundPort(pid, ['/proc/net/udp', '/proc/net/udp6']);
    assert.ok(udpPort !== undefined, 'the server holds a UDP socket');
    const expected = { listeners: [{ pid, command: 'node', cpus: allowedCpus(pid), children: [] }], reason: null };
    assert.ok(expected.listeners[0].cpus !== null);
    assert.deepEqual(await listenersOf({ transport: 'tcp', host: '127.0.0.1', port }), expected);
    assert.deepEqual(await listenersOf({ transport: 'tcp', host: 'localhost', port }), expected);
    assert.deepEqual(await listenersOf({ transport: 'unix', path }), expected);
    assert.deepEqual(await listenersOf({ transport: 'udp', host: '127.0.0.1', port: udpPort }), expected);
  });

  it('lists every process serving one address (--workers 2)', async (t) => {
    const server = await textServer(t, ['--port', '0', '--workers', '2']);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(server.out())![1]);
    const workers = [...server.out().matchAll(/^worker \d+ pid (\d+)/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    assert.equal(workers.length, 2, server.out());
    const found = await listenersOf({ transport: 'tcp', host: '127.0.0.1', port });
    assert.equal(found.reason, null);
    const listeners = found.listeners!;
    if (listeners.length === 1) {
      // The cluster module's round-robin: the primary holds the socket and hands connections to its workers, its children.
      assert.equal(listeners[0].pid, server.proc.pid);
      assert.deepEqual(
        listeners[0].children.map((c) => c.pid),
        workers,
      );
    } else {
      // SO_REUSEPORT (Node 22.12+): each worker holds a socket of its own.
      assert.deepEqual(
        listeners.map((l) => l.pid),
        workers,
      );
    }
    for (const p of [...listeners, ...listeners.flatMap((l) => l.children)]) assert.equal(p.cpus, allowedCpus(p.pid));
  });

  it('names no process, and says why, where nothing listens or the host is not this machine', async (t) => {
    const port = await unusedPort(t);
    const none = await listenersOf({ transport: 'tcp', host: '127.0.0.1', port });
    assert.deepEqual(none, { listeners: null, reason: `not found: nothing on this machine listens on TCP port ${port}` });
    const path = join(tempDir(), 'nobody.sock');
    assert.deepEqual(await listenersOf({ transport: 'unix', path }), { listeners: null, reason: `not found: nothing on this machine listens on Unix socket ${path}` });
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of a real machine.
    assert.deepEqual(await listenersOf({ transport: 'tcp', host: '192.0.2.1', port: 8080 }), { listeners: null, reason: 'not local: 192.0.2.1 is not an address of this machine' });
    assert.equal((await listenersOf({ transport: 'udp', host: 'no-such-host.invalid', port: 8080 })).reason, 'not local: no-such-host.invalid is not an address of this machine');
  });
});
