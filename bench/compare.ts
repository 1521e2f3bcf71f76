/**
 * Side by side with the C references, in one run, one measurement at a time:
 * sockperf's client and server against ours (latency, 64 B, TCP), our pair
 * over TCP and a Unix socket, busy-polling across CPUs, garbage per million
 * round trips, memory per idle connection, and throughput against
 * redis-server driven by redis-benchmark. Prints the figures, the ratios
 * against the targets, and writes both as JSON.
 *
 *   bench/compare.sh                 # installs sockperf and redis if missing, builds, runs this
 *   node --import tsx bench/compare.ts [--quick] [--rounds N] [--only SECTIONS] [--json FILE]
 *
 * The parts live in bench/compare/: options.ts (the command line),
 * measure.ts and tools.ts (the measurements, and how the programs are run),
 * targets.ts (the ratios), report.ts (the tables and the JSON), rows.ts
 * (what they pass each other).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { describeError, fatal } from '../src/cli/args.js';
import { measure, settingsFor } from './compare/measure.js';
import { NAME, parseCompareOptions } from './compare/options.js';
import { comparisonJson, report } from './compare/report.js';
import { type Comparison, SECTIONS } from './compare/rows.js';
import { targets } from './compare/targets.js';

const options = parseCompareOptions(process.argv);
const settings = settingsFor(options.quick, options.rounds);
const started = new Date();
try {
  const rows = await measure(settings, options.sections);
  const { ratios, context } = targets(rows, settings);
  const partial = options.sections.length < SECTIONS.length;
  const comparison: Comparison = {
    started: started.toISOString(),
    quick: options.quick,
    rounds: options.rounds,
    node: process.version,
    cpus: cpus().length,
    ...(partial ? { sections: options.sections } : {}),
    rows,
    ratios,
    context,
  };
  process.stdout.write(report(comparison, cpus()[0]?.model ?? '?'));
  mkdirSync(dirname(options.jsonFile), { recursive: true });
  writeFileSync(options.jsonFile, comparisonJson(comparison));
  process.stderr.write(`${NAME}: written ${options.jsonFile}\n`);
} catch (err) {
  fatal(NAME, describeError(err));
}
