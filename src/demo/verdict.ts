/**
 * The end of `./run.sh`'s demo: one line per run it kept (`--json`), each
 * against its own `--target-us`, then where to look and what to try next.
 * Drawn from the kept files alone, so that a test can feed it runs made
 * against a real server without running the whole demo.
 *
 * A run that failed (no figures, a reply wrong or lost) fails the demo;
 * a target missed is said, in the warning colour, but fails nothing: as
 * with the programs themselves, only `--slo` turns latency into a failure.
 */
import type { Paint } from '../cli/colour.js';
import type { BenchmarkReport } from '../report/benchmark.js';
import { scenariosOverTarget } from '../report/benchmark.js';
import type { ClientReport } from '../report/client.js';
import { fmtInt, fmtUs, overTarget } from '../stats/report.js';

/** A kept run: its label in the verdict, and its `--json` object (null: the file was empty or not JSON). */
export interface KeptRun {
  label: string;
  json: unknown;
}

export interface DemoRuns {
  /** bin/client runs: p50 and p99 against the target. */
  clients: KeptRun[];
  /** bin/benchmark runs: every reply right or not, and the scenarios whose p99 missed the target. */
  loads: KeptRun[];
  /** Where the server could run, from its configuration line. */
  serverCpus: string;
  /** The HTML page of the runs; null when it could not be written. */
  page: string | null;
}

const LABEL = 13;
const ms = (us: number) => (us % 1000 === 0 ? `${us / 1000} ms` : `${us} us`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The verdict as text, and whether the demo failed (exit 1). */
export function demoVerdict(runs: DemoRuns, paint: Paint): { text: string; failed: boolean } {
  let failed = false;
  const fail = (label: string, why: string) => {
    failed = true;
    return label.padEnd(LABEL) + paint.error(why);
  };
  const clientCpus = new Set<string>();
  const lines: string[] = [];
  for (const { label, json } of runs.clients) {
    const c = isObject(json) && isObject(json.latencyUs) ? (json as unknown as ClientReport) : null;
    if (c === null) {
      lines.push(fail(label, 'no figures: the client failed (its message is above)'));
      continue;
    }
    clientCpus.add(c.cpus ?? '?');
    lines.push(clientLine(label, c, paint) ?? fail(label, `${figures(c)}failed: ${c.error ?? `${fmtInt(c.wrong)} wrong replies, ${fmtInt(c.lost)} lost`}`));
  }
  for (const { label, json } of runs.loads) {
    if (!isObject(json)) {
      lines.push(fail(label, 'no figures: the benchmark failed (its message is above)'));
      continue;
    }
    if (!Array.isArray(json.scenarios)) {
      lines.push(fail(label, `failed: ${typeof json.error === 'string' ? json.error : 'no scenarios in its report'}`));
      continue;
    }
    const b = json as unknown as BenchmarkReport;
    const missed = missedTarget(b);
    const note = missed === null ? '' : `; ${paint.warn(missed)}`;
    if (!b.ok) {
      lines.push(fail(label, `failed: ${loadFailure(b)}`) + note);
      continue;
    }
    const n = b.scenarios.length;
    const scenarios = n === 1 ? '1 scenario' : `${n} scenarios`;
    lines.push(label.padEnd(LABEL) + (missed === null ? paint.ok(`${scenarios}: every reply right, p99 under the ${ms(b.targetUs)} target in each`) : `${scenarios}: every reply right${note}`));
  }
  lines.push(
    runs.page === null ? 'report'.padEnd(LABEL) + paint.error('not written (the reason is above)') : `${'report'.padEnd(LABEL)}${runs.page}   open it in a browser: spectra, timelines, context`,
    `${'placement'.padEnd(LABEL)}not pinned: the server could use CPUs ${runs.serverCpus || '?'}, the client and the benchmark CPUs ${[...clientCpus].join(', ') || '?'}`,
    'next         ./run.sh test                                     format, lint, types, tests',
    '             ./bin/server --cpu 0   and in another terminal    ./bin/client --cpu 0 --count 100000',
    '             ./bin/benchmark --preset medium --spawn-server    about 30 s of scenarios',
    '             README.md (reading this output), docs/PERFORMANCE.md (against sockperf and redis)',
  );
  return { text: lines.join('\n'), failed };
}

/** p50 and p99 as the client prints them (fmtUs), padded into columns. */
function figures(c: ClientReport): string {
  return `p50 ${`${fmtUs(c.latencyUs!.p50)} us`.padEnd(10)} p99 ${`${fmtUs(c.latencyUs!.p99)} us`.padEnd(10)} `;
}

/** A client run that got every reply right, against its target; null when it failed. */
function clientLine(label: string, c: ClientReport, paint: Paint): string | null {
  if (c.error !== null || c.errors > 0 || c.received !== c.sent) return null;
  const head = label.padEnd(LABEL) + figures(c);
  const t = ms(c.targetUs);
  if (!overTarget(c.latencyUs, c.targetUs)) return head + paint.ok(`both under the ${t} target`);
  return head + paint.warn(c.latencyUs!.p50 <= c.targetUs ? `p99 misses the ${t} target` : `p50 and p99 miss the ${t} target`);
}

/** The scenarios of a benchmark run whose p99 is over its target, with their p99; null when none. */
function missedTarget(b: BenchmarkReport): string | null {
  const over = scenariosOverTarget(b.scenarios, b.targetUs).map((n) => `${n} (${fmtUs(b.scenarios[n - 1].latencyUs!.p99)} us)`);
  if (over.length === 0) return null;
  return `p99 over the ${ms(b.targetUs)} target in ${over.length === 1 ? 'scenario' : 'scenarios'} ${over.join(', ')}`;
}

/** Why a benchmark run failed, in a few words: its error, the first scenario with wrong or lost replies, or its interrupt. */
function loadFailure(b: BenchmarkReport): string {
  if (b.failure !== null) return b.failure;
  const i = b.scenarios.findIndex((s) => s.failure !== null || s.errors > 0 || s.sloBreaches.length > 0);
  if (i >= 0) {
    const s = b.scenarios[i];
    const why = s.failure ?? (s.errors > 0 ? `${fmtInt(s.wrong)} wrong replies, ${fmtInt(s.lost)} lost` : `slo ${s.sloBreaches.join(', ')}`);
    return `scenario ${i + 1}: ${why}`;
  }
  if (b.interrupted !== null) return `interrupted (${b.interrupted})`;
  return 'see its report above';
}
