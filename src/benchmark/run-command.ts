/**
 * `benchmark [options]`: the options (run-options.ts), then the run.
 * Scenarios run one after the other; each one's row is printed the moment
 * it finishes (the head of the report with the first, the tail at the end),
 * or with --json the whole report is one object at the end.
 *
 * One failure, one place. A failure before anything was measured (the
 * server cannot start, the first scenario cannot connect, --hgrm cannot be
 * created) prints one line on stderr and nothing on stdout, or with --json
 * one object with an `error` field; exit 1. A failure later is part of the
 * report that follows the rows already printed.
 *
 * Each scenario's measured window is cut into intervals (--interval, 1 s by
 * default): with --interval, or by default when only stderr is a terminal,
 * one line per interval on stderr, in place of the progress bar (a bar
 * redrawn under printed lines would be garbled by its own cursor moves);
 * with --hlog, the HdrHistogram interval log of every scenario, tagged by
 * scenario. The output options are the client's too (src/cli/output.ts).
 *
 * SIGINT or SIGTERM stops the load (Load.stop: the window closes at once,
 * what is in flight gets a short drain), and the report covers every
 * finished scenario and the partial one, as the run would have printed it,
 * with its --hgrm files; a spawned server is stopped; exit 130 or 143. A
 * second signal exits at once (src/cli/args.ts).
 *
 * The state of one run lives in a BenchmarkRun, and nothing outlives it:
 * runCommand can be called again in the same process.
 */
import { mkdirSync } from 'node:fs';
import { describeError, programName } from '../cli/args.js';
import { paintFor } from '../cli/colour.js';
import { connectHint } from '../cli/hints.js';
import { runMeta } from '../cli/meta.js';
import { Interrupts, exitCode } from '../cli/output.js';
import { RunOutput, keptHistograms } from '../output/run-output.js';
import { type ProgramIo, runProgram } from '../cli/program.js';
import { targetOf } from '../cli/request-options.js';
import { type Target, targetUrl } from '../io/connect.js';
import { allowedCpus } from '../machine/cpus.js';
import { initHistograms } from '../stats/histogram.js';
import { DEFAULT_INTERVAL_S } from '../stats/intervals.js';
import { benchmarkRun } from '../html/runs.js';
import type { CpuPlacement } from '../report/advice.js';
import { writeHgrm } from './hgrm.js';
import { sloBreaches } from './options.js';
import { scenarioTag } from '../report/scenario.js';
import { type Progress, createProgress } from './progress.js';
import { type BenchmarkReport, type ScenarioReport, buildScenarioReport, formatSlo, replyHintFor, scenarioOk, scenariosOverTarget } from '../report/benchmark.js';
import { type ScenarioResult, runScenario, settleInterrupt } from './run.js';
import { type Plan, benchmarkOptions, pinClient, planOf, sockperfWarning } from './run-options.js';
import { SpawnedServer } from './spawned.js';
import { onlineCpus, parseCpuSet } from '../machine/cpus.js';
import { type Borders, type Columns, bordersFor } from '../report/table.js';
import { formatHead, formatNotes, formatRow, scenarioColumns } from '../report/benchmark-text.js';
import { cpuWindow } from './window.js';

/**
 * The benchmark's run: `argv` are the words after the program's name; it
 * writes to `io` and returns the exit code (0, 1, 2, or 130/143 after an
 * interrupt).
 */
export async function runCommand(argv: string[], io: ProgramIo): Promise<number> {
  const name = programName('benchmark');
  return runProgram(name, io, async () => {
    const plan = planOf(name, argv, io);
    if (typeof plan === 'number') return plan;
    const warning = sockperfWarning(plan);
    if (warning !== null) io.stderr.write(paintFor(io.stderr).warn(`${name}: ${warning}`) + '\n');
    pinClient(plan.o);
    const run = new BenchmarkRun(name, plan, io);
    try {
      return await run.run();
    } finally {
      run.dispose();
    }
  });
}

/**
 * One turn of the event loop, before a scenario's end is judged: a Ctrl-C
 * that stopped a spawned server too may have ended the scenario (its
 * connections closed) in the same turn as it reached this process, ahead of
 * this process's handler.
 */
const aTurn = () => new Promise((resolve) => setImmediate(resolve));

/** One run: its server, its output, its interrupts, its report as it grows. */
class BenchmarkRun {
  private readonly out: RunOutput;
  private readonly interrupts: Interrupts;
  private spawned: SpawnedServer | null = null;
  /** Every file asked for was written. */
  private written = true;
  /** A second signal exits at once (onInterrupt): not leaving the server this process started. */
  private readonly killServer = () => this.spawned?.kill();

