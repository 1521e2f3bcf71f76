/**
 * The admin port (--admin): its endpoints, its health answers through a
 * shutdown, profiles, bad requests, and that neither a crash of the admin
 * side nor hostile admin clients disturb the responder's clients.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onTeardown, rawConnect, readBytes, runBin, startServer, threadNice, usageErrorTests, withDeadline, textServer } from './helpers.js';
import { http, sample, waitForSample, which } from './admin-helpers.js';
import { allowedCpus, otherCpus, parseCpuSet } from '../src/machine/cpus.js';
import { lengthFrame } from '../src/protocol/length.js';

const ADMIN = ['--port', '0', '--admin', '127.0.0.1:0'];
/** The admin thread's nice value (src/admin/worker.ts). */
const ADMIN_NICE = 19;

/** What the issue asks /metrics to carry, at the least. */
const REQUIRED = [
  'respuesta_connections_accepted_total',
  'respuesta_connections_open',
  'respuesta_connections_rejected_total',
  'respuesta_connections_idle_closed_total',
  'respuesta_connections_forced_closed_total',
  'respuesta_messages_total',
  'respuesta_messages_ignored_total',
  'respuesta_received_bytes_total',
  'respuesta_sent_bytes_total',
  'respuesta_protocol_errors_total',
  'respuesta_socket_errors_total',
  'respuesta_output_pauses_total',
  'respuesta_gc_pause_seconds',
  'respuesta_event_loop_delay_p99_seconds',
  'respuesta_event_loop_delay_max_seconds',
  'respuesta_heap_used_bytes',
  'respuesta_build_info',
  'process_cpu_seconds_total',
  'process_cpu_user_seconds_total',
  'process_resident_memory_bytes',
  'process_virtual_memory_bytes',
  'process_open_fds',
  'process_max_fds',
  'process_start_time_seconds',
];

