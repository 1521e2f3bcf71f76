/**
 * `--hgrm DIR`: one HdrHistogram percentile distribution per scenario (and
 * one of the uncorrected latency in open loop), named so that a directory
 * of them sorts in run order and says what each one measured. A partial
 * scenario's files say so; one that measured nothing has none.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toHgrm } from '../stats/histogram.js';
import { type Scenario, scenarioTag } from '../report/scenario.js';
import type { ScenarioResult } from './run.js';

/** `03-c50-p16-closed.hgrm`, `05-c10-p1-r10000-uncorrected-partial.hgrm`; `sized` (a run of several sizes): `03-c50-p16-closed-64B.hgrm`. */
export function hgrmName(i: number, s: Scenario, sized: boolean, suffix: string, partial: boolean): string {
  return `${String(i + 1).padStart(2, '0')}-${scenarioTag(s, sized ? s.size : null)}${suffix}${partial ? '-partial' : ''}.hgrm`;
}

/** Write scenario `i`'s files into `dir`; throws when one cannot be written. */
export function writeHgrm(dir: string, i: number, s: Scenario, sized: boolean, r: ScenarioResult, partial: boolean): void {
  if (partial && r.latency.totalCount === 0) return;
  writeFileSync(join(dir, hgrmName(i, s, sized, '', partial)), toHgrm(r.latency));
  if (r.uncorrected !== null) writeFileSync(join(dir, hgrmName(i, s, sized, '-uncorrected', partial)), toHgrm(r.uncorrected));
}
