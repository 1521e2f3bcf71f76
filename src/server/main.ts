/**
 * bin/server: parse the options (options.ts), plan this process (plan.ts),
 * then serve here (serve.ts) or, with `--workers` above 1, start and watch
 * the workers (primary.ts). `main` resolves with the exit status; bin/server
 * runs this module, which calls it and exits with that status.
 */
import { fileURLToPath } from 'node:url';
import { parseCommand, programName } from '../cli/args.js';
import { type Logger, createLogger } from '../cli/log.js';
import { type ProgramIo, exitStatus, processIo, runAsProgram } from '../cli/program.js';
import { ioPath } from '../io/binding.js';
import { type ServerArgs, serverCommand } from './options.js';
import { type ServerPlan, planServer } from './plan.js';
import { serve } from './serve.js';
import { workerLogger } from './worker-link.js';
import { reusePortAvailable } from './workers.js';

/**
 * Run the server with `argv` (the arguments after the program's name) until
 * it is stopped: SIGINT or SIGTERM, or `io.signal` aborted, which is a
 * SIGTERM. Resolves with the exit status: 0 after a clean stop, 1 for a
 * failed run (cannot listen; with --workers, workers without a summary),
 * 2 for bad usage; the one line of a failure is written to `io.stderr`.
 */
export async function main(argv: string[], io: ProgramIo = processIo()): Promise<number> {
  const name = programName('server');
  const command = serverCommand(name, io.stdout);
  const parsed = parseCommand(command, argv, io);
  if (parsed !== null) return parsed;
  try {
    const plan = planServer(command.opts<ServerArgs>());
    const log = createLogger(plan.args.json, io.stdout, io.stderr);
    if (plan.link === null && plan.workers > 1) return await runWorkers(argv, plan, log, io);
    return await serve(plan, plan.link === null ? log : workerLogger(log, plan.link.setup.id), io);
  } catch (err) {
    return exitStatus(name, err, io.stderr);
  }
}

/** --workers above 1: this process is the primary; each worker runs this module again, with the same arguments. */
async function runWorkers(argv: string[], plan: ServerPlan, log: Logger, io: ProgramIo): Promise<number> {
  const { args, options, workers, adminCpus } = plan;
  const distribution = args.distribution === 'auto' ? (reusePortAvailable() ? 'reuseport' : 'cluster') : args.distribution;
  const { runPrimary } = await import('./primary.js');
  const admin = args.admin === undefined ? undefined : { ...args.admin, debug: false, cpus: adminCpus, realtime: args.rtPriority !== undefined };
  return runPrimary({
    options,
    workers,
    distribution,
    cpus: args.cpu,
    rtPriority: args.rtPriority,
    io: ioPath(),
    log,
    admin,
    entry: fileURLToPath(import.meta.url),
    argv,
    abort: io.signal,
  });
}

await runAsProgram(import.meta.url, main, true);
