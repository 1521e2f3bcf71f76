/**
 * bin/benchmark: `benchmark [options]` runs scenarios (run-command.ts); a
 * first argument naming a command runs that command instead, on results
 * kept from earlier runs. Each command is its own module, loaded only when
 * asked for.
 */
const COMMANDS: Readonly<Record<string, string>> = { compare: './compare-command.js', merge: './merge-command.js', report: './report-command.js' };

const command = process.argv[2];
if (command !== undefined && Object.hasOwn(COMMANDS, command)) {
  process.argv.splice(2, 1);
  await import(COMMANDS[command]);
} else {
  await import('./run-command.js');
}
