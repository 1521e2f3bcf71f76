/**
 * bin/benchmark: `benchmark [options]` runs scenarios (run-command.ts); a
 * first argument naming a command runs that command instead: on results
 * kept from earlier runs, or ab's rounds of runs over two endpoints
 * (src/results). Each command is its own module,
 * loaded only when asked for, and a function of its words and streams as
 * the run is. `benchmark help [command]` is the run's help, or the
 * command's; any other word is refused by the run's options
 * (run-options.ts), naming the commands.
 */
import { type ProgramIo, processIo, runAsProgram } from '../cli/program.js';
import type { RunHost } from '../results/ab-command.js';
import { COMMANDS } from './commands.js';

/**
 * The run as `benchmark ab` uses it, each side-run a full run in this
 * process: src/results does not import this folder, so it is given here,
 * loaded when used.
 */
const runHost: RunHost = {
  async check(name, argv, io) {
    const { planOf, sockperfWarning } = await import('./run-options.js');
    const plan = planOf(name, argv, io);
    return typeof plan === 'number' ? plan : { given: plan.given, warning: sockperfWarning(plan) };
  },
  run: async (argv, io) => (await import('./run-command.js')).runCommand(argv, io),
};

/** The benchmark: `argv` are the words after its name; the run or the command writes to `io`; returns the exit code. */
export async function main(argv: string[], io: ProgramIo = processIo()): Promise<number> {
  let args = argv;
  // `help` alone is the run's --help; `help report` is `report --help`; `help reprot` is refused as `reprot` would be.
  if (args[0] === 'help') {
    const about = args[1];
    args = about === undefined ? ['--help'] : Object.hasOwn(COMMANDS, about) ? [about, '--help'] : [about];
  }
  const command = args[0];
  if (command !== undefined && Object.hasOwn(COMMANDS, command)) {
    const run = await COMMANDS[command]();
    return run(args.slice(1), io, runHost);
  }
  const { runCommand } = await import('./run-command.js');
  return runCommand(args, io);
}

await runAsProgram(import.meta.url, main);
