/**
 * bin/server's command line: the options, their parsers and defaults, and
 * the help text. A new Command for each run of `main`: commander keeps what
 * it parsed in the Command itself.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_FRAME, type Framing, type Mode } from '../protocol/index.js';
import { framingOption, ioOption, modeOption, parseCpuList, parseInteger, parsePort, parseRtPriority } from '../cli/args.js';
import { packageVersion } from '../cli/meta.js';
import type { OutStream } from '../cli/program.js';
import type { IoPath } from '../io/binding.js';
import { type AdminAddress, parseAdminAddress, parseHostPort } from '../admin/address.js';
import { DEFAULT_BACKLOG } from './listeners.js';
import { DISTRIBUTIONS, parseWorkers } from './workers.js';

export const DEFAULT_PORT = 8080;

/** The options as commander gives them. */
export interface ServerArgs {
  host: string;
  port?: number;
  unix?: string;
  udp?: AdminAddress;
  udpAmplify: boolean;
  framing: Framing;
  mode: Mode;
  response: string;
  maxFrame: number;
  graceMs: number;
  drainMs: number;
  maxConnections: number;
  backlog: number;
  idleTimeout: number;
  maxPending: number;
  unixMode: number;
  statsInterval: number;
  json: boolean;
  cpu?: string;
  busyPoll: boolean;
  rtPriority?: number;
  io: IoPath;
  workers: number | 'auto';
  distribution: (typeof DISTRIBUTIONS)[number];
  admin?: AdminAddress;
  adminCpu?: string;
  adminDebug: boolean;
}

function parseMode(value: string): number {
  if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidArgumentError('expected octal permission bits such as 0600 or 0660.');
  return parseInt(value, 8);
}

/** The server's command, named `name` (as it was invoked), its help written to `stdout`. */
export function serverCommand(name: string, stdout: OutStream): Command {
  return (
    new Command(name)
      .version(packageVersion())
      .configureOutput({ writeOut: (text) => stdout.write(text) })
      .description('Answer every framed message on TCP loopback, a Unix socket and/or UDP with a fixed response or an echo.')
      .option('-H, --host <addr>', 'TCP address to listen on (loopback unless you say otherwise)', '127.0.0.1')
      .option('-p, --port <n>', `TCP port, 0 for an ephemeral one (default ${DEFAULT_PORT}; with --unix or --udp alone, no TCP)`, parsePort)
      .option('-u, --unix <path>', 'also (or, without --port, only) listen on this Unix socket')
      .option(
        '--udp <[host:]port>',
        'also (or, without --port, only) answer UDP datagrams here, one message each, to their sender (host: 127.0.0.1 unless given; length, line or sockperf framing; docs/PROTOCOL.md)',
        (v: string) => parseHostPort(v, 11111),
      )
      .option('--udp-amplify', 'with --udp and --mode fixed: send replies longer than the datagram they answer (refused by default: a spoofed sender makes the server an amplifier)', false)
      .addOption(framingOption())
      .addOption(modeOption())
      .option('-r, --response <text>', 'the fixed response (not with sockperf or resp)', 'respuesta')
      .option('--max-frame <bytes>', 'largest message accepted; a peer that exceeds it is disconnected (a datagram, dropped)', parseInteger(1, 0xffff_ffff), DEFAULT_MAX_FRAME)
      .option('--grace-ms <ms>', 'on SIGINT/SIGTERM, how long to wait for connections to close', parseInteger(0, 3_600_000), 2000)
      .option(
        '--drain-ms <ms>',
        'on SIGINT/SIGTERM, first go on answering open connections this long, or until their peers close them all (--udp: until no datagram has come for 1 s; behind a load balancer: /readyz says 503 meanwhile)',
        parseInteger(0, 3_600_000),
        0,
      )
      .option('--max-connections <n>', 'connections beyond this many are closed at once and counted', parseInteger(1, 1_000_000), 10_000)
      .option('--backlog <n>', 'the listen queue: connections the kernel completes before the server accepts them (Linux caps it at net.core.somaxconn)', parseInteger(1, 65_535), DEFAULT_BACKLOG)
      .option('--idle-timeout <ms>', 'close a connection silent for this long (0: never)', parseInteger(0, 86_400_000), 0)
      .option('--max-pending <bytes>', 'unsent reply bytes at which a connection stops reading until they are out', parseInteger(1, 1 << 30), 256 * 1024)
      // The default shown as octal, as the config line and the README write it (0600), not the number it is (384).
      .addOption(new Option('--unix-mode <octal>', 'permission bits of the Unix socket file').argParser(parseMode).default(0o600, '0600'))
      .option('--stats-interval <ms>', 'log memory and counters every this many ms (0: never)', parseInteger(0, 86_400_000), 0)
      .option('--cpu <list>', 'pin the server to these CPUs (taskset), e.g. 0 or 0-1; with --workers, one worker per listed CPU', parseCpuList)
      .option('--workers <n>', 'N single-threaded processes serving the same address, or auto: one per CPU it may use', parseWorkers, 1)
      .addOption(
        new Option('--distribution <how>', "with --workers: reuseport (a listener per worker, SO_REUSEPORT; Linux, Node 22.12+), cluster (Node's cluster module), or auto")
          .choices(DISTRIBUTIONS)
          .default('auto'),
      )
      .option(
        '--busy-poll',
        'never let the event loop sleep while a connection is open (TCP, Unix socket; --udp has no connections and is not busy-polled): lower latency across CPUs, one CPU burnt',
        false,
      )
      .option('--rt-priority <n>', 'run every thread under SCHED_FIFO at this priority, 1-99 (chrt; needs root or CAP_SYS_NICE): served before normal processes on its CPU', parseRtPriority)
      .addOption(ioOption('handles: bare accepted handles, one shared read buffer, direct writes (Node internals; used when this Node has them); sockets: net.Socket only'))
      .option('--admin <[host:]port>', 'serve /metrics (Prometheus), /livez, /readyz and a live dashboard over HTTP here (host: 127.0.0.1 unless given; docs/OPERATIONS.md)', parseAdminAddress)
      .option('--admin-cpu <list>', "CPUs for the admin port's thread (taskset; default: with --cpu, this process's other CPUs, if it has any)", parseCpuList)
      .option('--admin-debug', 'also serve CPU profiles and heap snapshots of the server on the admin port (/debug/profile, /debug/heap)', false)
      .option('--json', 'log one JSON object per line', false)
      .addHelpText(
        'after',
        `
Examples:
  $ ${name}                                   # tcp://127.0.0.1:${DEFAULT_PORT}, length framing, replies "respuesta"
  $ ${name} --port 0 --unix /tmp/resp.sock    # ephemeral TCP port and a Unix socket
  $ ${name} --workers auto                    # one process per CPU on the same port
  $ ${name} --framing line --mode echo        # try it: printf 'hola\\n' | nc -q1 127.0.0.1 ${DEFAULT_PORT}
  $ ${name} --framing sockperf --port 11111   # then: sockperf ping-pong --tcp -i 127.0.0.1 -p 11111
  $ ${name} --framing resp --port 6379        # then: redis-cli -p 6379 ping, or redis-benchmark -p 6379 -t ping
  $ ${name} --framing sockperf --udp 11111    # then: sockperf ping-pong -i 127.0.0.1 -p 11111 (UDP)
  $ ${name} --admin 9464                      # then: curl 127.0.0.1:9464/metrics, or open http://127.0.0.1:9464/`,
      )
  );
}
