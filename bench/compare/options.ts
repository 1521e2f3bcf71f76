/**
 * bench/compare.ts's command line: --quick, --rounds, --only and --json.
 * Bad usage is one line and exit status 2, before anything is started.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { parseArgs, parseInteger } from '../../src/cli/args.js';
import { SECTIONS, type Section } from './rows.js';

export const NAME = 'compare';

export interface CompareOptions {
  quick: boolean;
  /** Latency rounds: --rounds, else 4 (the fewest for a 95% interval of a ratio), or 1 with --quick. */
  rounds: number;
  /** Where the JSON goes: --json, else results/compare-<time>.json. */
  jsonFile: string;
  /** The sections to measure, in the order they run. */
  sections: Section[];
}

/** `gc,latency` -> ['latency', 'gc']: known names only, in the order they run, each once. */
export function parseSections(value: string): Section[] {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(SECTIONS as readonly string[]).includes(n)) throw new InvalidArgumentError(`expected a comma-separated list of ${SECTIONS.join(', ')}.`);
  }
  return SECTIONS.filter((s) => names.includes(s));
}

/** The timestamped file a run writes to when --json is not given. */
function defaultJsonFile(): string {
  return join(fileURLToPath(new URL('../../results/', import.meta.url)), `compare-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
}

/** Parse `argv` (process.argv); prints help and exits 0, or exits 2 with one line on bad usage. */
export function parseCompareOptions(argv: string[]): CompareOptions {
  const program = new Command(NAME)
    .description('Side by side with the C references: sockperf for latency, redis for throughput; prints the figures and the ratios against the targets, and writes both as JSON.')
    .option('--quick', 'one round and shorter runs: a rough pass in about 5 minutes instead of 40', false)
    .option('--rounds <n>', 'interleaved rounds of the latency, gc and sizes sections (default 4, the fewest for a 95% interval of each ratio; 1 with --quick)', parseInteger(1))
    .option('--only <sections>', `measure only these, comma-separated: ${SECTIONS.join(', ')} (default: all)`, parseSections)
    .option('--json <file>', 'write the figures and ratios here (default: results/compare-<time>.json)')
    .addHelpText(
      'after',
      `
Sections (they always run in this order):
  latency     sockperf's client and server against ours, TCP, Unix socket and UDP, busy-polling; both placements, in rounds
  gc          GC events per round trip in our server and our client, fixed and echo modes
  memory      server RSS added by 10 000 idle connections
  throughput  redis-benchmark and bin/benchmark (RESP PING), each against redis-server and our server --framing resp
  sizes       latency against message size (64 B to 65 507 B), sockperf's and ours, TCP, Unix socket and UDP; split, in rounds

Examples:
  $ bench/compare.sh                                  # everything, about 40 minutes; installs sockperf and redis if missing
  $ bench/compare.sh --quick                          # one round, shorter runs
  $ bench/compare.sh --only latency --rounds 5        # the latency rows alone, before and after a change
  $ node --import tsx bench/compare.ts --only gc,memory --json /tmp/gc.json`,
    );
  parseArgs(program, argv);
  const o = program.opts<{ quick: boolean; rounds?: number; only?: Section[]; json?: string }>();
  const sections = o.only ?? [...SECTIONS];
  return { quick: o.quick, rounds: o.rounds ?? (o.quick ? 1 : 4), jsonFile: o.json ?? defaultJsonFile(), sections };
}
