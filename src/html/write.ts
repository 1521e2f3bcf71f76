/**
 * Writing a report page: the one function the programs call, so that the
 * client, the benchmark and its `report` and `merge` commands write the same
 * page the same way.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { renderPage } from './page.js';
import type { ReportRun } from './runs.js';

/** Write the page of `runs` to `path` (throws what writeFileSync throws). */
export function writeReportPage(path: string, runs: readonly ReportRun[], title: string, generator: string): void {
  writeFileSync(path, renderPage(runs, { title, generator }));
}

/** A run's default label: its file's name without the extension. */
export function labelOf(path: string): string {
  return basename(path).replace(/\.[^.]*$/, '') || path;
}
