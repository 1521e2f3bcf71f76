/**
 * The output options the client and the benchmark share (--hgrm,
 * --interval, --hlog, --report, --json, each with the program's own help
 * text), their interrupts and their exit codes. What is written where, once
 * the options are parsed, is src/output's RunOutput.
 */
import type { Command } from 'commander';
import { EXIT_FAILED, EXIT_OK, EXIT_SIGNAL, onInterrupt, parseNumber } from './args.js';

/** The exit code of a run: the signal's after an interrupt, else 0 or 1. */
export function exitCode(signal: 'SIGINT' | 'SIGTERM' | null, ok: boolean): number {
  return signal !== null ? EXIT_SIGNAL[signal] : ok ? EXIT_OK : EXIT_FAILED;
}

/** Each output option's help text, which says what the program writes there. */
export interface OutputHelp {
  /** What --hgrm names: one file, or a directory of one file per scenario. */
  hgrmValue: '<file>' | '<dir>';
  hgrm: string;
  interval: string;
  hlog: string;
  report: string;
  json: string;
}

/** The output options, as parsed. */
export interface OutputOptions {
  hgrm?: string;
  interval?: number;
  hlog?: string;
  report?: string;
  json: boolean;
}

/** Add --hgrm, --interval, --hlog, --report and --json, in that order. */
export function addOutputOptions(cmd: Command, help: OutputHelp): Command {
  return cmd
    .option(`--hgrm ${help.hgrmValue}`, help.hgrm)
    .option('--interval <s>', help.interval, parseNumber(0.01, 3600))
    .option('--hlog <file>', help.hlog)
    .option('--report <file.html>', help.report)
    .option('--json', help.json, false);
}

/**
 * The first SIGINT or SIGTERM aborts `signal` (the load stops, the run
 * reports what it measured) and calls `onStop`; a second exits at once
 * (onInterrupt). `dispose` removes the handlers at the end of the run.
 */
export class Interrupts {
  private readonly controller = new AbortController();
  private readonly remove: () => void;
  signal: 'SIGINT' | 'SIGTERM' | null = null;

  constructor(name: string, onStop?: (signal: 'SIGINT' | 'SIGTERM') => void) {
    this.remove = onInterrupt(name, (s) => {
      this.signal = s;
      this.controller.abort(s);
      onStop?.(s);
    });
  }

  get abortSignal(): AbortSignal {
    return this.controller.signal;
  }

  dispose(): void {
    this.remove();
  }
}
