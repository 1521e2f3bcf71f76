/**
 * A program as a function: `main(argv, io)` parses, plans, runs and renders,
 * and resolves with its exit status. bin/* (through bin/launch.sh) run the
 * compiled module, which calls it (runAsProgram); a test imports the module
 * and calls `main` in its own process, as often as it likes: nothing here
 * exits the process or keeps state between calls.
 *
 * Inside `main`, a check that fails throws UsageError or RunError, which
 * runProgram turns into the program's one line on stderr and its status.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_FAILED, EXIT_USAGE } from './args.js';

/** A stream a program writes text to; `isTTY` decides colour, the progress bar and live lines. */
export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** A stream that can fail (a pipe whose reader left) says so here; the logger then writes to it no more. */
  on?(event: 'error', listener: (err: Error) => void): unknown;
}

/** Where a program writes, and what may stop it as SIGTERM would. */
export interface ProgramIo {
  stdout: OutStream;
  stderr: OutStream;
  /** Aborting it is a SIGTERM for the program (a test stops an in-process server with it). */
  signal?: AbortSignal;
}

/** This process's own streams, and no signal but the real ones: what bin/* give a program. */
export function processIo(): ProgramIo {
  return { stdout: process.stdout, stderr: process.stderr };
}

/**
 * Call `onStop` on SIGINT or SIGTERM, and with 'SIGTERM' when `abort`
 * aborts (at once if it already has): how a long-running program (the
 * server) is stopped from a shell and from a test alike. Returns what
 * removes the handlers.
 */
export function onStopRequest(onStop: (signal: NodeJS.Signals) => void, abort?: AbortSignal): () => void {
  const onSignal = (signal: NodeJS.Signals) => onStop(signal);
  const onAbort = () => onStop('SIGTERM');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  abort?.addEventListener('abort', onAbort, { once: true });
  if (abort?.aborted === true) onAbort();
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    abort?.removeEventListener('abort', onAbort);
  };
}

/** Bad usage found after parsing: `NAME: error: MESSAGE`, exit status 2. */
export class UsageError extends Error {}

/** A run that fails or cannot start: `NAME: MESSAGE`, exit status 1. */
export class RunError extends Error {}

/** The exit status of `err` thrown out of a program's run, its one line written to `stderr`; anything else is rethrown (a bug: its stack is wanted). */
export function exitStatus(name: string, err: unknown, stderr: OutStream): number {
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

/** Run a program's body; a UsageError or RunError it throws becomes its line on stderr and its status. */
export async function runProgram(name: string, io: ProgramIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    return exitStatus(name, err, io.stderr);
  }
}

/**
 * When node was started on the module at `moduleUrl` (bin/launch.sh runs
 * dist/PROGRAM/main.js, and a cluster worker the same file), run `main` on
 * this process's arguments; do nothing when the module is imported (a
 * test). By default the process ends with main's status once nothing is
 * left to do, so that what is queued on stdout is written; `exitNow` ends it
 * at once (the server: its admin thread and lingering peers must not keep
 * it). An error `main` does not expect is left unhandled: node prints its
 * stack and exits 1.
 */
export async function runAsProgram(moduleUrl: string, main: (argv: string[], io: ProgramIo) => Promise<number>, exitNow = false): Promise<void> {
  if (!isEntry(moduleUrl)) return;
  const status = await main(process.argv.slice(2), processIo());
  if (exitNow) process.exit(status);
  process.exitCode = status;
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
