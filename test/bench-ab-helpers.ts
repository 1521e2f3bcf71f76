/** Running bench/ab.ts at a tiny size and reading its output back: test/bench-ab.test.ts, test/bench-ab-server.test.ts and test/bench-ab-rev.test.ts. */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from './helpers.js';

const execFileP = promisify(execFile);
export const SCRIPT = join(ROOT, 'bench', 'ab.ts');
const TINY = ['--rounds', '2', '--count', '200', '--warmup', '50'];
/** The figures at the end of each row: p50, p99, p99.9, max, client GCs, server GCs, min/maj/oth, GC ms, CPU us/rt, answers. */
const FIGURES = 10;
const SAME_LOCK = spawnSync('git', ['-C', ROOT, 'diff', '--quiet', 'HEAD', '--', 'package-lock.json']).status === 0;
export const REV_SKIP = SAME_LOCK ? false : "not a git checkout whose package-lock.json is HEAD's: building HEAD would need npm ci";

const tmp = mkdtempSync(join(tmpdir(), 'respuesta-ab-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Row {
  round: number;
  label: string;
  figures: string[];
}

export async function ab(args: string[]): Promise<{ rows: Row[]; summary: Map<string, string[]>; versus: string[]; stdout: string }> {
  // TMPDIR: where rev builds the other tree, removed after the file.
  const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', SCRIPT, ...args, ...TINY], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp } });
  const lines = stdout.trim().split('\n');
  assert.match(lines[0], /^bench\/ab\.ts \S+: bin\/client \(CPU \d+\) -> bin\/server \(CPU \d+\)/);
  const rows = lines
    .filter((l) => /^\d+ /.test(l))
    .map((l) => {
      const t = l.trim().split(/\s+/);
      return { round: Number(t[0]), label: t.slice(1, -FIGURES).join(' '), figures: t.slice(-FIGURES) };
    });
  const at = lines.indexOf('over 2 rounds: median [min-max]');
  assert.ok(at > 0, stdout);
  const summary = new Map<string, string[]>();
  const end = lines.indexOf('', at);
  assert.ok(end > at, `a blank line between the summary and the comparisons: ${stdout}`);
  for (const line of lines.slice(at + 2, end)) {
    const cells = [...line.matchAll(/(\S+) \[(\S+)-(\S+)\]/g)].map((m) => m[0]);
    summary.set(line.slice(0, line.indexOf(cells[0])).trim(), cells);
  }
  return { rows, summary, versus: lines.slice(end + 1), stdout };
}

/** Every side in both rounds, forward then backward, with figures that parse; and the summary's p50 range is the rows'. */
export function checkAbba(out: Awaited<ReturnType<typeof ab>>, sides: string[], watched: string[] = []): void {
  assert.deepEqual(
    out.rows.map((r) => `${r.round} ${r.label}`),
    [...sides.map((s) => `1 ${s}`), ...[...sides].reverse().map((s) => `2 ${s}`)],
    out.stdout,
  );
  for (const { label, figures } of out.rows) {
    const [p50, p99, p99_9, max, clientGcs, serverGcs, kinds, gcMs, cpu, answers] = figures;
    for (const v of [p50, p99, p99_9, max, gcMs, cpu]) assert.ok(Number.isFinite(Number(v)) && Number(v) >= 0, `${label}: ${figures}`);
    assert.ok(Number(p50) > 0 && Number(p50) <= Number(p99) && Number(p99) <= Number(p99_9) && Number(p99_9) <= Number(max), `${label}: ${figures}`);
    assert.match(clientGcs, /^\d+$/);
    assert.match(serverGcs, /^\d+$/);
    const [minor, major, other] = kinds.split('/').map(Number);
    assert.equal(minor + major + other, Number(serverGcs), `${label}: the kinds add up to the count`);
    assert.match(answers, watched.includes(label) ? /^\d+$/ : /^-$/, `${label}: ${figures}`);
  }
  assert.deepEqual([...out.summary.keys()], sides, out.stdout);
  for (const side of sides) {
    const cells = out.summary.get(side)!;
    assert.equal(cells.length, 6, `${side}: ${cells}`);
    const p50s = out.rows.filter((r) => r.label === side).map((r) => Number(r.figures[0]));
    const [, lo, hi] = /\[(\S+)-(\S+)\]/.exec(cells[0])!.map(Number);
    assert.deepEqual([lo, hi], [Math.min(...p50s), Math.max(...p50s)], `${side}: ${cells[0]} from ${p50s}`);
  }
  // Each side after the first against the first: two rounds give B/A and no interval, and say so.
  for (const side of sides.slice(1)) {
    const at = out.versus.findIndex((l) => l.startsWith(`${side} (B) against ${sides[0]} (A): B/A over 2 and 2 rounds`));
    assert.ok(at >= 0, out.stdout);
    const figures = out.versus.slice(at + 2, at + 8);
    assert.deepEqual(
      figures.map((l) => l.split('  ')[0]),
      ['p50 us', 'p99 us', 'p99.9 us', 'CPU us/rt', 'client GCs', 'server GCs'],
      out.stdout,
    );
    const p50 = figures[0];
    assert.match(p50, /\d+\.\d{3} \(no interval: 2 rounds, 4 needed\) +\S+\/\S+ at p50 \d+\.\d{3}, with no interval \(too few runs\)$/, out.stdout);
  }
}
