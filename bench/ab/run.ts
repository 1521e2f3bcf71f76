/** One run of bench/ab.ts: a server of one side, its client, what both measured. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startServerProcess } from '../../src/launch/server.js';
import type { GcStats } from '../../src/stats/gc.js';
import type { LatencyUs } from '../../src/stats/histogram.js';
import type { Plan, Side } from './plan.js';

const execFileP = promisify(execFile);
const WATCH = fileURLToPath(new URL('watch.ts', import.meta.url));

export interface Row {
  round: number;
  label: string;
  /** The client's latency (its --json latencyUs). */
  latency: LatencyUs;
  /** The client's GCs while measuring. */
  clientGcs: number;
  /** The server's GCs over its whole life, from its summary. */
  serverGc: GcStats;
  /** The serving thread's CPU time (its schedstat) over the client's run, per round trip (warm-up included). */
  cpuUsPerTrip: number;
  /** Admin answers given to the watcher (null: nobody watched). */
  answers: number | null;
}

export async function runSide(plan: Plan, side: Side, round: number): Promise<Row> {
  const env = side.serverNodeFlags === undefined ? process.env : { ...process.env, RESPUESTA_NODE_FLAGS: side.serverNodeFlags };
  const args = ['--port', '0', '--cpu', String(plan.cpu), '--mode', plan.messageMode, ...side.serverArgs];
  const server = await startServerProcess(args, { command: join(side.serverTree, 'bin', 'server'), env });
  let watcher: Watcher | null = null;
  try {
    if (side.watch !== 'none') watcher = await startWatcher(`${server.admin!.url}/metrics`, side.watch, plan.watchCpu);
    const before = servingCpuNs(server.pid);
    const client = await runClient(plan, side, server.port!);
    const cpuNs = servingCpuNs(server.pid) - before;
    const answers = watcher === null ? null : await stopWatcher(watcher);
    const { summary } = await server.stop();
    if (summary === undefined) throw new Error(`${side.label}: the server printed no summary: ${server.stderr().trim().split('\n')[0]}`);
    return {
      round,
      label: side.label,
      latency: client.latencyUs,
      clientGcs: client.gc.count,
      serverGc: summary.gc as GcStats,
      cpuUsPerTrip: cpuNs / 1000 / (plan.count + plan.warmup),
      answers,
    };
  } finally {
    watcher?.proc.kill('SIGKILL');
    await server.stop('SIGKILL');
  }
}

async function runClient(plan: Plan, side: Side, port: number): Promise<{ latencyUs: LatencyUs; gc: GcStats }> {
  const args = ['--port', String(port), '--cpu', String(plan.clientCpu), '--count', String(plan.count), '--warmup', String(plan.warmup)];
  args.push('--mode', plan.messageMode, ...side.clientArgs, '--json');
  try {
    const { stdout } = await execFileP(join(side.clientTree, 'bin', 'client'), args, { maxBuffer: 16 << 20 });
    return JSON.parse(stdout);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim().split('\n')[0];
    throw new Error(`${side.label}: the client failed: ${stderr || (err as Error).message}`);
  }
}

/** Nanoseconds the process's main thread has run on a CPU (the first field of its schedstat). */
function servingCpuNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

/** The watcher (watch.ts) on `cpu`, once it is ready; its output is gathered in `out`. */
function startWatcher(url: string, how: 'scrape' | 'flood', cpu: number): Promise<Watcher> {
  const proc = spawn('taskset', ['-c', String(cpu), process.execPath, '--import', 'tsx', WATCH, url, how], { stdio: ['ignore', 'pipe', 'inherit'] });
  const watcher: Watcher = { proc, out: '' };
  return new Promise((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').on('data', function onData(d: string) {
      watcher.out += d;
      if (watcher.out.startsWith('ready\n')) resolve(watcher);
    });
    proc.once('exit', (code) => reject(new Error(`the admin watcher exited (${code}) before it was ready`)));
  });
}

/** SIGTERM the watcher; resolves with the answers it counted. */
function stopWatcher(watcher: Watcher): Promise<number> {
  return new Promise((resolve, reject) => {
    watcher.proc.once('exit', function onExit(code) {
      const last = watcher.out.trim().split('\n').at(-1) ?? '';
      const answered = Number(last.split(' ')[0]);
      if (code === 0 && Number.isInteger(answered)) resolve(answered);
      else reject(new Error(`the admin watcher exited (${code}) with '${last}'`));
    });
    watcher.proc.kill('SIGTERM');
  });
}

interface Watcher {
  proc: ChildProcess;
  out: string;
}
