/**
 * What bin/benchmark prints, and the pieces that decide it: the tables'
 * borders (UTF-8 or ASCII), the advice of the saturation warning on a given
 * machine, a partial row, the JSON's options and meta, and on a terminal the
 * progress bar and colour. Pure functions first, then short runs of the
 * program against the real server.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { generatorAdvice } from '../src/report/advice.js';
import type { Scenario } from '../src/report/scenario.js';
import { fmtSeconds } from '../src/benchmark/progress.js';
import { type BenchmarkReport, type ScenarioReport, buildScenarioReport, scenariosOverTarget } from '../src/report/benchmark.js';
import { type ScenarioResult, settleInterrupt } from '../src/benchmark/run.js';
import { ASCII_BORDERS, Columns, UNICODE_BORDERS, bordersFor, isUtf8Locale } from '../src/report/table.js';
import { formatNotes, formatRow, scenarioColumns } from '../src/report/benchmark-text.js';
import { paintFor } from '../src/cli/colour.js';
import { createHistogram, initHistograms } from '../src/stats/histogram.js';
import { BIN, type RunningServer, startServer, withDeadline } from './helpers.js';

const plain = paintFor(process.stdout, { NO_COLOR: '1' });

describe('table borders', () => {
  it('the locale decides as the C library would: LC_ALL, then LC_CTYPE, then LANG; none set is ASCII', () => {
    assert.equal(isUtf8Locale({ LANG: 'en_US.UTF-8' }), true);
    assert.equal(isUtf8Locale({ LANG: 'C.utf8' }), true);
    assert.equal(isUtf8Locale({ LC_ALL: 'C', LANG: 'en_US.UTF-8' }), false);
    assert.equal(isUtf8Locale({ LC_ALL: '', LC_CTYPE: 'de_DE.UTF-8', LANG: 'C' }), true);
    assert.equal(isUtf8Locale({ LANG: 'POSIX' }), false);
    assert.equal(isUtf8Locale({}), false);
    assert.equal(bordersFor(false, { LANG: 'en_US.UTF-8' }), UNICODE_BORDERS);
    assert.equal(bordersFor(true, { LANG: 'en_US.UTF-8' }), ASCII_BORDERS);
  });

  it('columns drawn a piece at a time line up, as cli-table3 drew them; a wide cell widens its row, never cut', () => {
    const t = new Columns(['#', 'msg/s'], [1, 7], UNICODE_BORDERS);
    assert.equal(t.top(), ['┌───┬─────────┐', '│ # │   msg/s │', '├───┼─────────┤'].join('\n'));
    assert.equal(t.row(['1', '113,273']), '│ 1 │ 113,273 │');
    assert.equal(t.row(['2', '1,113,273']), '│ 2 │ 1,113,273 │');
    assert.equal(t.bottom(), '└───┴─────────┘');
    const a = new Columns(['#', 'msg/s'], [1, 7], ASCII_BORDERS);
    assert.equal(a.top(), ['+---+---------+', '| # |   msg/s |', '+---+---------+'].join('\n'));
    assert.equal(a.row(['1', '113,273']), '| 1 | 113,273 |');
    assert.equal(a.bottom(), '+---+---------+');
  });
});

describe('the saturation warning advises what can help on this machine', () => {
  it('2 cores, the spawned server on both and busy: a CPU each, never --threads', () => {
    const advice = generatorAdvice({ client: [0, 1], server: [0, 1], online: [0, 1] }, { threads: 1, connections: 10, idleCpus: 0.05 });
    assert.equal(advice, 'a CPU of its own: --server-cpu 0 --client-cpu 1, or fewer connections (--connections)');
  });

  it('idle CPUs among its own: --threads first, and a CPU away from the server', () => {
    const advice = generatorAdvice({ client: [0, 1, 2, 3], server: [0], online: [0, 1, 2, 3] }, { threads: 1, connections: 50, idleCpus: 2.5 });
    assert.match(advice, /^--threads 2 \(2\.5 CPUs of its 4 were idle\), or a CPU of its own: --server-cpu 0 --client-cpu 1, or fewer connections/);
  });

  it('already apart: a CPU that neither uses, with a thread for it; none left: only fewer connections', () => {
    assert.match(
      generatorAdvice({ client: [1], server: [0], online: [0, 1, 2] }, { threads: 1, connections: 4, idleCpus: 0 }),
      /^CPU 2, which nobody uses: --client-cpu 1,2 --threads 2, or fewer connections/,
    );
    assert.equal(generatorAdvice({ client: [1], server: [0], online: [0, 1] }, { threads: 1, connections: 4, idleCpus: 0 }), 'fewer connections (--connections)');
    assert.match(generatorAdvice({ client: [1], server: [0], online: [0, 1] }, { threads: 1, connections: 1, idleCpus: null }), /^nothing more on this machine/);
  });

  it('a server it did not start: moving the benchmark is all it can suggest, and only when it runs everywhere', () => {
    assert.match(generatorAdvice({ client: [0, 1], server: null, online: [0, 1] }, { threads: 1, connections: 1, idleCpus: 0 }), /^a CPU the server does not use \(--client-cpu/);
    assert.match(generatorAdvice({ client: [1], server: null, online: [0, 1] }, { threads: 1, connections: 1, idleCpus: 0 }), /^nothing more/);
  });
});

/** A closed-loop result with `messages` latencies of 20 us, for building reports. */
function result(over: Partial<ScenarioResult>, messages = 100): ScenarioResult {
  const latency = createHistogram();
  for (let i = 0; i < messages; i++) latency.recordValue(20_000);
  return {
    sent: messages,
    completed: messages,
    messages,
    underTarget: messages,
    wrong: 0,
    lost: 0,
    late: 0,
    duplicates: 0,
    outOfOrder: 0,
    dropped: 0,
    unanswered: 0,
    behind: 0,
    durationNs: 1e9,
    interrupted: false,
    failure: null,
    droppedBy: null,
    framingHint: null,
    threads: 1,
    throughputPerSec: messages,
    latency,
    uncorrected: null,
    sendLag: null,
    ...over,
  };
}

