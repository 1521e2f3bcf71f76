/**
 * What `./run.sh` calls to show the runs its demo keeps (`--json` files)
 * and to end with its verdict (verdict.ts). Not a program of the package:
 * the demo's helper, built with the rest so that it formats with the same
 * code as the programs.
 *
 *   node dist/demo/main.js show FILE
 *       a kept client or benchmark run as that program prints it (nothing
 *       for a run that measured nothing: its message went to stderr)
 *   node dist/demo/main.js verdict [--client LABEL=FILE]... [--load LABEL=FILE]...
 *                                  [--server-cpus LIST] [--page FILE]
 *       the verdict; exit 1 when a run failed
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatReport as formatBenchmark, scenarioColumns } from '../report/benchmark-text.js';
import type { BenchmarkReport } from '../report/benchmark.js';
import { bordersFor } from '../report/table.js';
import { paintFor } from '../cli/colour.js';
import { runAsProgram } from '../cli/program.js';
import { type ClientReport, formatReport as formatClient } from '../report/client.js';
import { type KeptRun, demoVerdict } from './verdict.js';

/** A kept `--json` run, or null when the file is missing, empty or not JSON (the program's own message says why). */
function readRun(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** The text the program would have printed for this run, or '' when it printed none. */
function show(json: unknown): string {
  if (typeof json !== 'object' || json === null) return '';
  const paint = paintFor(process.stdout);
  if (Array.isArray((json as BenchmarkReport).scenarios)) {
    const b = json as BenchmarkReport;
    if (b.scenarios.length === 0) return '';
    const borders = bordersFor(false);
    return formatBenchmark(b, scenarioColumns(b.options.scenarios, b.targetUs, b.options.threads, borders), paint, borders);
  }
  const c = json as ClientReport;
  // As bin/client: no report when the run failed before a reply came back (its message went to stderr).
  if (c.latencyUs === undefined || (c.error !== null && c.received === 0 && !c.partial)) return '';
  return formatClient(c, paint);
}

/** `LABEL=FILE` pairs, each read. */
function kept(pairs: string[] | undefined): KeptRun[] {
  return (pairs ?? []).map((pair) => {
    const at = pair.indexOf('=');
    return { label: pair.slice(0, at), json: readRun(pair.slice(at + 1)) };
  });
}

/** The helper: `argv` are the words after its name; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'show' && rest.length === 1) {
    const text = show(readRun(rest[0]));
    if (text !== '') process.stdout.write(`${text}\n`);
    return 0;
  }
  if (command === 'verdict') {
    const { values } = parseArgs({
      args: rest,
      options: {
        client: { type: 'string', multiple: true },
        load: { type: 'string', multiple: true },
        'server-cpus': { type: 'string', default: '' },
        page: { type: 'string', default: '' },
      },
    });
    const { text, failed } = demoVerdict(
      { clients: kept(values.client), loads: kept(values.load), serverCpus: values['server-cpus'], page: values.page === '' ? null : values.page },
      paintFor(process.stdout),
    );
    process.stdout.write(`${text}\n`);
    return failed ? 1 : 0;
  }
  process.stderr.write('usage: node dist/demo/main.js show FILE | verdict [--client LABEL=FILE]... [--load LABEL=FILE]... [--server-cpus LIST] [--page FILE]\n');
  return 2;
}

await runAsProgram(import.meta.url, main);
