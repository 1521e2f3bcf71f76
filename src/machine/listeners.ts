/**
 * Which local processes listen on an address, and where they may run: what
 * `benchmark ab` records of each side's server, which it did not start and
 * so cannot place itself. Read from /proc: the listening sockets of the
 * port (/proc/net/tcp, tcp6, udp, udp6) or path (/proc/net/unix), their
 * inodes, then the processes whose open files include one of them
 * (/proc/PID/fd links to `socket:[INODE]`).
 *
 * A TCP or UDP listener is found by its port alone: two processes listening
 * on one port at two addresses are both listed. Several processes holding
 * one address (a server's --workers with SO_REUSEPORT: one socket each) are
 * all listed. Each comes with its child processes: a primary that holds the
 * socket and hands its connections to workers (the cluster module's
 * round-robin) is not where the replies are computed.
 */
import { lookup } from 'node:dns/promises';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { basename } from 'node:path';
import type { Target } from '../io/connect.js';
import { allowedCpus } from './cpus.js';

/** A process: its pid, its command (argv[0]'s file name), the CPUs it may run on (Cpus_allowed_list; null when unknown). */
export interface ProcessPlace {
  pid: number;
  command: string;
  cpus: string | null;
}

/** A process that holds a listening socket of the address, and its child processes (a cluster's workers). */
export interface Listener extends ProcessPlace {
  children: ProcessPlace[];
}

/** The processes found, or null and why none is named: not local, not found, not readable. */
export type ListenerLookup = { listeners: Listener[]; reason: null } | { listeners: null; reason: string };

/** TCP's LISTEN state in /proc/net/tcp. */
const TCP_LISTEN = '0A';
/** __SO_ACCEPTCON in /proc/net/unix's Flags: a socket that listens. */
const UNIX_ACCEPTCON = 0x10000;

/** The local processes listening on `target` (see the opening comment). */
export async function listenersOf(target: Target): Promise<ListenerLookup> {
  if (target.transport !== 'unix' && !(await isLocalHost(target.host))) {
    return { listeners: null, reason: `not local: ${target.host} is not an address of this machine` };
  }
  const sockets = target.transport === 'unix' ? unixListening(target.path) : portListening(target.transport, target.port);
  const what = target.transport === 'unix' ? `Unix socket ${target.path}` : `${target.transport.toUpperCase()} port ${target.port}`;
  if (sockets === null) return { listeners: null, reason: `not readable: /proc/net cannot be read here` };
  if (sockets.size === 0) return { listeners: null, reason: `not found: nothing on this machine listens on ${what}` };
  const { pids, unreadable } = socketHolders(sockets);
  if (pids.length === 0) {
    return {
      listeners: null,
      reason: unreadable
        ? `not readable: a socket listens on ${what}, but the process holding it cannot be read (another user's?)`
        : `not found: no process holds the socket listening on ${what}`,
    };
  }
  const children = childrenOf(pids);
  return { listeners: pids.map((pid) => ({ ...placeOf(pid), children: (children.get(pid) ?? []).map(placeOf) })), reason: null };
}

const placeOf = (pid: number): ProcessPlace => ({ pid, command: commandOf(pid), cpus: allowedCpus(pid) });

/** Whether `host` names this machine: a loopback or wildcard address, or one of its interfaces'. A name is resolved first; one that does not resolve is not local. */
async function isLocalHost(host: string): Promise<boolean> {
  let addresses: string[];
  try {
    addresses = isIP(host) !== 0 ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return false;
  }
  const own = new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)));
  return addresses.length > 0 && addresses.every((a) => a.startsWith('127.') || a === '::1' || a === '0.0.0.0' || a === '::' || a.startsWith('::ffff:127.') || own.has(a));
}

/**
 * The inodes of the sockets on local `port` (TCP: listening ones), from
 * /proc/net/{tcp,tcp6} or {udp,udp6}; null when neither table can be read.
 */
function portListening(transport: 'tcp' | 'udp', port: number): Set<string> | null {
  const inodes = new Set<string>();
  let read = 0;
  for (const table of [`/proc/net/${transport}`, `/proc/net/${transport}6`]) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6
    }
    read++;
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || parseInt(f[1].split(':')[1], 16) !== port) continue;
      if (transport === 'tcp' && f[3] !== TCP_LISTEN) continue;
      if (f[9] !== '0') inodes.add(f[9]);
    }
  }
  return read === 0 ? null : inodes;
}

/** The inodes of the listening Unix sockets bound to `path`, from /proc/net/unix; null when it cannot be read. */
function unixListening(path: string): Set<string> | null {
  let text: string;
  try {
    text = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return null;
  }
  const inodes = new Set<string>();
  // Num RefCount Protocol Flags Type St Inode Path (the path may hold spaces: the rest of the line)
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || (parseInt(f[3], 16) & UNIX_ACCEPTCON) === 0) continue;
    if (f.slice(7).join(' ') === path) inodes.add(f[6]);
  }
  return inodes;
}

/**
 * The processes with one of `inodes` among their open files, in pid order;
 * `unreadable` when some process's files could not be read (another
 * user's), so that none found may not mean none there.
 */
export function socketHolders(inodes: ReadonlySet<string>): { pids: number[]; unreadable: boolean } {
  const pids: number[] = [];
  let unreadable = false;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch (err) {
      // Gone meanwhile (ENOENT) is no loss; refused (EACCES) is.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') unreadable = true;
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue; // closed meanwhile
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m !== null && inodes.has(m[1])) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return { pids: pids.sort((a, b) => a - b), unreadable };
}

/** The child processes of each of `parents`, in pid order, from each process's parent (/proc/PID/stat). */
function childrenOf(parents: readonly number[]): Map<number, number[]> {
  const out = new Map<number, number[]>(parents.map((p) => [p, []]));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid ...: the name may hold spaces and parentheses, so the fields are read after its last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    out.get(ppid)?.push(Number(entry));
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/**
 * The command of process `pid`: the file name of its argv[0]
 * (/proc/PID/cmdline), else its thread name (/proc/PID/comm), which a
 * program may change (Node 24 names its main thread `MainThread`); `?` when
 * neither can be read.
 */
function commandOf(pid: number): string {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    if (argv0 !== '') return basename(argv0);
  } catch {
    // Gone, or not ours to read: the thread name, if that can be read.
  }
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}
