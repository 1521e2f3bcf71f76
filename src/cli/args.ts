/**
 * Option parsing shared by the three programs: commander for the grammar,
 * these parsers for the values. A bad value becomes one line naming the
 * option, and exit status 2, before anything listens or connects.
 */
import { type Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CLIENT_MODES, FRAMINGS, MODES } from '../protocol/index.js';
import { cpuRanges } from '../machine/cpus.js';
import { pinSelf, realtimeSelf } from '../machine/sched.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * An integer option in [min, max]. The message names the range as a person
 * would: "an integer of at least 1" when there is no upper limit worth
 * stating, never JavaScript's largest safe integer.
 */
export function parseInteger(min: number, max = Number.MAX_SAFE_INTEGER) {
  const expected = max === Number.MAX_SAFE_INTEGER ? `expected an integer of at least ${fmtLimit(min)}` : `expected an integer from ${fmtLimit(min)} to ${fmtLimit(max)}`;
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`${expected}.`);
    const n = Number(value);
    if (n > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError(`${expected}; ${value.trim()} is too large.`);
    if (n < min || n > max) throw new InvalidArgumentError(`${expected}.`);
    return n;
  };
}

/**
 * `1,10,50` -> [1, 10, 50]: integers from `min` to `max`, each once (a value
 * given twice would make two scenarios of one name: one tag in --hlog, one
 * row to compare and merge). The benchmark's -c, -P and -R, and --size.
 */
export function parseIntList(max: number, min = 1) {
  return (value: string): number[] => {
    const parts = value.split(',').map((s) => s.trim());
    const out: number[] = [];
    for (const p of parts) {
      if (!/^\d+$/.test(p) || Number(p) < min || Number(p) > max) throw new InvalidArgumentError(`expected a comma-separated list of integers from ${min} to ${max}.`);
      if (out.includes(Number(p))) throw new InvalidArgumentError(`${Number(p)} is listed twice; give each value once.`);
      out.push(Number(p));
    }
    return out;
  };
}

