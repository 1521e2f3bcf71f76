/**
 * What a JSON report records about the run besides its figures, so that two
 * runs can be told apart and compared safely: which tool and version, which
 * Node and flags, which machine, when, and which commit of this project.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, hostname, release, type } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The package root: dist/cli/ or src/cli/ two levels down. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Bumped whenever a field of the JSON reports changes meaning or moves. */
export const JSON_SCHEMA = 1;

let version: string | undefined;

/** This package's version, from its package.json. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;
  return version;
}

export interface RunMeta {
  schema: number;
  /** The program, as installed: respuesta-server, respuesta-client, respuesta-benchmark. */
  tool: string;
  version: string;
  node: string;
  /** V8 and Node flags the process runs with (the launchers' GC flags among them). */
  nodeFlags: string[];
  /** The command line as typed: the program's name, then its arguments. */
  argv: string[];
  hostname: string;
  cpu: { model: string; count: number };
  kernel: string;
  /** ISO 8601. */
  startedAt: string;
  /** The git commit of the checkout the program runs from, with '+' when it has uncommitted changes; null for an installed package. */
  commit: string | null;
}

/** The meta object of a run of `tool` that started at `startedAt`. */
export function runMeta(tool: string, startedAt: Date): RunMeta {
  const list = cpus();
  return {
    schema: JSON_SCHEMA,
    tool,
    version: packageVersion(),
    node: process.version,
    nodeFlags: process.execArgv,
    argv: [tool, ...process.argv.slice(2)],
    hostname: hostname(),
    cpu: { model: list[0]?.model.trim() ?? 'unknown', count: list.length },
    kernel: `${type()} ${release()}`,
    startedAt: startedAt.toISOString(),
    commit: gitCommit(),
  };
}

function gitCommit(): string | null {
  if (!existsSync(`${ROOT}.git`)) return null;
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const sha = git('rev-parse', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? sha : `${sha}+`;
  } catch {
    return null;
  }
}
