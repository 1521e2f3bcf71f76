/**
 * RESP against the real thing (Debian's redis-server and redis-tools):
 * redis-cli and redis-benchmark against our server, our client and
 * benchmark against redis-server and against our server. Skipped, saying
 * so, when they are not installed (.ci/run installs them).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import { closed, onTeardown, rawConnect, readBytes, runBin, startServer, unusedPort, waitUntil } from './helpers.js';

const missing = ['redis-server', 'redis-cli', 'redis-benchmark'].filter((tool) => spawnSync(tool, ['--version'], { encoding: 'utf8' }).error !== undefined);
const skip = missing.length > 0 ? `${missing.join(', ')} not installed (apt-get install redis-server redis-tools)` : false;

/** A redis-server on a free loopback port, no persistence, killed when the test ends. */
async function redisServer(t: TestContext): Promise<number> {
  const port = await unusedPort(t);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTeardown(t, () => child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  await waitUntil(() => /Ready to accept connections/.test(out) || child.exitCode !== null, 'redis-server to start');
  assert.equal(child.exitCode, null, out);
  return port;
}

function cli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** bin/client or bin/benchmark with --json: the parsed report; exit 0 asserted. */
async function ours(name: 'client' | 'benchmark', args: string[]) {
  const r = await runBin(name, [...args, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return JSON.parse(r.stdout);
}

describe('RESP with Redis tools', { skip }, () => {
  it('redis-cli: PING, ECHO, and an unknown command and a wrong arity answered with the error, as redis-server does', async (t) => {
    const server = await startServer(['--port', '0', '--framing', 'resp']);
    const redis = await redisServer(t);
    try {
      for (const port of [server.port!, redis]) {
        assert.equal(cli(port, 'ping'), 'PONG\n');
        assert.equal(cli(port, 'ping', 'hola'), 'hola\n');
        assert.equal(cli(port, 'echo', 'hi'), 'hi\n');
        assert.equal(cli(port, 'echo'), "ERR wrong number of arguments for 'echo' command\n\n");
        assert.equal(cli(port, 'foo', 'bar'), "ERR unknown command 'foo', with args beginning with: 'bar' \n\n");
      }
    } finally {
      await server.stop();
    }
  });

  it('redis-benchmark -t ping_inline,ping_mbulk with -c and -P against our server: both complete, each with a rate', async () => {
    const server = await startServer(['--port', '0', '--framing', 'resp']);
    const child = spawn('redis-benchmark', ['-p', String(server.port), '-t', 'ping_inline,ping_mbulk', '-n', '20000', '-c', '4', '-P', '8', '-q'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const [code] = await once(child, 'close');
    clearTimeout(timer);
    const { summary } = await server.stop();
    assert.equal(code, 0, out);
    // -q prints one final line per test, after \r-overwritten progress lines.
    const final = out.split(/[\r\n]/).filter((l) => /requests per second/.test(l));
    assert.match(final.find((l) => l.includes('PING_INLINE')) ?? '', /PING_INLINE: [\d.]+ requests per second/, out);
    assert.match(final.find((l) => l.includes('PING_MBULK')) ?? '', /PING_MBULK: [\d.]+ requests per second/, out);
    assert.ok((summary?.messages as number) >= 40_000, `server answered ${summary?.messages}`);
    assert.equal(summary?.protocolErrors, 0);
  });

  it('a protocol error answers the command before it and Redis text, closes only that connection: another one goes on', async (t) => {
    const server = await startServer(['--port', '0', '--framing', 'resp']);
    try {
      const bad = await rawConnect(t, server);
      const good = await rawConnect(t, server);
      const reply = readBytes(bad, 1 << 20);
      bad.write('PING\r\n*abc\r\nPING\r\n');
      assert.equal((await reply).toString(), '+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n');
      await closed(bad);
      const pong = readBytes(good, 19);
      good.write('*1\r\n$4\r\nPING\r\nECHO 123456\r\n');
      assert.equal((await pong).toString(), '+PONG\r\n$6\r\n123456\r\n');
    } finally {
      const { summary } = await server.stop();
      assert.equal(summary?.protocolErrors, 1);
    }
  });

  it('a count line too long for a number: "invalid length" once its CR LF has come, from redis-server and ours alike', async (t) => {
    const server = await startServer(['--port', '0', '--framing', 'resp']);
    const redis = await redisServer(t);
    const digits = '1'.repeat(70);
    try {
      for (const port of [redis, server.port!]) {
        const answers: string[] = [];
        for (const wire of [`*${digits}\r\n`, `*1\r\n$${digits}\r\n`, `*1\r\nX${digits}\r\n`]) {
          const s = await rawConnect(t, { port });
          const reply = readBytes(s, 1 << 20);
          s.write(wire);
          answers.push((await reply).toString());
        }
        assert.deepEqual(
          answers,
          ['invalid multibulk length', 'invalid bulk length', "expected '$', got 'X'"].map((m) => `-ERR Protocol error: ${m}\r\n`),
          `port ${port}`,
        );
      }
    } finally {
      await server.stop();
    }
  });

  it('our client and benchmark measure redis-server and our server alike: PING and ECHO, every reply right', async (t) => {
    const server = await startServer(['--port', '0', '--framing', 'resp']);
    const redis = await redisServer(t);
    try {
      for (const port of [redis, server.port!]) {
        const at = ['--port', String(port), '--framing', 'resp'];
        const ping = await ours('client', [...at, '--count', '2000', '--warmup', '100']);
        assert.deepEqual([ping.options.size, ping.received, ping.errors], [0, 2100, 0]);
        const echo = await ours('client', [...at, '--size', '100', '--count', '500', '--warmup', '0', '--rate', '5000']);
        assert.deepEqual([echo.received, echo.errors], [500, 0]);
        const bench = await ours('benchmark', [...at, '-c', '4', '-P', '8', '-d', '0.5', '-w', '0.1', '--size', '32']);
        const s = bench.scenarios[0];
        assert.ok(s.messages > 0, JSON.stringify(s));
        assert.deepEqual([s.wrong, s.lost, s.errors, s.sent], [0, 0, 0, s.messages]);
      }
    } finally {
      await server.stop();
    }
  });

  it("an error reply is a wrong reply, quoted in the run's one-line failure (redis-server with a password)", async (t) => {
    const port = await unusedPort(t);
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', 'secret'], { stdio: 'ignore' });
    onTeardown(t, () => child.kill('SIGKILL'));
    await waitUntil(() => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.includes('NOAUTH'), 'redis-server to start');
    const r = await runBin('client', ['--port', String(port), '--framing', 'resp', '--count', '10', '--warmup', '0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /reply 1 was the error "NOAUTH Authentication required\.", expected "\+PONG\\r\\n"/);
  });
});
