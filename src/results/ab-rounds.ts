/**
 * The rounds of `benchmark ab`: each a full benchmark run of each side, A
 * then B in odd rounds and B then A in even ones (ABBA), so that a machine
 * growing busier or quieter over the minutes weighs on both sides alike
 * rather than on whichever ran second. Every side-run is the benchmark's
 * own run, in this process (the same client placement for all of them),
 * with --json, its report parsed from what it printed.
 *
 * Warm-up rounds go first, in the same order, their reports discarded: the
 * process's first side-run is always A's, and it would carry the client's
 * cold start (its JIT, its first connections) into A's first round alone.
 *
 * A side-run that fails stops everything: a comparison with a side that did
 * not answer right is no comparison. SIGINT or SIGTERM stops the side-run in
 * progress (the run's own handler: it reports what it measured and returns
 * 130 or 143) and then the rounds; only the rounds both sides completed
 * count. A second signal exits at once, as the run's does.
 */
import { Interrupts } from '../cli/output.js';
import type { OutStream, ProgramIo } from '../cli/program.js';
import { type Target, targetUrl } from '../io/connect.js';
import type { BenchmarkReport } from '../report/benchmark.js';
import { targetArgs } from './endpoints.js';

/** The benchmark's run as a function (its runCommand): the words after the program's name, the streams; the exit code. */
export type SideRun = (argv: string[], io: ProgramIo) => Promise<number>;

export type Side = 'A' | 'B';

/** One round: the order its sides ran in, and each side's report. */
export interface AbRound {
  round: number;
  order: [Side, Side];
  a: BenchmarkReport;
  b: BenchmarkReport;
}

/** What the rounds came to: the complete ones, and why they stopped early if they did. */
export interface RoundsResult {
  rounds: AbRound[];
  /** The signal that stopped them, or null. */
  interrupted: 'SIGINT' | 'SIGTERM' | null;
  /** The side-run that failed, in one line, or null. */
  failure: string | null;
}

/** The order of round `round` (from 1): A first in odd rounds, B first in even ones. */
export function roundOrder(round: number): [Side, Side] {
  return round % 2 === 1 ? ['A', 'B'] : ['B', 'A'];
}

/** What a side-run printed, kept: stdout for its report, stderr for its failure. */
class Captured {
  out = '';
  err = '';
  readonly io: ProgramIo = {
    stdout: { write: (s: string) => (this.out += s) } satisfies OutStream,
    stderr: { write: (s: string) => (this.err += s) } satisfies OutStream,
  };
}

/** Exit codes of a run stopped by a signal. */
const SIGNAL_OF: Readonly<Record<number, 'SIGINT' | 'SIGTERM'>> = { 130: 'SIGINT', 143: 'SIGTERM' };

/**
 * Run `warmup` unmeasured rounds, then `count` rounds, of `a` and `b` with
 * the run options `runArgs` (the scenario options, without a target or an
 * output), one line per side-run on `io.stderr`; `run` is the benchmark's
 * run.
 */
export async function runRounds(
  name: string,
  sides: { a: Target; b: Target },
  runArgs: readonly string[],
  count: number,
  io: ProgramIo,
  run: SideRun,
  warmup = 0,
): Promise<RoundsResult> {
  const interrupts = new Interrupts(name, (signal) => {
    const again = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    io.stderr.write(`${name}: ${signal}: stopping after this side-run, then comparing the rounds both sides completed (${again} again to exit at once)\n`);
  });
  const rounds: AbRound[] = [];
  try {
    for (let turn = 1 - warmup; turn <= count; turn++) {
      // Turns 1 - warmup .. 0 are the warm-up rounds, numbered from 1 and ordered as rounds are.
      const warming = turn < 1;
      const round = warming ? turn + warmup : turn;
      const order = roundOrder(round);
      const reports: Partial<Record<Side, BenchmarkReport>> = {};
      for (const side of order) {
        if (interrupts.signal !== null) return { rounds, interrupted: interrupts.signal, failure: null };
        const target = side === 'A' ? sides.a : sides.b;
        const label = warming ? `warm-up ${round}/${warmup}` : `round ${round}/${count}`;
        const where = `${label}  ${side}  ${targetUrl(target)}`;
        const captured = new Captured();
        const code = await run([...targetArgs(target), ...runArgs, '--json'], captured.io);
        const signal = SIGNAL_OF[code];
        // Stopped midway, the side-run measured less than a round's worth: its round is not complete.
        if (signal !== undefined) {
          io.stderr.write(`${where}  interrupted\n`);
          return { rounds, interrupted: signal, failure: null };
        }
        const parsed = reportOf(captured, code);
        if (typeof parsed === 'string') {
          return { rounds, interrupted: null, failure: `side ${side} (${targetUrl(target)}) failed in ${warming ? 'warm-up round' : 'round'} ${round}: ${parsed}` };
        }
        io.stderr.write(`${where}  done\n`);
        reports[side] = parsed;
      }
      if (!warming) rounds.push({ round, order, a: reports.A!, b: reports.B! });
    }
    return { rounds, interrupted: interrupts.signal, failure: null };
  } finally {
    interrupts.dispose();
  }
}

/** A report and its failure as the --json run writes them when it fails before measuring. */
type RunOutput = Partial<BenchmarkReport> & { error?: string };

/** The side-run's report, or why it failed, in one line. */
function reportOf(captured: Captured, code: number): BenchmarkReport | string {
  let report: RunOutput | null = null;
  try {
    report = JSON.parse(captured.out) as RunOutput;
  } catch {
    // No report: the run's one line on stderr says why.
  }
  const said = firstLine(captured.err);
  if (report === null) return said ?? `exit ${code}, no report`;
  const failure = report.failure ?? report.error ?? scenarioFailure(report) ?? (code !== 0 || report.ok !== true ? (said ?? `exit ${code}`) : null);
  if (failure !== null) return report.hint !== undefined && report.hint !== null ? `${failure} (hint: ${report.hint})` : failure;
  return report as BenchmarkReport;
}

/** The first scenario that did not run clean, as the run's table would say it; null when none. */
function scenarioFailure(report: RunOutput): string | null {
  for (const [i, s] of (report.scenarios ?? []).entries()) {
    const what = `scenario ${i + 1}`;
    if (s.failure !== null) return `${what}: ${s.failure}`;
    if (s.errors > 0) return `${what}: ${s.errors} errors (${s.wrong} wrong replies, ${s.lost} lost)`;
    if (s.sloBreaches.length > 0) return `${what}: SLO breached (${s.sloBreaches.join(', ')})`;
    if (s.messages === 0) return `${what}: no reply measured`;
  }
  return null;
}

/** The first line that says something, without colour codes; null when there is none. */
function firstLine(text: string): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are what is removed
  const line = text.replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim() !== '');
  return line === undefined ? null : line.trim();
}
