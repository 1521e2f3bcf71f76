/**
 * The benchmark's commands (`benchmark report|compare|merge|ab`): on kept
 * results, and ab over two live endpoints,
 * and what to say about a word that is none of them. Kept apart from
 * main.ts so that the run's own options (run-command.ts) can name them too;
 * each command's module is loaded only when it runs.
 */
import type { ProgramIo } from '../cli/program.js';
import type { RunHost } from '../results/ab-command.js';

/** A command as a function: the words after its name, the streams it writes to, the benchmark's run (for ab); its exit code. */
export type CommandRun = (argv: string[], io: ProgramIo, host: RunHost) => Promise<number>;

/** Each command, loaded when asked for (src/results: the commands, apart from the load engine). */
export const COMMANDS: Readonly<Record<string, () => Promise<CommandRun>>> = {
  report: async () => (await import('../results/report-command.js')).run,
  compare: async () => (await import('../results/compare-command.js')).run,
  merge: async () => (await import('../results/merge-command.js')).run,
  ab: async () => (await import('../results/ab-command.js')).run,
};

const names = Object.keys(COMMANDS);
/** The commands as a sentence names them: `report, compare, merge or ab`. */
export const COMMAND_LIST = `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;

/**
 * The usage error for a word the run does not take (it takes options
 * only): a command written after options, or one mistyped, with the
 * nearest command when one is close (`reprot`: report).
 */
export function misplacedCommand(word: string, program: string): string {
  if (Object.hasOwn(COMMANDS, word)) return `the command ${word} comes first: ${program} ${word} ... (see ${program} ${word} --help)`;
  const near = nearestCommand(word);
  return `unknown command '${word}'${near === null ? '' : ` (did you mean ${near}?)`}: the commands are ${names.slice(0, -1).join(', ')} and ${names.at(-1)}; without one, ${program} takes options only (see ${program} --help)`;
}

/** The command within a typo or two of `word` (a third of its length at most), or null. */
function nearestCommand(word: string): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const name of Object.keys(COMMANDS)) {
    const d = editDistance(word.toLowerCase(), name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** Edits from `a` to `b`: insertions, deletions, substitutions, and swaps of two neighbours (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
