/**
 * Running the programs the comparison measures: sockperf's server and
 * client, ours, and any command to completion. Each returns figures or a
 * handle to stop; what to measure, and in what order, is measure.ts's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from '../../src/launch/server.js';
import { tcpPort } from '../lib.js';
import type { ClientReport } from '../../src/report/client.js';
import type { Latency } from './rows.js';

/** The path of one of our programs in bin/. */
export const bin = (name: string) => fileURLToPath(new URL(`../../bin/${name}`, import.meta.url));

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run a command to completion; resolves with its stdout. */
export function run(cmd: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${err.trim().slice(0, 300)}`))));
  });
}

/** A port nothing listens on, picked by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** SIGTERM a process we spawned and wait until it has exited. */
export async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}

/** bin/server pinned to `cpu`, on an ephemeral TCP port. */
export async function ourServer(cpu: string, extra: string[]) {
  const server = await startServerProcess(['--cpu', cpu, '--port', '0', ...extra]);
  return { ...server, port: tcpPort(server) };
}

/** Our client; returns its JSON report. */
export async function ourClient(cpu: string, target: string[], extra: string[], count: number, warmup: number): Promise<ClientReport> {
  const out = await run(bin('client'), ['--cpu', cpu, '--count', String(count), '--warmup', String(warmup), '--json', ...target, ...extra]);
  return JSON.parse(out);
}

/** The percentiles of our client's JSON report. */
export const ourLatency = (j: ClientReport): Latency => {
  const l = j.latencyUs!;
  return { p50: l.p50, p99: l.p99, p99_9: l.p99_9, p99_99: l.p99_99, max: l.max };
};

/**
 * How sockperf waits for input. By default (one address on the command
 * line) it blocks in recvfrom() on its one socket: no event loop at all. With
 * a feed file it can use epoll instead, as every event-loop program (ours,
 * libuv's) must; that variant is measured too, to show what epoll alone costs.
 */
export type Wait = 'recvfrom' | 'epoll';
const feedDirs: string[] = [];

/** What sockperf speaks: TCP (`--tcp`) or UDP, its default. */
export type Proto = 'tcp' | 'udp';

/** sockperf's address arguments for `port`: the address itself, or a feed file and -F epoll. */
function sockperfAddress(port: number, wait: Wait, proto: Proto): string[] {
  if (wait === 'recvfrom') return [...(proto === 'tcp' ? ['--tcp'] : []), '-i', '127.0.0.1', '-p', String(port)];
  const dir = mkdtempSync(join(tmpdir(), 'respuesta-feed-'));
  feedDirs.push(dir);
  const feed = join(dir, 'feed');
  writeFileSync(feed, `${proto === 'tcp' ? 'T' : 'U'}:127.0.0.1:${port}\n`);
  return ['-f', feed, '-F', 'epoll'];
}

/** Remove the feed files written for sockperf's epoll runs. */
export function removeFeeds(): void {
  for (const d of feedDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** SCHED_FIFO priority of the real-time rows (as `--rt-priority 50`; chrt, root or CAP_SYS_NICE). */
export const RT_PRIORITY = '50';

/** `cmd argv` pinned to `cpu`, under SCHED_FIFO when `rt`. */
const placed = (cpu: string, rt: boolean, argv: string[]) => ['-c', cpu, ...(rt ? ['chrt', '-f', RT_PRIORITY] : []), ...argv];

/** sockperf's server pinned to `cpu` (under SCHED_FIFO with `rt`); wait for its port before using it (it prints no readiness line: waitForPort, or waitForUdp). */
export function sockperfServer(cpu: string, port: number, wait: Wait = 'recvfrom', rt = false, proto: Proto = 'tcp'): ChildProcess {
  return spawn('taskset', placed(cpu, rt, ['sockperf', 'server', ...sockperfAddress(port, wait, proto)]), { stdio: 'ignore' });
}

/** sockperf's ping-pong client for `seconds`, full round trips of `size` bytes (header included), parsed from its report. */
export async function sockperfClient(cpu: string, port: number, seconds: number, wait: Wait = 'recvfrom', rt = false, proto: Proto = 'tcp', size = 64): Promise<Latency> {
  const argv = ['sockperf', 'ping-pong', ...sockperfAddress(port, wait, proto), '-t', String(seconds), '--msg-size', String(size), '--full-rtt'];
  const out = (await run('taskset', placed(cpu, rt, argv))).replace(/\x1b\[[0-9;]*m/g, '');
  const at = (what: string) => {
    const m = new RegExp(`${what.replace(/[.<>]/g, '\\$&')} =\\s+([\\d.]+)`).exec(out);
    if (m === null) throw new Error(`sockperf printed no ${what}:\n${out}`);
    return Number(m[1]);
  };
  return { p50: at('percentile 50.000'), p99: at('percentile 99.000'), p99_9: at('percentile 99.900'), p99_99: at('percentile 99.990'), max: at('<MAX> observation') };
}
