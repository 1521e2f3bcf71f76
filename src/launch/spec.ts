/**
 * A server described by what a load needs of it (transport, framing, mode,
 * reply, CPUs), turned into bin/server's arguments, and started that way
 * (server.ts): the benchmark's `--spawn-server` starts its server so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Framing, Mode } from '../protocol/index.js';
import { type ServerProcess, type StartOptions, startServerProcess } from './server.js';

export interface ServerSpec {
  transport: 'tcp' | 'unix' | 'udp';
  host: string;
  /** 0 for an ephemeral port. */
  port: number;
  /** Unix socket path; a temporary one when absent. */
  path?: string;
  framing: Framing;
  mode: Mode;
  response: string;
  maxFrame: number;
  /** CPU list for the server (its `--cpu`). */
  cpus?: string;
}

/**
 * bin/server's arguments for a framing, mode and transport, and what to
 * remove once it has exited (a temporary directory for its socket).
 */
export function serverArgs(s: ServerSpec): { args: string[]; cleanup: () => void } {
  const args = ['--framing', s.framing, '--mode', s.mode, '--response', s.response, '--max-frame', String(s.maxFrame)];
  if (s.cpus !== undefined) args.push('--cpu', s.cpus);
  let tmp: string | null = null;
  if (s.transport === 'unix') {
    let path = s.path;
    if (path === undefined) {
      tmp = mkdtempSync(join(tmpdir(), 'respuesta-bench-'));
      path = join(tmp, 'server.sock');
    }
    args.push('--unix', path);
  } else if (s.transport === 'udp') {
    args.push('--udp', s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`);
  } else {
    args.push('--host', s.host, '--port', String(s.port));
  }
  return { args, cleanup: () => tmp !== null && rmSync(tmp, { recursive: true, force: true }) };
}

/** Start bin/server as `spec` says (startServerProcess: resolves once it is ready, rejects with its reason); its temporary socket directory goes when it exits. */
export function startServerFor(spec: ServerSpec, options: Omit<StartOptions, 'cleanup'> = {}): Promise<ServerProcess> {
  const { args, cleanup } = serverArgs(spec);
  return startServerProcess(args, { ...options, cleanup });
}
