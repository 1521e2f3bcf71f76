/**
 * What `benchmark ab` says before its comparison: each side's endpoint and
 * the processes listening there, the client's CPUs, the rounds and their
 * order. Functions that return strings; the comparison itself is
 * noise-text.ts's.
 */
import type { Listener, ListenerLookup, ProcessPlace } from '../machine/listeners.js';
import type { AbRound } from './ab-rounds.js';

/** One side as the output records it: the endpoint as given, and who listens there. */
export interface AbSideInfo {
  endpoint: string;
  placement: ListenerLookup;
}

/** `pid 412 (node, CPUs 0-1)`, each of several, each with its children (`with children 413 (node, CPUs 0), ...`); or why no process is named. */
export function formatPlacement(p: ListenerLookup): string {
  if (p.listeners === null) return p.reason;
  const one = (l: ProcessPlace) => `${l.pid} (${l.command}, CPUs ${l.cpus ?? 'unknown'})`;
  const withChildren = (l: Listener) => one(l) + (l.children.length === 0 ? '' : ` with ${l.children.length === 1 ? 'child' : 'children'} ${l.children.map(one).join(', ')}`);
  return `${p.listeners.length === 1 ? 'pid' : 'pids'} ${p.listeners.map(withChildren).join('; ')}`;
}

/** The lines before the comparison: A, B, the client, the rounds. */
export function formatAbHead(a: AbSideInfo, b: AbSideInfo, clientCpus: string | null, rounds: readonly AbRound[], asked: number, warmup = 0): string {
  const width = Math.max(a.endpoint.length, b.endpoint.length);
  const order = rounds.map((r) => r.order.join('')).join(' ');
  const count = rounds.length === asked ? `${asked}` : `${rounds.length} complete of ${asked}`;
  return [
    `A       ${a.endpoint.padEnd(width)}  listening: ${formatPlacement(a.placement)}`,
    `B       ${b.endpoint.padEnd(width)}  listening: ${formatPlacement(b.placement)}`,
    `client  CPUs ${clientCpus ?? 'unknown'}, the same for every run`,
    `rounds  ${count}${rounds.length === 0 ? '' : `, in order ${order}`}${warmup === 0 ? '' : `, after ${warmup} unmeasured`}`,
  ].join('\n');
}
