/**
 * A program as a function: `main(argv, io)` parses, plans, runs and renders,
 * and resolves with its exit status; bin/* (through bin/launch.sh) run the
 * compiled module, which calls it and exits with that status, while a test
 * imports the module and calls `main` in its own process.
 *
 * Inside `main`, a check that fails throws one of the two errors below, and
 * `main` turns it into its one line on stderr and its status (exitStatus),
 * as usageError and fatal do for a program that exits where it stands.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_FAILED, EXIT_USAGE } from './args.js';

/** Where a program run as `main` writes, and what may stop it as SIGTERM would. */
export interface ProgramIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Aborting it is a SIGTERM for the program (a test stops an in-process server with it). */
  signal?: AbortSignal;
}

/** This process's own streams, and no signal but the real ones. */
export function processIo(): ProgramIo {
  return { stdout: process.stdout, stderr: process.stderr };
}

/** Bad usage found after parsing: `NAME: error: MESSAGE`, exit status 2. */
export class UsageError extends Error {}

/** A failed run: `NAME: MESSAGE`, exit status 1. */
export class RunError extends Error {}

/** The exit status of `err` thrown out of a program's run, its one line written to `stderr`; anything else is rethrown (a bug: its stack is wanted). */
export function exitStatus(name: string, err: unknown, stderr: NodeJS.WritableStream): number {
  if (err instanceof UsageError) {
    stderr.write(`${name}: error: ${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof RunError) {
    stderr.write(`${name}: ${err.message}\n`);
    return EXIT_FAILED;
  }
  throw err;
}

/**
 * Run `main` with this process's arguments and exit with its status when
 * node was started on the module at `moduleUrl` (bin/launch.sh runs
 * dist/PROGRAM/main.js, and a cluster worker the same file); do nothing when
 * the module is imported (a test). An error `main` does not expect is left
 * unhandled: node prints its stack and exits 1.
 */
export function runAsProgram(moduleUrl: string, main: (argv: string[], io: ProgramIo) => Promise<number>): void {
  if (!isEntry(moduleUrl)) return;
  void main(process.argv.slice(2), processIo()).then((status) => process.exit(status));
}

/** Whether node was started on the module at `moduleUrl` (its path as given, symlinks resolved as node resolves them). */
function isEntry(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === fileURLToPath(moduleUrl);
  } catch {
    return false;
  }
}
