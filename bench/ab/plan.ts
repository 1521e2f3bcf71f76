/**
 * bench/ab.ts's command line, and what each mode compares: the sides of an
 * A/B (or A/B/C...), each a way to run bin/server and bin/client.
 */
import { parseArgs } from 'node:util';
import { type Revision, buildRevision, describeHere } from './rev.js';

/** The launchers' GC flags (bin/launch.sh): RESPUESTA_NODE_FLAGS replaces them, so a set that adds to them repeats them. */
export const LAUNCHER_FLAGS = '--max-semi-space-size=32 --min-semi-space-size=32 --minor-gc-task-trigger=90 --no-memory-reducer';

/** What the admin sides do: nothing (off), nothing asked (quiet), /metrics once a second (on, shared), /metrics without a pause (flood). */
export const ADMIN_SIDES = ['off', 'quiet', 'on', 'flood', 'shared'] as const;
type AdminSide = (typeof ADMIN_SIDES)[number];

export const GC_FLAG_SETS = ['', '--single-threaded-gc', ...[1, 2, 8, 16, 32, 64].map((mib) => `--max-semi-space-size=${mib} --min-semi-space-size=${mib}`)];

export interface Side {
  label: string;
  /** The checkout whose bin/server runs, and whose bin/client. */
  serverTree: string;
  clientTree: string;
  serverArgs: string[];
  clientArgs: string[];
  /** RESPUESTA_NODE_FLAGS for the server; undefined: the launcher's GC flags. */
  serverNodeFlags: string | undefined;
  /** Who asks the admin port for /metrics during the client's run. */
  watch: 'none' | 'scrape' | 'flood';
}

export interface Plan {
  mode: string;
  sides: Side[];
  rounds: number;
  count: number;
  warmup: number;
  cpu: number;
  clientCpu: number;
  watchCpu: number;
  hog: boolean;
  messageMode: string;
}

export const USAGE = `usage: node --import tsx bench/ab.ts MODE [REV] [options]     (after ./run.sh build)
modes:
  io                  the server's --io handles against --io sockets
  client-io           the client's --io handles against --io sockets
  rev REV             this tree against commit REV (the server and the client of each)
  client-rev REV      the clients of this tree and of REV, both against REV's server
  admin               the admin port: --sides off,on by default, of ${ADMIN_SIDES.join(', ')}
  rt                  the server without (off) and with --rt-priority 50 (fifo); needs root
  gc-flags            the server under each V8 flag set of --sets (';' between sets; default: none,
                      --single-threaded-gc, and young generations of 1 to 64 MiB)
options:
  --rounds N          rounds, the sides forward then backward (ABBA); default 4, the fewest
                      for a 95% interval of B/A (6 or more tell more)
  --count N           measured round trips per run; default 200000 (admin: 1000000)
  --warmup N          round trips before measuring; default 20000
  --cpu N             the server's CPU; default 0
  --client-cpu N      the client's CPU; default the server's
  --watch-cpu N       the admin scraper's or flood's CPU; default 1
  --admin-cpu N       --admin-cpu for the admin sides but off and shared
  --hog               a busy loop at normal priority on the server's CPU throughout
  --mode fixed|echo   the server's and the client's --mode; default fixed
  --server-flags F    V8 flags for the server, after the launchers' GC flags (not with gc-flags)
  --sides A,B         admin: the sides, in their forward order
  --sets "A;B"        gc-flags: the flag sets`;

