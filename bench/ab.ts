/**
 * A/B runs of bin/client against bin/server, the sides alternating in
 * rounds: forward in odd rounds, backward in even ones (ABBA; ABCCBA with
 * three sides), so that a slow minute of a shared machine does not fall on
 * one side more than the other. Each run is a fresh server and a client of
 * COUNT round trips after WARMUP (64 B, TCP); each prints a row, and the end
 * a summary per side, then each side against the first: B/A with its 95%
 * interval over the rounds and the verdict in words (ab/versus.ts). What
 * each mode compares, and the options: --help, or bench/README.md.
 *
 *   node --import tsx bench/ab.ts io --rounds 5            (after ./run.sh build)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Plan, USAGE, orderOf, planOf } from './ab/plan.js';
import { describeHere } from './ab/rev.js';
import { formatRow, header, summary, title } from './ab/print.js';
import { type Row, runSide } from './ab/run.js';
import { formatVersus } from './ab/versus.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let plan: Plan;
  try {
    plan = planOf(argv, ROOT);
  } catch (err) {
    console.error(`bench/ab.ts: ${(err as Error).message}`);
    console.error(USAGE.split('\n')[0]);
    return 2;
  }
  // A neighbour that wants the whole CPU at normal priority: a build, a batch job.
  const hog: ChildProcess | null = plan.hog ? spawn('taskset', ['-c', String(plan.cpu), 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }) : null;
  const rows: Row[] = [];
  try {
    console.log(title(plan, process.version, describeHere(ROOT)));
    console.log(header(plan));
    for (let round = 1; round <= plan.rounds; round++) {
      for (const side of orderOf(plan, round)) {
        const row = await runSide(plan, side, round);
        rows.push(row);
        console.log(formatRow(plan, row));
      }
    }
    console.log(`\n${summary(plan, rows)}\n\n${formatVersus(plan, rows)}`);
    return 0;
  } catch (err) {
    console.error(`bench/ab.ts: ${(err as Error).message}`);
    return 1;
  } finally {
    hog?.kill('SIGKILL');
  }
}

process.exitCode = await main(process.argv.slice(2));