  constructor(
    private readonly name: string,
    private readonly plan: Plan,
    io: ProgramIo,
  ) {
    const { o } = plan;
    // Live lines: asked for with --interval; by default when stderr is a terminal and stdout is not (the
    // table or JSON goes elsewhere). With both on one terminal the bar is drawn instead, as the table's rows
    // come between scenarios and lines would split it. The lines replace the bar: a bar redrawn under printed
    // lines is garbled by its own cursor moves.
    const live = o.interval !== undefined || (o.progress && io.stderr.isTTY === true && io.stdout.isTTY !== true);
    this.out = new RunOutput(name, io, o, new Date(), live);
    this.interrupts = new Interrupts(name, (signal) => {
      // Stopping may take a moment (a short drain, a spawned server's own stop): say what is happening.
      const again = signal === 'SIGINT' ? 'Ctrl-C' : signal;
      this.out.warn(`${signal}: stopping, then reporting what was measured (${again} again to exit at once)`);
    });
    process.on('exit', this.killServer);
  }

  /** The end of the run, however it ended: no handler, file or server left behind. */
  dispose(): void {
    this.interrupts.dispose();
    process.off('exit', this.killServer);
    this.out.closeLog();
    const proc = this.spawned?.server.proc;
    if (proc !== undefined && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }

  /**
   * A failure before anything was measured: one line on stderr, nothing half
   * built on stdout (with --json, one object with `error`); exit 1.
   */
  private async failEarly(message: string, hint: string | null = null): Promise<number> {
    await this.spawned?.stop(false);
    return this.out.failEarly({ ok: false, error: message, hint, meta: runMeta(this.name, this.out.startedAt) }, message, hint);
  }

  async run(): Promise<number> {
    const { o, scenarios, slo, given } = this.plan;
    if (o.hgrm !== undefined) {
      try {
        mkdirSync(o.hgrm, { recursive: true });
      } catch (err) {
        return this.failEarly(`cannot create the --hgrm directory: ${describeError(err)}`);
      }
    }
    const unwritable = this.out.openFiles();
    if (unwritable !== null) return this.failEarly(unwritable);
    await initHistograms();

    let target: Target = targetOf(o);
    if (o.spawnServer) {
      try {
        this.spawned = await SpawnedServer.start({
          transport: target.transport,
          host: o.host,
          port: given('port') ? o.port : 0,
          path: o.unix,
          framing: o.framing,
          // planOf refuses --mode any with --spawn-server.
          mode: o.mode === 'echo' ? 'echo' : 'fixed',
          response: o.response,
          maxFrame: o.maxFrame,
          cpus: o.serverCpu,
        });
      } catch (err) {
        return this.failEarly(`cannot start the server: ${describeError(err)}`);
      }
      target = this.spawned.server.target;
    }

    const online = onlineCpus();
    const clientCpus = allowedCpus('self');
    const serverCpus = this.spawned?.cpus() ?? null;
    /** Where the benchmark and the server may run, for the warnings' advice. */
    const placement: CpuPlacement = {
      client: parseCpuSet(clientCpus) ?? online,
      server: this.spawned === null ? null : (parseCpuSet(serverCpus) ?? online),
      online,
    };
    const report: BenchmarkReport = {
      meta: runMeta(this.name, this.out.startedAt),
      transport: target.transport,
      address: targetUrl(target),
      framing: o.framing,
      mode: o.mode,
      size: o.size.length === 1 ? o.size[0] : null,
      targetUs: o.targetUs,
      options: benchmarkOptions(this.plan),
      placement: { clientCpus, serverCpus, serverSpawned: this.spawned !== null },
      slo: formatSlo(slo),
      scenarios: [],
      server: null,
      interrupted: null,
      ok: false,
      scenariosOverTarget: [],
      failure: null,
      hint: null,
    };

    const borders = bordersFor(o.ascii);
    const cols = scenarioColumns(scenarios, o.targetUs, o.threads, borders);
    const progress = createProgress(o.progress && !o.json && !this.out.live, scenarios, borders.bar === '|', this.out.io);
    await this.scenarios(report, target, placement, cols, progress);

    const reports = report.scenarios;
    if (reports.length === 0 && report.failure !== null) return this.failEarly(report.failure, report.hint);
    report.hint ??= replyHintFor(reports, o);
    this.logError(this.out.closeLog());
    const interrupted = this.interrupts.signal;
    report.interrupted = interrupted;
    report.ok = interrupted === null && report.failure === null && this.written && reports.length === scenarios.length && reports.every(scenarioOk);
    report.scenariosOverTarget = scenariosOverTarget(reports, o.targetUs);
    await this.render(report, cols, borders, progress);
    return exitCode(interrupted, report.ok);
  }

  /** A file that could not be written: said at once, and the run is not ok. */
  private logError(message: string | null): void {
    if (message === null) return;
    this.out.complain(message);
    this.written = false;
  }

  /** Run each scenario in turn, printing its row as it finishes, until the last, an interrupt or a failure. */
  private async scenarios(report: BenchmarkReport, target: Target, placement: CpuPlacement, cols: Columns, progress: Progress): Promise<void> {
    const { o, scenarios, slo } = this.plan;
    const sized = o.size.length > 1;
    for (const [i, s] of scenarios.entries()) {
      if (this.interrupts.signal !== null) break;
      const cpu = cpuWindow(this.spawned?.pid ?? null, placement.client);
      progress.begin(i);
      let r: ScenarioResult;
      // The histograms are kept for --json and for the page (--report), which is drawn from the report.
      const kept = this.out.keptIntervals();
      try {
        const onInterval = this.out.intervalSink(scenarioTag(s, sized ? s.size : null), kept, (message) => this.logError(message));
        const intervalS = o.interval ?? DEFAULT_INTERVAL_S;
        r = await runScenario(s, { ...o, size: s.size, target, intervalS }, cpu, this.interrupts.abortSignal, (n) => progress.update(n), onInterval);
      } catch (err) {
        progress.end();
        await aTurn();
        // Interrupted while connecting (a spawned server, signalled too, may have stopped listening): nothing of it to report.
        if (this.interrupts.signal === null) {
          report.failure = `scenario ${i + 1}: ${describeError(err)}`;
          report.hint = connectHint(err, target, o, !o.spawnServer);
        }
        break;
      }
      progress.end();
      await aTurn();
      if (this.interrupts.signal !== null) settleInterrupt(r, s.durationS, (await this.spawned?.signalledToo()) === true);
      const sr: ScenarioReport = buildScenarioReport(s, r, cpu.result(), placement, (l) => sloBreaches(l, slo), o.targetUs);
      if (kept !== null) sr.histograms = keptHistograms(r.latency, r.uncorrected, kept);
      report.scenarios.push(sr);
      if (!o.json) this.out.print((i === 0 ? formatHead(report, cols) + '\n' : '') + formatRow(sr, i, cols));
      if (o.hgrm !== undefined) {
        try {
          writeHgrm(o.hgrm, i, s, sized, r, sr.partial);
        } catch (err) {
          this.logError(`cannot write --hgrm: ${describeError(err)}`);
        }
      }
      r.latency.destroy();
      r.uncorrected?.destroy();
      r.sendLag?.destroy();
      if (sr.partial) break;
    }
  }

  /** The end of the report (the server's summary, the page, the notes), or with --json all of it. */
  private async render(report: BenchmarkReport, cols: Columns, borders: Borders, progress: Progress): Promise<void> {
    const interrupted = this.interrupts.signal;
    /** With --report, the page, drawn from the finished report (the spawned server's summary included); a failure to write it fails the run. */
    const writePage = () => {
      if (report.scenarios.length === 0) return;
      const problem = this.out.writePage((label) => benchmarkRun(report, label));
      if (problem === null) return;
      this.out.complain(problem);
      report.ok = false;
    };
    if (this.plan.o.json) {
      report.server = (await this.spawned?.stop(interrupted !== null)) ?? null;
      writePage();
      this.out.print(JSON.stringify(report));
    } else if (report.scenarios.length === 0) {
      // Interrupted before the first scenario: nothing was measured, nothing to draw.
      await this.spawned?.stop(true);
      this.out.warn(`interrupted (${interrupted}) before the first scenario`);
    } else {
      this.out.print(cols.bottom());
      // The bar's last line goes under the table, before the notes.
      progress.finish(interrupted !== null ? `interrupted (${interrupted})` : report.failure !== null ? 'stopped by an error' : null);
      report.server = (await this.spawned?.stop(interrupted !== null)) ?? null;
      writePage();
      this.out.print(formatNotes(report, this.out.paintOut, borders));
    }
  }
}