const SCENARIO: Scenario = { connections: 10, pipeline: 1, rate: null, size: 64, warmupS: 0, durationS: 3 };

describe('reports of saturated and interrupted scenarios', () => {
  before(() => initHistograms());

  it('a saturated generator sharing both CPUs of a 2-core machine with the server is told to split them, not to add threads', () => {
    const r = result({});
    const s = buildScenarioReport(SCENARIO, r, { clientCpuPct: 97, serverCpuPct: 99, idleCpus: 0.02 }, { client: [0, 1], server: [0, 1], online: [0, 1] }, () => [], 1000);
    r.latency.destroy();
    assert.equal(s.warnings.length, 1);
    assert.match(s.warnings[0], /saturated \(97% CPU for 1 thread\).*try a CPU of its own: --server-cpu 0 --client-cpu 1/);
    assert.doesNotMatch(s.warnings[0], /--threads/);
  });

  it('after an interrupt: a short window is partial; what a server stopped by the same signal dropped is unanswered, not lost', () => {
    const r = result({ durationNs: 1.2e9, lost: 3, dropped: 3, droppedBy: 'connection 2: the server closed the connection' });
    settleInterrupt(r, 3, true);
    assert.equal(r.interrupted, true);
    assert.equal(r.lost, 0);
    assert.equal(r.unanswered, 3);
    assert.equal(r.droppedBy, null);
    // A server that was not signalled (it failed on its own): its drops stay lost.
    const failed = result({ durationNs: 3e9, lost: 3, dropped: 3, droppedBy: 'connection 2: the server closed the connection' });
    settleInterrupt(failed, 3, false);
    assert.equal(failed.interrupted, false, 'its window ran its course');
    assert.equal(failed.lost, 3);
    const report = buildScenarioReport(SCENARIO, failed, { clientCpuPct: 10, serverCpuPct: null, idleCpus: null }, { client: [0], server: null, online: [0] }, () => [], 1000);
    assert.equal(report.failure, 'connection 2: the server closed the connection');
    r.latency.destroy();
    failed.latency.destroy();
  });

  it('a partial row says so beside the table; the notes say where the run stopped and what was left unanswered', () => {
    const r = result({ durationNs: 1.25e9, interrupted: true, unanswered: 2 });
    const s2: ScenarioReport = buildScenarioReport(SCENARIO, r, { clientCpuPct: 10, serverCpuPct: null, idleCpus: null }, { client: [0], server: null, online: [0] }, () => [], 1000);
    r.latency.destroy();
    const s1: ScenarioReport = { ...s2, partial: false, durationS: 3, unanswered: 0 };
    const scenarios = [SCENARIO, SCENARIO, SCENARIO];
    const cols = scenarioColumns(scenarios, 1000, 1, UNICODE_BORDERS);
    assert.match(formatRow(s2, 1, cols), /^│ 2 │ +10 │ .* │ +10% │ {2}partial: 1\.25 s measured$/);
    assert.match(formatRow(s1, 0, cols), /│$/);
    const b = { options: { scenarios }, scenarios: [s1, s2], interrupted: 'SIGINT', server: null, failure: null, slo: null, ok: false } as unknown as BenchmarkReport;
    const notes = formatNotes(b, plain, UNICODE_BORDERS);
    assert.match(notes, /^interrupted SIGINT: 1 of 3 scenarios ran in full; scenario 2 is partial: 1\.25 s of its 3 s window, 2 requests in flight left unanswered \(not counted as errors\)$/m);
    assert.match(notes, /^result +interrupted \(SIGINT\)$/m);
  });

  it('time left reads in seconds, then minutes', () => {
    assert.equal(fmtSeconds(7.4), '7 s');
    assert.equal(fmtSeconds(65), '1 min 05 s');
    assert.equal(fmtSeconds(-1), '0 s');
  });
});

