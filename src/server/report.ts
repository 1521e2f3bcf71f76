import { addGc, formatGcKinds, formatQuiet, noGc } from '../stats/gc.js';
import { DEFAULT_BACKLOG } from './listeners.js';
import type { ServerOptions } from './server.js';
import type { ServerSummary } from './summary.js';

/** Human one-liners for the server's log; JSON mode logs the fields instead. */
export function describeConfig(o: ServerOptions): string {
  const reply = o.framing === 'sockperf' ? "sockperf server's reply" : o.framing === 'resp' ? "Redis's (PING, ECHO)" : o.mode === 'echo' ? 'echo' : `fixed ${JSON.stringify(o.response)}`;
  return (
    `respuesta server pid ${process.pid}: framing=${o.framing} reply=${reply} max-frame=${o.maxFrame} grace-ms=${o.graceMs}${o.drainMs ? ` drain-ms=${o.drainMs}` : ''} ` +
    `max-connections=${o.maxConnections}${o.backlog !== undefined && o.backlog !== DEFAULT_BACKLOG ? ` backlog=${o.backlog}` : ''} idle-timeout=${o.idleTimeoutMs || 'off'} max-pending=${o.maxPending}` +
    (o.busyPoll === true ? ' busy-poll=on' : '') +
    (o.unix !== undefined ? ` unix-mode=${o.unixMode.toString(8).padStart(4, '0')}` : '') +
    (o.udpAmplify === true ? ' udp-amplify=on' : '')
  );
}

/** The config line's note of --rt-priority: nothing without it. */
export function describeRt(priority: number | undefined): string {
  return priority === undefined ? '' : ` sched=fifo:${priority}`;
}

export function describeSummary(s: ServerSummary): string {
  return (
    `summary: ${s.connections} connections, ${s.messages} messages answered` +
    (s.ignored > 0 ? ` (${s.ignored} ignored)` : '') +
    `, ${s.bytesIn} bytes in, ${s.bytesOut} bytes out, ${s.protocolErrors} protocol errors, ` +
    `${s.socketErrors} socket errors, ${s.forcedCloses} forced closes, ` +
    (s.rejectedConnections > 0 ? `${s.rejectedConnections} refused (max connections), ` : '') +
    (s.idleTimeouts > 0 ? `${s.idleTimeouts} idle timeouts, ` : '') +
    (s.outputPauses > 0 ? `${s.outputPauses} output pauses, ` : '') +
    (s.datagrams > 0 ? `${s.datagrams} datagrams (${describeDrops(s)}), ` : '') +
    `GC ${s.gc.count} (${formatGcKinds(s.gc)}; ${s.gc.pauseMs.toFixed(3)} ms pause${formatQuiet(s.gc)}), up ${(s.uptimeMs / 1000).toFixed(1)} s`
  );
}

/** UDP's drops, by reason: `none dropped`, or `N dropped: a over --max-frame, b malformed, ...` (the reasons with a count). */
function describeDrops(s: ServerSummary): string {
  if (s.datagramsDropped === 0) return 'none dropped';
  const reasons: Array<[number, string]> = [
    [s.datagramsTooLarge, 'over --max-frame'],
    [s.datagramsMalformed, 'malformed'],
    [s.datagramsSeveralFrames, 'several frames'],
    [s.datagramsReplyTooLong, 'reply longer than the request'],
  ];
  return `${s.datagramsDropped} dropped: ${reasons
    .filter(([n]) => n > 0)
    .map(([n, why]) => `${n} ${why}`)
    .join(', ')}`;
}

/** The figures of several workers as one server's: every count summed, GC too; `uptimeMs` is the whole server's. */
export function sumSummaries(list: readonly ServerSummary[], uptimeMs: number): ServerSummary {
  const zeros = Object.fromEntries(COUNTS.map((key) => [key, 0])) as Record<(typeof COUNTS)[number], number>;
  const sum: ServerSummary = { ...zeros, gc: noGc(), uptimeMs };
  for (const s of list) {
    for (const key of COUNTS) sum[key] += s[key];
    addGc(sum.gc, s.gc);
  }
  return sum;
}

const COUNTS = [
  'connections',
  'messages',
  'ignored',
  'bytesIn',
  'bytesOut',
  'protocolErrors',
  'socketErrors',
  'forcedCloses',
  'rejectedConnections',
  'idleTimeouts',
  'outputPauses',
  'datagrams',
  'datagramsDropped',
  'datagramsTooLarge',
  'datagramsMalformed',
  'datagramsSeveralFrames',
  'datagramsReplyTooLong',
] as const satisfies ReadonlyArray<keyof ServerSummary>;