/** A number option in [min, max]; without a max, "a number of at least 0.1" (never Number.MAX_VALUE). */
export function parseNumber(min: number, max = Number.MAX_VALUE) {
  const expected = max === Number.MAX_VALUE ? `expected a number of at least ${fmtLimit(min)}` : `expected a number from ${fmtLimit(min)} to ${fmtLimit(max)}`;
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${expected}.`);
    return n;
  };
}

/** A limit as a person reads it: 4,294,967,295 rather than 4294967295 (a port stays 65535), 0.001 rather than 1e-3. */
function fmtLimit(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 20, useGrouping: n >= 100_000 });
}

export const parsePort = parseInteger(0, 65535);

/** The highest CPU number a list may name: Linux numbers at most 8192 CPUs (CONFIG_NR_CPUS' limit). */
const MAX_CPU = 8191;

/** A CPU list as taskset takes it: `0`, `0,1`, `0-3,6`; ranges ascending, CPUs up to MAX_CPU. */
export function parseCpuList(value: string): string {
  const ranges = value.trim() === value ? cpuRanges(value) : null;
  if (ranges === null) throw new InvalidArgumentError('expected a CPU list such as 0, 0,1 or 0-3.');
  for (const [from, to] of ranges) {
    if (to > MAX_CPU) throw new InvalidArgumentError(`CPU ${to}: Linux numbers CPUs 0 to ${MAX_CPU} at most.`);
    if (to < from) throw new InvalidArgumentError(`the range ${from}-${to} runs backwards: write ${to}-${from}.`);
  }
  return value;
}

export function framingOption(): Option {
  return new Option('-f, --framing <name>', "message framing (resp: Redis's protocol, PING and ECHO; docs/PROTOCOL.md)").choices(FRAMINGS).default('length');
}

/** --io: Node's internals when it has them, or its public API only (src/io/binding.ts). */
export function ioOption(description: string): Option {
  return new Option('--io <path>', description).choices(['handles', 'sockets']).default('handles');
}

export function modeOption(description = 'fixed: one constant response; echo: the message back (sockperf and resp answer as their servers do)', client = false): Option {
  return new Option('-m, --mode <mode>', description).choices(client ? CLIENT_MODES : MODES).default('fixed');
}

/** The fixed response unless --response says otherwise. */
export const DEFAULT_RESPONSE = 'respuesta';

/**
 * With --framing resp the replies are Redis's (PING: +PONG, ECHO: its
 * argument), so --mode echo and a --response have nothing to choose: the
 * usage error that says so, or null.
 */
export function respOptionProblem(o: { framing: string; mode: string; response: string }): string | null {
  if (o.framing !== 'resp') return null;
  if (o.mode !== 'fixed') return "option --mode has no meaning with --framing resp: the replies are Redis's (PING: +PONG; ECHO and PING with an argument: the argument back)";
  if (o.response !== DEFAULT_RESPONSE) return "option --response has no meaning with --framing resp: the replies are Redis's (PING: +PONG; ECHO and PING with an argument: the argument back)";
  return null;
}

/** Commander's usage errors that a pointer to --help helps with: a name it does not know, a word or a value it did not expect or missed. */
const POINT_TO_HELP = new Set([
  'commander.unknownOption',
  'commander.unknownCommand',
  'commander.excessArguments',
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
]);

/**
 * Parse process.argv with conventional exit codes: 0 after --help, 2 for
 * bad usage, with one line on stderr (usageLine), and exit there. For a
 * script that owns its process (bench/); a program, which must not exit,
 * uses parseCommand.
 */
export function parseArgs(program: Command, argv: string[]): void {
  const code = parseCommand(program, argv.slice(2), process);
  if (code !== null) process.exit(code);
}

/**
 * Parse `args` (the words after the program's name) without exiting: null
 * when the run goes on, else the exit code, with the help or the version on
 * `out.stdout`, or the usage line on `out.stderr`, already written.
 */
export function parseCommand(program: Command, args: readonly string[], out: { stdout: { write(s: string): unknown }; stderr: { write(s: string): unknown } }): number | null {
  program.exitOverride();
  // Commander's own default, made explicit: the suggestion is part of the one line written below.
  program.showSuggestionAfterError(true);
  // Help and version go where the program writes; errors are written below, once the error's code is known.
  program.configureOutput({ writeOut: (s) => out.stdout.write(s), writeErr: (s) => out.stderr.write(s), outputError: () => {} });
  try {
    program.parse(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      if (!ok) out.stderr.write(`${usageLine(program.name(), err)}\n`);
      return ok ? EXIT_OK : EXIT_USAGE;
    }
    throw err;
  }
  return null;
}

/**
 * Commander's usage error as one line, the program's name first:
 * `benchmark: error: unknown option '--conections' (Did you mean
 * --connections?); see benchmark --help`. Its suggestion comes on a second
 * line of its own; a mistake in what was typed gets the pointer to --help.
 */
export function usageLine(name: string, err: CommanderError): string {
  const text = err.message
    .replace(/^error: /, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
  return `${name}: error: ${text}${POINT_TO_HELP.has(err.code) ? `; see ${name} --help` : ''}`;
}

/** Pin this process to the CPUs given with `option` (taskset), if any; null when done, or why not in one line (bad usage). */
export function pinProblem(option: string, cpus: string | undefined): string | null {
  if (cpus === undefined) return null;
  try {
    pinSelf(cpus);
    return null;
  } catch (err) {
    return `option ${option}: taskset could not pin to CPUs ${cpus}: ${describeError(err).split('\n')[0]}`;
  }
}

/** `--rt-priority`: a SCHED_FIFO priority, 1 to 99 (the range Linux gives it). */
export const parseRtPriority = parseInteger(1, 99);

/** Run every thread under SCHED_FIFO at `priority`, if given; null when done, or why not in one line (a failed run). */
export function realtimeProblem(priority: number | undefined): string | null {
  if (priority === undefined) return null;
  try {
    realtimeSelf(priority);
    return null;
  } catch (err) {
    const reason =
      describeError(err)
        .split('\n')
        .find((l) => l.startsWith('chrt:')) ?? describeError(err).split('\n')[0];
    return `option --rt-priority: cannot run under SCHED_FIFO at priority ${priority} (${reason}); it needs root, CAP_SYS_NICE or an RLIMIT_RTPRIO of ${priority} (ulimit -r)`;
  }
}

/** Report a failed run in one line, without a stack trace, and exit 1: for a script (bench/); a program throws RunError (program.ts). */
export function fatal(program: string, message: string): never {
  process.stderr.write(`${program}: ${message}\n`);
  process.exit(EXIT_FAILED);
}

/** A one-line description of an error, without its stack. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Exit statuses after a signal, as a shell reports them: 128 + the signal's number. */
export const EXIT_SIGNAL: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Call `stop` on the first SIGINT or SIGTERM (stop the load, report what was
 * measured, exit with EXIT_SIGNAL); a second signal exits at once, with one
 * line on stderr. Returns a function that removes the handlers.
 */
export function onInterrupt(program: string, stop: (signal: 'SIGINT' | 'SIGTERM') => void): () => void {
  let seen = false;
  const handler = (signal: 'SIGINT' | 'SIGTERM') => {
    if (seen) {
      process.stderr.write(`${program}: ${signal} again: exiting without a report\n`);
      process.exit(EXIT_SIGNAL[signal]);
    }
    seen = true;
    stop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * The name this program was invoked by, for its usage line, its examples and
 * its error messages: `respuesta-server` when installed, `server` in a
 * checkout. The launchers (bin/launch.sh) export it as RESPUESTA_PROGRAM;
 * run without them (node dist/server/main.js), the program is `fallback`.
 */
export function programName(fallback: string): string {
  const name = process.env.RESPUESTA_PROGRAM;
  return name === undefined || name === '' ? fallback : name;
}