describe('the verdict names a missed --target-us', () => {
  before(() => initHistograms());

  /** A scenario report whose every reply took `latencyNs`, judged against `targetUs`. */
  function scenario(latencyNs: number, targetUs: number, over: Partial<ScenarioResult> = {}): ScenarioReport {
    const r = result(over);
    r.latency.reset();
    for (let i = 0; i < 100; i++) r.latency.recordValue(latencyNs);
    const s = buildScenarioReport(SCENARIO, r, { clientCpuPct: 10, serverCpuPct: null, idleCpus: null }, { client: [0], server: null, online: [0] }, () => [], targetUs);
    r.latency.destroy();
    return s;
  }
  const runOf = (scenarios: ScenarioReport[], over: Partial<BenchmarkReport> = {}) =>
    ({
      options: { scenarios: scenarios.map(() => SCENARIO) },
      targetUs: 1000,
      scenarios,
      interrupted: null,
      server: null,
      failure: null,
      slo: null,
      ok: true,
      ...over,
    }) as unknown as BenchmarkReport;

  it('only the scenarios whose p99 is over it, with their p99, next to "every reply right"', () => {
    const scenarios = [scenario(20_000, 1000), scenario(3_018_000, 1000), scenario(999_000, 1000), scenario(1_500_000, 1000)];
    assert.deepEqual(
      scenarios.map((s) => s.p99OverTarget),
      [false, true, false, true],
    );
    assert.deepEqual(scenariosOverTarget(scenarios, 1000), [2, 4]);
    const notes = formatNotes(runOf(scenarios), plain, UNICODE_BORDERS);
    assert.match(notes, /^result +ok: every reply right; p99 over the 1000 us target in scenarios 2 \(30\d\d\.\d us\), 4 \(150\d\.\d us\)$/m);
  });

  it('every p99 under it: ok alone; a failed or interrupted run still names it', () => {
    assert.match(formatNotes(runOf([scenario(20_000, 1000)]), plain, UNICODE_BORDERS), /\nresult +ok$/);
    const late = [scenario(20_000, 1000), scenario(3_018_000, 1000)];
    assert.match(formatNotes(runOf(late, { ok: false }), plain, UNICODE_BORDERS), /\nresult +FAILED; p99 over the 1000 us target in scenario 2 \(30\d\d\.\d us\)$/);
    assert.match(formatNotes(runOf(late, { ok: false, interrupted: 'SIGINT' }), plain, UNICODE_BORDERS), /\nresult +interrupted \(SIGINT\); p99 over the 1000 us target in scenario 2 /);
  });
});

/** Run `command` (bin/benchmark by default) with `env` (this process's, changed); resolves with its exit code and output. */
function run(args: string[], env: NodeJS.ProcessEnv, command = BIN('benchmark')): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return withDeadline(new Promise((resolve) => p.once('close', (code) => resolve({ code, stdout, stderr }))), 'the benchmark to finish');
}

