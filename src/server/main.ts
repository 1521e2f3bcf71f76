import { Command } from 'commander';
import { DEFAULT_MAX_FRAME, type Framing, type Mode } from '../protocol/index.js';
import { EXIT_FAILED, EXIT_OK, describeError, fatal, framingOption, modeOption, parseArgs, parseInteger, parsePort, usageError } from '../cli/args.js';
import { createLogger } from '../cli/log.js';
import { describeConfig, describeSummary } from './report.js';
import { type ProtocolErrorEvent, ResponderServer, type ServerOptions } from './server.js';

const NAME = 'server';
const DEFAULT_PORT = 8080;

const program = new Command('server')
  .description('Answer every framed message on TCP loopback and/or a Unix socket with a fixed response or an echo.')
  .option('-H, --host <addr>', 'TCP address to listen on (loopback unless you say otherwise)', '127.0.0.1')
  .option('-p, --port <n>', `TCP port, 0 for an ephemeral one (default ${DEFAULT_PORT}; with --unix alone, no TCP)`, parsePort)
  .option('-u, --unix <path>', 'also (or, without --port, only) listen on this Unix socket')
  .addOption(framingOption())
  .addOption(modeOption())
  .option('-r, --response <text>', 'the fixed response', 'respuesta')
  .option('--max-frame <bytes>', 'largest message accepted; a peer that exceeds it is disconnected', parseInteger(1, 0xffff_ffff), DEFAULT_MAX_FRAME)
  .option('--grace-ms <ms>', 'on SIGINT/SIGTERM, how long to wait for connections to close', parseInteger(0, 3_600_000), 2000)
  .option('--json', 'log one JSON object per line', false)
  .addHelpText(
    'after',
    `
Examples:
  $ server                                   # tcp://127.0.0.1:${DEFAULT_PORT}, length framing, replies "respuesta"
  $ server --port 0 --unix /tmp/resp.sock    # ephemeral TCP port and a Unix socket
  $ server --framing line --mode echo        # try it: printf 'hola\\n' | nc -q1 127.0.0.1 ${DEFAULT_PORT}
  $ server --framing sockperf --port 11111   # then: sockperf ping-pong --tcp -i 127.0.0.1 -p 11111`,
  );

parseArgs(program, process.argv);
const opts = program.opts<{ host: string; port?: number; unix?: string; framing: Framing; mode: Mode; response: string; maxFrame: number; graceMs: number; json: boolean }>();

if (opts.framing === 'line' && opts.response.includes('\n')) usageError(NAME, 'option --response cannot contain a newline with --framing line');

const options: ServerOptions = {
  host: opts.host,
  port: opts.port ?? (opts.unix === undefined ? DEFAULT_PORT : undefined),
  unix: opts.unix,
  framing: opts.framing,
  mode: opts.mode,
  response: opts.response,
  maxFrame: opts.maxFrame,
  graceMs: opts.graceMs,
};

const log = createLogger(opts.json);
const server = new ResponderServer(options);
server.on('protocol-error', (e: ProtocolErrorEvent) => {
  log.warn('protocol-error', { ...e }, `protocol error from ${e.peer}: ${e.reason} (${e.code}); connection closed`);
});

try {
  log.info('config', { pid: process.pid, ...options }, describeConfig(options));
  for (const l of await server.listen()) log.info('listening', { ...l }, `listening on ${l.url}`);
} catch (err) {
  fatal(NAME, `cannot listen: ${describeError(err)}`);
}

let signals = 0;
function onSignal(signal: NodeJS.Signals): void {
  if (++signals > 1) {
    log.warn('abort', { signal }, `${signal} again: exiting without waiting`);
    process.exit(EXIT_FAILED);
  }
  log.info('shutdown', { signal, open: server.activeConnections }, `${signal}: closing ${server.activeConnections} connections (grace ${options.graceMs} ms)`);
  server.close().then(
    (summary) => {
      log.info('summary', { ...summary }, describeSummary(summary));
      process.exit(EXIT_OK);
    },
    (err) => fatal(NAME, `shutdown failed: ${describeError(err)}`),
  );
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