/** The plan of a command line; throws a one-line error on bad usage. */
export function planOf(argv: string[], root: string): Plan {
  const { values: o, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rounds: { type: 'string', default: '4' },
      count: { type: 'string' },
      warmup: { type: 'string', default: '20000' },
      cpu: { type: 'string', default: '0' },
      'client-cpu': { type: 'string' },
      'watch-cpu': { type: 'string', default: '1' },
      'admin-cpu': { type: 'string' },
      hog: { type: 'boolean', default: false },
      mode: { type: 'string', default: 'fixed' },
      'server-flags': { type: 'string' },
      sides: { type: 'string', default: 'off,on' },
      sets: { type: 'string' },
    },
  });
  const [mode, rev] = positionals;
  const cpu = whole(o.cpu, '--cpu', 0);
  const here = (label: string, part: Partial<Side> = {}): Side => ({
    label,
    serverTree: root,
    clientTree: root,
    serverArgs: [],
    clientArgs: [],
    serverNodeFlags: o['server-flags'] === undefined ? undefined : `${LAUNCHER_FLAGS} ${o['server-flags']}`,
    watch: 'none',
    ...part,
  });
  let sides: Side[];
  switch (mode) {
    case 'io':
      sides = ['handles', 'sockets'].map((io) => here(io, { serverArgs: ['--io', io] }));
      break;
    case 'client-io':
      sides = ['handles', 'sockets'].map((io) => here(io, { clientArgs: ['--io', io] }));
      break;
    case 'rev':
    case 'client-rev': {
      if (rev === undefined) throw new Error(`${mode} needs a revision: bench/ab.ts ${mode} REV`);
      const other: Revision = buildRevision(root, rev);
      const server = mode === 'rev' ? root : other.tree;
      sides = [here(`rev:${other.sha}`, { serverTree: other.tree, clientTree: other.tree }), here(`here:${describeHere(root)}`, { serverTree: server })];
      break;
    }
    case 'admin':
      sides = o.sides.split(',').map((s) => adminSide(s as AdminSide, here, cpu, o['admin-cpu']));
      break;
    case 'rt':
      sides = [here('off'), here('fifo', { serverArgs: ['--rt-priority', '50'] })];
      break;
    case 'gc-flags':
      if (o['server-flags'] !== undefined) throw new Error('gc-flags takes its flag sets from --sets, not --server-flags');
      sides = (o.sets === undefined ? GC_FLAG_SETS : o.sets.split(';').map((s) => s.trim())).map((set) => here(set === '' ? '(none)' : set, { serverNodeFlags: set }));
      break;
    default:
      throw new Error(mode === undefined ? 'which mode? (io, client-io, rev, client-rev, admin, rt, gc-flags)' : `unknown mode '${mode}'`);
  }
  if (new Set(sides.map((s) => s.label)).size !== sides.length) throw new Error(`two sides of one name: ${sides.map((s) => s.label).join(', ')}`);
  return {
    mode,
    sides,
    rounds: whole(o.rounds, '--rounds', 1),
    count: whole(o.count ?? (mode === 'admin' ? '1000000' : '200000'), '--count', 1),
    warmup: whole(o.warmup, '--warmup', 0),
    cpu,
    clientCpu: whole(o['client-cpu'] ?? o.cpu, '--client-cpu', 0),
    watchCpu: whole(o['watch-cpu'], '--watch-cpu', 0),
    hog: o.hog,
    messageMode: o.mode,
  };
}

/** The sides of round `round` (1-based), in the order they run: forward in odd rounds, backward in even ones. */
export function orderOf(plan: Plan, round: number): Side[] {
  return round % 2 === 1 ? plan.sides : [...plan.sides].reverse();
}

function adminSide(name: AdminSide, here: (label: string, part?: Partial<Side>) => Side, cpu: number, adminCpu: string | undefined): Side {
  if (!ADMIN_SIDES.includes(name)) throw new Error(`unknown admin side '${name}' (${ADMIN_SIDES.join(', ')})`);
  if (name === 'off') return here(name);
  // shared puts the admin thread on the serving thread's CPU, whatever --admin-cpu says.
  const place = name === 'shared' ? ['--admin-cpu', String(cpu)] : adminCpu === undefined ? [] : ['--admin-cpu', adminCpu];
  const watch = name === 'quiet' ? 'none' : name === 'flood' ? 'flood' : 'scrape';
  return here(name, { serverArgs: ['--admin', '127.0.0.1:0', ...place], watch });
}

function whole(text: string, name: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number of at least ${min}, not '${text}'`);
  return n;
}