describe('admin port: endpoints', () => {
  it('names the admin URL in the ready event (port 0: the bound port) and the config event, and serves /metrics with the counts', async () => {
    const server = await startServer(ADMIN);
    assert.ok(server.admin !== undefined, 'the ready event has an admin field');
    assert.match(server.admin.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(server.admin.port, 0);
    assert.notEqual(server.admin.port, server.port);
    const config = await server.waitFor('config');
    assert.equal(config.admin, '127.0.0.1:0');

    const client = await runBin('client', ['--port', String(server.port), '--count', '3000', '--warmup', '0']);
    assert.equal(client.code, 0, client.stderr);
    const text = await waitForSample(server.admin.url, 'respuesta_messages_total', 3000);
    for (const name of REQUIRED) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exposed`);
    assert.equal(sample(text, 'respuesta_connections_accepted_total'), 1);
    assert.equal(sample(text, 'respuesta_received_bytes_total'), 3000 * (4 + 64));
    assert.equal(sample(text, 'respuesta_sent_bytes_total'), 3000 * (4 + 'respuesta'.length));
    assert.match(text, /^respuesta_build_info\{version="[^"]+",nodejs_version="v\d+[^"]*",io="(handles|sockets)",framing="length",mode="fixed"\} 1$/m);
    // Every GC the serving thread reports is observed, by kind.
    assert.match(text, /^respuesta_gc_pause_seconds_count\{kind="minor"\} \d+$/m);

    // The admin thread, and it alone, runs at nice 19 (the 19th field of a thread's stat); the serving thread at 0.
    const nices = readdirSync(`/proc/${server.pid}/task`).map((tid) => threadNice(server.pid, tid));
    assert.equal(nices.filter((n) => n === ADMIN_NICE).length, 1, `thread nice values: ${nices}`);
    assert.equal(threadNice(server.pid, server.pid), 0, 'the serving thread keeps its priority');

    const { summary } = await server.stop();
    assert.equal(summary?.messages, 3000);
  });

  it('passes promtool check metrics', async (t) => {
    const promtool = which('promtool');
    if (promtool === null) return t.skip('promtool is not installed (Debian package prometheus; .ci/run installs it)');
    const server = await startServer(ADMIN);
    const s = await rawConnect(t, server);
    s.write(lengthFrame(Buffer.from('hola')));
    await readBytes(s, 13);
    const text = await waitForSample(server.admin!.url, 'respuesta_messages_total', 1);
    const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool check metrics: ${r.stdout}${r.stderr}`);
    await server.stop();
  });

  it('counts protocol errors by code', async (t) => {
    const server = await startServer([...ADMIN, '--max-frame', '16']);
    const s = await rawConnect(t, server);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(17);
    s.write(header);
    await withDeadline(once(s, 'close'), 'the server to close the connection');
    await waitForSample(server.admin!.url, 'respuesta_protocol_errors_total', 1, 'code="ERR_FRAME_TOO_LARGE"');
    const text = (await http(`${server.admin!.url}/metrics`)).body;
    assert.equal(sample(text, 'respuesta_protocol_errors_total', 'code="ERR_LINE_TOO_LONG"'), 0);
    await server.stop();
  });

  it('serves /stats.json and the dashboard page; 404 for unknown paths naming every endpoint, 405 for other methods, HEAD without a body', async () => {
    const server = await startServer(ADMIN);
    const admin = server.admin!.url;
    const stats = JSON.parse((await http(`${admin}/stats.json`)).body);
    assert.equal(stats.pid, server.pid);
    assert.equal(stats.health, 'serving');
    const page = await http(`${admin}/`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.match(page.body, /uPlot/);
    // A 404 names every endpoint: those docs/OPERATIONS.md's table lists, no fewer, no more.
    const missing = await http(`${admin}/nope`);
    assert.equal(missing.status, 404);
    const documented = [...readFileSync(new URL('../docs/OPERATIONS.md', import.meta.url), 'utf8').matchAll(/^\| `GET (\/[^`?\s]*)/gm)].map((m) => m[1]);
    assert.ok(documented.includes('/healthz'), `docs/OPERATIONS.md's endpoints: ${documented}`);
    assert.deepEqual(/; try (.*)$/m.exec(missing.body)?.[1].split(', ').sort(), documented.sort(), missing.body);
    const post = await http(`${admin}/metrics`, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.equal((await http(`${admin}/readyz`, 'DELETE')).status, 405);
    const head = await http(`${admin}/metrics`, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    await server.stop();
  });

  it('prints admin=URL on the text ready line, and warns when the admin host is not loopback', async (t) => {
    const { proc, exited, out, err } = await textServer(t, ['--port', '0', '--admin', '0.0.0.0:0']);
    assert.match(out(), /^respuesta server .* admin=0\.0\.0\.0:0$/m);
    assert.match(out(), /^ready: tcp:\/\/127\.0\.0\.1:\d+ admin=http:\/\/0\.0\.0\.0:\d+$/m);
    assert.match(err(), /^warning: --admin 0\.0\.0\.0:0 is not a loopback address; the admin endpoints have no authentication/m);
    proc.kill('SIGTERM');
    const [code] = await withDeadline(exited, 'the server to exit');
    assert.equal(code, 0);
  });

  it('exits 1 when the admin port is taken, naming it', async () => {
    const first = await startServer(ADMIN);
    const r = await runBin('server', ['--port', '0', '--admin', String(first.admin!.port)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot listen: .*EADDRINUSE/);
    await first.stop();
  });
});

describe('admin port: usage', () => {
  usageErrorTests('server', [
    [['--admin-debug'], /--admin-debug needs --admin/],
    [['--admin', 'x'], /--admin.*expected PORT or HOST:PORT/],
    [['--admin', '127.0.0.1:70000'], /--admin.*expected PORT or HOST:PORT/],
    [['--admin-cpu', '1'], /--admin-cpu needs --admin/],
    [['--admin', '0', '--admin-cpu', 'one'], /--admin-cpu.*expected a CPU list/],
    [['--admin', '0', '--admin-cpu', '4095'], /--admin-cpu: CPUs 4095 are not among those this process may use/],
    [['--admin', '0', '--admin-cpu', '3-1'], /--admin-cpu.*the range 3-1 runs backwards/],
    [['--cpu', '0-17000000'], /--cpu.*CPU 17000000: Linux numbers CPUs 0 to 8191 at most/],
  ]);
});

/** Where a thread of `pid` may run, as CPU numbers (its Cpus_allowed_list). */
function threadCpus(pid: number, tid: number | string): number[] {
  const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
  return parseCpuSet(m![1]);
}

/** The id of the admin thread of `pid`: its one thread at nice 19. */
function adminThread(pid: number): string {
  const tids = readdirSync(`/proc/${pid}/task`).filter((tid) => threadNice(pid, tid) === ADMIN_NICE);
  assert.equal(tids.length, 1, `one thread of ${pid} at nice ${ADMIN_NICE}: ${tids}`);
  return tids[0];
}

describe('admin port: CPU placement', () => {
  // The first CPU the tests may use serves; the admin thread's default is the rest.
  const allowed = allowedCpus('self');
  const first = allowed === null ? 0 : parseCpuSet(allowed)[0];
  const others = otherCpus(allowed, String(first));
  const ONE_CPU = others === null ? `the tests may run on CPUs ${allowed ?? '?'} only: no second CPU for the admin thread` : false;
  const second = others === null ? first : parseCpuSet(others)[0];

  it(`with --cpu ${first}, the admin thread runs on this process's other CPUs, and the config says so`, { skip: ONE_CPU }, async () => {
    const server = await startServer([...ADMIN, '--cpu', String(first)]);
    assert.equal((await server.waitFor('config')).adminCpus, others);
    assert.deepEqual(threadCpus(server.pid, server.pid), [first], 'the serving thread stays on its CPU');
    assert.deepEqual(threadCpus(server.pid, adminThread(server.pid)), parseCpuSet(others!));
    assert.equal((await http(`${server.admin!.url}/metrics`)).status, 200);
    await server.stop();
  });

  it('--admin-cpu puts it where asked, on fewer CPUs than the serving thread may use', { skip: ONE_CPU }, async () => {
    const server = await startServer([...ADMIN, '--admin-cpu', String(second)]);
    assert.equal((await server.waitFor('config')).adminCpus, String(second));
    assert.deepEqual(threadCpus(server.pid, adminThread(server.pid)), [second]);
    assert.deepEqual(threadCpus(server.pid, server.pid), parseCpuSet(allowed!), 'the serving thread keeps every CPU');
    assert.equal((await http(`${server.admin!.url}/metrics`)).status, 200);
    await server.stop();
  });

  it('without --cpu nor --admin-cpu, it may run wherever the serving thread may', async () => {
    const server = await startServer(ADMIN);
    assert.equal((await server.waitFor('config')).adminCpus, null);
    assert.deepEqual(threadCpus(server.pid, adminThread(server.pid)), threadCpus(server.pid, server.pid));
    await server.stop();
  });

  it("--workers 2 with --cpu and --admin-cpu apart: the workers start, the primary's admin thread runs where asked", { skip: ONE_CPU }, async () => {
    const server = await startServer([...ADMIN, '--workers', '2', '--cpu', String(first), '--admin-cpu', String(second)]);
    assert.equal((await server.waitFor('config')).adminCpus, String(second));
    assert.deepEqual(threadCpus(server.pid, adminThread(server.pid)), [second]);
    const workers = server.events.filter((e) => e.event === 'worker-ready').map((e) => e.pid as number);
    assert.equal(workers.length, 2);
    for (const pid of workers) assert.deepEqual(threadCpus(pid, pid), [first], `worker ${pid} on CPU ${first}`);
    assert.equal((await http(`${server.admin!.url}/metrics`)).status, 200);
    const { code } = await server.stop();
    assert.equal(code, 0);
  });

  it('sleeps while nobody asks it anything: a few wakeups a second, not a hundred', async () => {
    const server = await startServer(ADMIN);
    const tid = adminThread(server.pid);
    const switches = () => Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(readFileSync(`/proc/${server.pid}/task/${tid}/status`, 'utf8'))![1]);
    const before = switches();
    await new Promise((r) => setTimeout(r, 3000));
    const woke = switches() - before;
    // Its own timers (a GC drain a second, the HTTP server's): about 12 a second here; an event-loop monitor sampling every 10 ms would add 300.
    assert.ok(woke < 150, `the idle admin thread woke ${woke} times in 3 s`);
    await server.stop();
  });
});

describe('admin port: health', () => {
  it('/readyz turns 503 from the first SIGTERM while connections drain; /livez stays 200; /healthz follows readiness; ?verbose is JSON', async (t) => {
    const server = await startServer([...ADMIN, '--grace-ms', '60000']);
    const admin = server.admin!.url;
    assert.equal((await http(`${admin}/livez`)).status, 200);
    assert.equal((await http(`${admin}/readyz`)).status, 200);
    assert.equal((await http(`${admin}/healthz`)).status, 200);
    const verbose = JSON.parse((await http(`${admin}/readyz?verbose`)).body);
    assert.deepEqual({ ...verbose, heartbeatAgeMs: 0 }, { ok: true, status: 'serving', listening: true, draining: false, heartbeatAgeMs: 0 });
    assert.ok(verbose.heartbeatAgeMs >= 0 && verbose.heartbeatAgeMs < 5000, `heartbeat age ${verbose.heartbeatAgeMs} ms`);

    // A peer that never closes keeps the server draining for its grace period.
    const s = await rawConnect(t, server, 'tcp', { allowHalfOpen: true });
    s.write(lengthFrame(Buffer.from('x')));
    await readBytes(s, 13);
    server.proc.kill('SIGTERM');
    await server.waitFor('shutdown');
    const ready = await http(`${admin}/readyz?verbose`);
    assert.equal(ready.status, 503);
    const body = JSON.parse(ready.body);
    assert.equal(body.status, 'draining');
    assert.equal(body.draining, true);
    assert.equal((await http(`${admin}/healthz`)).status, 503);
    assert.equal((await http(`${admin}/livez`)).status, 200);
    await waitForSample(admin, 'respuesta_ready', 0);
    s.destroy();
    const { code } = await server.stop();
    assert.equal(code, 0);
  });
});

describe('admin port: profiles (--admin-debug)', () => {
  it('are refused without --admin-debug', async () => {
    const server = await startServer(ADMIN);
    const r = await http(`${server.admin!.url}/debug/profile?seconds=1`);
    assert.equal(r.status, 404);
    assert.match(r.body, /--admin-debug/);
    assert.equal((await http(`${server.admin!.url}/debug/heap`)).status, 404);
    await server.stop();
  });

  it('CPU profile of the serving thread (400 for bad seconds, 409 while one runs) and a heap snapshot', async () => {
    const server = await startServer([...ADMIN, '--admin-debug']);
    const admin = server.admin!.url;
    for (const bad of ['0', '61', 'x', '1.5', '']) {
      const r = await http(`${admin}/debug/profile?seconds=${bad}`);
      assert.equal(r.status, 400, bad);
      assert.match(r.body, /seconds: expected an integer from 1 to 60/);
    }
    // The serving thread busy while it is profiled: its own frames must be in the profile.
    const load = runBin('client', ['--port', String(server.port), '--duration', '3', '--warmup', '0']);
    const running = http(`${admin}/debug/profile?seconds=2`);
    // The second request is refused while the first runs: wait until the first has started (the worker holds it).
    let second = await http(`${admin}/debug/profile?seconds=1`);
    while (second.status === 200) second = await http(`${admin}/debug/profile?seconds=1`);
    assert.equal(second.status, 409);
    const first = await running;
    assert.equal((await load).code, 0);
    assert.equal(first.status, 200);
    assert.match(String(first.headers['content-disposition']), /\.cpuprofile"$/);
    const profile = JSON.parse(first.body);
    assert.ok(Array.isArray(profile.nodes) && profile.nodes.length > 0);
    assert.ok(profile.endTime > profile.startTime);
    // The serving thread's code is in it: its main module's frames.
    assert.ok(
      profile.nodes.some((n: { callFrame: { url: string } }) => n.callFrame.url.includes('/dist/server/')),
      'frames of the serving thread',
    );

    const heap = await http(`${admin}/debug/heap`);
    assert.equal(heap.status, 200);
    const snapshot = JSON.parse(heap.body);
    assert.ok(snapshot.snapshot.node_count > 0);
    assert.ok(snapshot.strings.includes('ResponderServer'), 'the serving thread heap');
    await server.stop();
  });
});

describe('admin port: nobody hurt', () => {
  it('a crash of the admin worker: one line, the responder goes on, the admin port comes back and counts it', async () => {
    const server = await startServer(ADMIN, { env: { ...process.env, RESPUESTA_ADMIN_FAULT: 'crash' } });
    const admin = server.admin!.url;
    await http(`${admin}/debug/crash`).catch(() => undefined);
    const crash = await server.waitFor('admin-crash', 10_000);
    assert.match(String(crash.reason), /crash requested/);
    const client = await runBin('client', ['--port', String(server.port), '--count', '2000', '--warmup', '0']);
    assert.equal(client.code, 0, client.stderr);
    await server.waitFor('admin-restart', 10_000);
    await waitForSample(admin, 'respuesta_admin_restarts_total', 1);
    await waitForSample(admin, 'respuesta_messages_total', 2000);
    const { code, summary } = await server.stop();
    assert.equal(code, 0);
    assert.equal(summary?.messages, 2000);
  });

  it('hostile admin clients (idle sockets past the bound, a scrape flood, bad HTTP): the responder’s client sees no error', async (t) => {
    const server = await startServer(ADMIN);
    const admin = server.admin!;
    // More idle connections than the admin port takes (32): the rest are closed, none holds the responder.
    const idle = [];
    for (let i = 0; i < 64; i++) {
      const s = connect({ host: '127.0.0.1', port: admin.port });
      s.on('error', () => {});
      onTeardown(t, () => s.destroy());
      idle.push(s);
    }
    await Promise.all(idle.map((s) => once(s, 'connect')));
    // Bad HTTP: 400 and closed.
    const bad = connect({ host: '127.0.0.1', port: admin.port });
    onTeardown(t, () => bad.destroy());
    bad.on('error', () => {});
    await once(bad, 'connect');
    for (const s of idle) s.destroy();

    const client = runBin('client', ['--port', String(server.port), '--count', '20000', '--warmup', '1000', '--json']);
    let scrapes = 0;
    let refused = 0;
    let done = false;
    void client.finally(() => (done = true));
    const flood = async () => {
      while (!done) {
        try {
          const r = await http(`${admin.url}/metrics`);
          if (r.status === 200) scrapes++;
        } catch {
          refused++;
        }
      }
    };
    bad.write('NOT HTTP AT ALL\r\n\r\n');
    await Promise.all([flood(), flood(), flood(), flood(), client]);
    const r = await client;
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.errors, 0);
    assert.equal(result.received, result.sent);
    assert.ok(scrapes > 0, `scrapes answered during the run (${scrapes}, ${refused} refused)`);
    const { code, summary } = await server.stop();
    assert.equal(code, 0);
    assert.equal(summary?.protocolErrors, 0);
    assert.equal(summary?.socketErrors, 0);
  });
});
