/**
 * bin/benchmark: `benchmark [options]` runs scenarios (run-command.ts); a
 * first argument naming a command runs that command instead, on results
 * kept from earlier runs (src/results). Each command is its own module, loaded only when
 * asked for. `benchmark help [command]` is the run's help, or the
 * command's; any other word is refused by run-command.ts, naming the
 * commands.
 */
import { COMMANDS } from './commands.js';

const argv = process.argv;
// `help` alone is the run's --help; `help report` is `report --help`; `help reprot` is refused as `reprot` would be.
if (argv[2] === 'help') {
  const about = argv[3];
  argv.splice(2, argv.length - 2, ...(about === undefined ? ['--help'] : Object.hasOwn(COMMANDS, about) ? [about, '--help'] : [about]));
}
const command = argv[2];
if (command !== undefined && Object.hasOwn(COMMANDS, command)) {
  argv.splice(2, 1);
  await import(COMMANDS[command]);
} else {
  await import('./run-command.js');
}