const NO_LOCALE = { LC_ALL: '', LC_CTYPE: '', LANG: '' };
const UTF8 = { ...NO_LOCALE, LANG: 'C.UTF-8' };
// With a target no run misses (10 s, past the 5 s reply timeout): the verdict read here is ok, never a target missed on a loaded machine.
const SHORT = ['--duration', '0.2', '--warmup', '0', '--target-us', '10000000'];

describe('bin/benchmark output', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--port', '0']);
  });
  after(async () => {
    await server.stop();
  });

  it('ASCII borders when the locale is not UTF-8, or with --ascii', async () => {
    const args = ['--port', String(server.port), '--connections', '1', ...SHORT];
    const c = await run(args, { ...NO_LOCALE, LANG: 'C' });
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^\+---\+-------\+/m);
    assert.match(c.stdout, /^\| 1 \| +1 \| +1 \| +closed \|/m);
    assert.doesNotMatch(c.stdout, /[│┌└]/);
    const ascii = await run([...args, '--ascii'], UTF8);
    assert.match(ascii.stdout, /^\| 1 \| +1 \|/m);
    const utf8 = await run(args, UTF8);
    assert.match(utf8.stdout, /^│ 1 │ +1 │/m);
  });

  it('--json records the options as run (a preset expanded into its scenarios, nothing that only shapes text) and meta', async () => {
    const r = await run(['--port', String(server.port), '--preset', 'light', ...SHORT, '--json'], UTF8);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.options.preset, 'light');
    assert.deepEqual(report.options.scenarios, [
      { connections: 1, pipeline: 1, rate: null, size: 64, warmupS: 0, durationS: 0.2 },
      { connections: 10, pipeline: 1, rate: null, size: 64, warmupS: 0, durationS: 0.2 },
    ]);
    for (const key of ['connections', 'pipeline', 'rate', 'duration', 'warmup', 'progress', 'json', 'ascii', 'host', 'port']) assert.equal(key in report.options, false, key);
    assert.equal(report.options.io, 'handles');
    assert.equal(report.scenarios.length, 2);
    assert.equal(report.interrupted, null);
    const m = report.meta;
    assert.equal(m.tool, 'benchmark');
    assert.equal(typeof m.schema, 'number');
    assert.equal(m.node, process.version);
    assert.ok(m.cpu.count > 0);
    assert.ok(!Number.isNaN(Date.parse(m.startedAt)));
  });

  const script = spawnSync('script', ['--version']).status === 0;
  it('on a terminal: the bar names the scenario, leaves a final line under the table, and the verdict is in colour (not with NO_COLOR)', {
    skip: !script && 'script(1) is not installed',
  }, async () => {
    const cmd = `${BIN('benchmark')} --port ${server.port} --connections 1,2 ${SHORT.join(' ')}`;
    // script(1) runs the command on a pseudo-terminal (stdout and stderr both a TTY) and copies what it shows to its own stdout.
    const tty = await run(['-qefc', cmd, '/dev/null'], { ...UTF8, NO_COLOR: '', TERM: 'xterm' }, 'script');
    assert.equal(tty.code, 0, tty.stdout);
    const screen = tty.stdout.replace(/\r/g, '');
    assert.match(screen, /scenario 1\/2 1c x1 closed \|[█░]+\| \d+%/);
    assert.match(screen, /scenario 2\/2 2c x1 closed \|/);
    // Under the table's bottom, before the notes: the bar's last line, full.
    assert.match(screen, /└[─┴]+┘\n2\/2 scenarios \|█{30}\| 100% {2}done in \d+ s\ncpu: /);
    assert.match(screen, /^result +\x1b\[1m\x1b\[32mok\x1b\[39m\x1b\[22m$/m);
    const bare = await run(['-qefc', cmd, '/dev/null'], { ...UTF8, NO_COLOR: '1', TERM: 'xterm' }, 'script');
    assert.match(bare.stdout.replace(/\r/g, ''), /^result +ok$/m);
  });

  it('piped: no bar, no colour', async () => {
    const r = await run(['--port', String(server.port), '--connections', '1', ...SHORT], { ...UTF8, NO_COLOR: '' });
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stdout + r.stderr, /\x1b\[|scenarios \|/);
    assert.match(r.stdout, /^result +ok$/m);
  });
});
