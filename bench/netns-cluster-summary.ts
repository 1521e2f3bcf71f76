/**
 * The figures of a bench/netns-cluster.sh run, from what it kept in its
 * output folder: the hop HAProxy adds (through minus direct, per round and
 * the median of the rounds), how HAProxy spread the connections (its `stot`
 * per server before and after each run), the two generators merged, and the
 * drain. Prints them, writes summary.json, and exits 1 when a check fails
 * (a wrong or lost reply, a responder left out, a drain that lost anything).
 *
 * Usage: node --import tsx bench/netns-cluster-summary.ts OUT_DIR
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './lib.js';

type Latency = { p50: number; p99: number; p99_9: number };
type Scenario = { messages: number; sent: number; errors: number; wrong: number; lost: number; throughputPerSec: number; latencyUs: Latency };
type Run = { ok: boolean; scenarios: Scenario[] };
type Event = Record<string, unknown> & { event: string };
type Stat = Record<string, string>;

const PERCENTILES = ['p50', 'p99', 'p99_9'] as const;
const dir = process.argv[2];
if (dir === undefined) {
  console.error('usage: netns-cluster-summary.ts OUT_DIR');
  process.exit(2);
}
const read = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8'));
const setup = read('setup.json') as { rounds: number; connections: number; rate: number; sizeBytes: number; durationS: number; quick: boolean; placement: string };
const checks: Array<{ what: string; ok: boolean }> = [];
const check = (what: string, ok: boolean) => checks.push({ what, ok });

/** HAProxy's CSV statistics (header without its "# "): the rows of backend `responders`, by server name. */
function servers(name: string): Record<string, Stat> {
  const [header, ...rows] = readFileSync(join(dir, name), 'utf8').trim().split('\n');
  const cols = header.split(',');
  const out: Record<string, Stat> = {};
  for (const row of rows) {
    const cells = row.split(',');
    if (cells[0] !== 'responders') continue;
    out[cells[1]] = Object.fromEntries(cols.map((c, i) => [c, cells[i]]));
  }
  return out;
}

/** Connections HAProxy made to each responder between two snapshots. */
function spread(before: string, after: string): { r1: number; r2: number } {
  const a = servers(before);
  const b = servers(after);
  return { r1: Number(b.r1.stot) - Number(a.r1.stot), r2: Number(b.r2.stot) - Number(a.r2.stot) };
}

function scenario(name: string): Scenario {
  const run = read(`${name}.json`) as Run;
  const s = run.scenarios[0];
  check(`${name}: every reply right and none lost (wrong ${s.wrong}, lost ${s.lost}, errors ${s.errors})`, run.ok && s.errors === 0 && s.wrong === 0 && s.lost === 0 && s.messages > 0);
  return s;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

interface Round {
  round: number;
  ping: { directUs: Latency; viaUs: Latency; addedUs: Latency };
  directUs: Latency;
  viaUs: Latency;
  addedUs: Latency;
  messages: { direct: number; via: number; both: number };
  bothUs: Latency;
  connections: { via: { r1: number; r2: number }; both: { r1: number; r2: number } };
}

const rounds: Round[] = [];
for (let r = 1; r <= setup.rounds; r++) {
  const direct = scenario(`direct-${r}`);
  const via = scenario(`via-${r}`);
  const pingDirect = scenario(`ping-direct-${r}`);
  const pingVia = scenario(`ping-via-${r}`);
  const g1 = scenario(`both-${r}-g1`);
  const g2 = scenario(`both-${r}-g2`);
  const merged = read(`both-${r}.merged.json`) as { tags: Array<{ messages: number; latencyUs: Latency }> };
  const viaSpread = spread(`via-${r}.before.csv`, `via-${r}.after.csv`);
  const bothSpread = spread(`both-${r}.before.csv`, `both-${r}.after.csv`);
  check(`round ${r}: both responders got connections through HAProxy (r1 ${bothSpread.r1}, r2 ${bothSpread.r2})`, bothSpread.r1 > 0 && bothSpread.r2 > 0);
  check(`round ${r}: the merged log holds both generators' messages`, merged.tags[0].messages === g1.messages + g2.messages);
  rounds.push({
    round: r,
    ping: { directUs: pick(pingDirect.latencyUs), viaUs: pick(pingVia.latencyUs), addedUs: added(pingDirect.latencyUs, pingVia.latencyUs) },
    directUs: pick(direct.latencyUs),
    viaUs: pick(via.latencyUs),
    addedUs: added(direct.latencyUs, via.latencyUs),
    messages: { direct: direct.messages, via: via.messages, both: merged.tags[0].messages },
    bothUs: pick(merged.tags[0].latencyUs),
    connections: { via: viaSpread, both: bothSpread },
  });
}

function added(direct: Latency, via: Latency): Latency {
  return { p50: round3(via.p50 - direct.p50), p99: round3(via.p99 - direct.p99), p99_9: round3(via.p99_9 - direct.p99_9) };
}

function pick(l: Latency): Latency {
  return { p50: l.p50, p99: l.p99, p99_9: l.p99_9 };
}

type Hop = Record<(typeof PERCENTILES)[number], { directUs: number; viaUs: number; addedUs: number; ratio: number }>;

/** Per percentile, the median over the rounds of direct, through HAProxy and their difference. */
function hopOf(of: (r: Round) => { directUs: Latency; viaUs: Latency; addedUs: Latency }): Hop {
  return Object.fromEntries(
    PERCENTILES.map((p) => {
      const direct = median(rounds.map((r) => of(r).directUs[p]));
      const via = median(rounds.map((r) => of(r).viaUs[p]));
      return [p, { directUs: direct, viaUs: via, addedUs: round3(median(rounds.map((r) => of(r).addedUs[p]))), ratio: round3(via / direct) }];
    }),
  ) as Hop;
}
const hop = hopOf((r) => r);
const pingHop = hopOf((r) => r.ping);

// ---- the drain ----
const times = read('drain.times.json') as { signalMs: number; downMs: number; benchEndMs: number; exitMs: number; exitCode: number };
const r1Events = readFileSync(join(dir, 'r1.log'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Event);
const r1Summary = r1Events.find((e) => e.event === 'summary') as (Event & { messages: number; bytesIn: number; bytesOut: number; forcedCloses: number }) | undefined;
const drained = r1Events.find((e) => e.event === 'drained') as (Event & { ms: number; open: number; left: number }) | undefined;
const drainG1 = scenario('drain-g1');
scenario('drain-g2');
const duringDrain = spread('drain.down.csv', 'drain.g2.csv');
const afterSignal = spread('drain.signal.csv', 'drain.after.csv');
const atSignal = servers('drain.signal.csv');
// A message is a 4-byte length and the payload; a fixed reply, 4 bytes and "respuesta".
const messageBytes = setup.sizeBytes + 4;
const replyBytes = 4 + 'respuesta'.length;
// From the SIGTERM (this machine's clock, as the responder's log): to HAProxy
// marking r1 DOWN (seen by polling its statistics, about every 50 to 100 ms),
// and to r1's summary, its last act before it exits.
const drain = {
  downAfterMs: times.downMs - times.signalMs,
  exitedAfterMs: r1Summary === undefined ? null : (r1Summary.time as number) - times.signalMs,
  exitCode: times.exitCode,
  r1OpenAtSignal: Number(atSignal.r1.scur),
  drained: drained === undefined ? null : { ms: drained.ms, open: drained.open, left: drained.left },
  r1: r1Summary === undefined ? null : { messages: r1Summary.messages, bytesIn: r1Summary.bytesIn, bytesOut: r1Summary.bytesOut, forcedCloses: r1Summary.forcedCloses },
  newConnectionsWhileDown: duringDrain,
  connectionsAfterSignal: afterSignal,
  benchmark: { messages: drainG1.messages, wrong: drainG1.wrong, lost: drainG1.lost, errors: drainG1.errors },
};
check(`drain: r1 exited 0 (${times.exitCode})`, times.exitCode === 0);
check('drain: r1 printed its summary and its drain', r1Summary !== undefined && drained !== undefined);
if (r1Summary !== undefined) {
  check(
    `drain: every message r1 received was answered (${r1Summary.bytesIn} bytes in = ${r1Summary.messages} x ${messageBytes}; ${r1Summary.bytesOut} bytes out = ${r1Summary.messages} x ${replyBytes})`,
    r1Summary.bytesIn === r1Summary.messages * messageBytes && r1Summary.bytesOut === r1Summary.messages * replyBytes,
  );
  check(`drain: r1 forced no connection closed (${r1Summary.forcedCloses})`, r1Summary.forcedCloses === 0);
}
if (drained !== undefined) check(`drain: its peers closed all ${drained.open} connections r1 held (${drained.left} left)`, drained.open > 0 && drained.left === 0);
check(`drain: no new connection reached r1 once HAProxy marked it DOWN (r1 +${duringDrain.r1}, r2 +${duringDrain.r2})`, duringDrain.r1 === 0 && duringDrain.r2 >= setup.connections);

const ok = checks.every((c) => c.ok);
const summary = { ok, setup, hop, pingHop, rounds, drain, checks };
writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');

const f = (x: number) => (x >= 100 ? x.toFixed(1) : x.toFixed(2));
const table = (h: Hop) => [
  '            direct us   via HAProxy us   added us   ratio',
  ...PERCENTILES.map((p) => `  ${p.replace('_', '.').padEnd(8)}  ${f(h[p].directUs).padStart(9)}   ${f(h[p].viaUs).padStart(14)}   ${f(h[p].addedUs).padStart(8)}   ${h[p].ratio.toFixed(2)}`),
];
const lines = [
  `hop cost, ping: g1 -> HAProxy -> r1/r2 minus g1 -> r1, one message in flight, ${setup.sizeBytes} B, ${setup.rounds} round(s) of ${setup.durationS} s, median`,
  ...table(pingHop),
  `hop cost, load: the same at ${setup.rate} msg/s on ${setup.connections} connections (open loop, corrected latency), median`,
  ...table(hop),
  `connections HAProxy made (stot), per round: ${rounds.map((r) => `via r1 ${r.connections.via.r1} r2 ${r.connections.via.r2}, both r1 ${r.connections.both.r1} r2 ${r.connections.both.r2}`).join('; ')}`,
  `both generators at once, merged: ${rounds.map((r) => `p50 ${f(r.bothUs.p50)} p99 ${f(r.bothUs.p99)} p99.9 ${f(r.bothUs.p99_9)} us over ${r.messages.both} messages`).join('; ')}`,
  `drain: r1 held ${drain.r1OpenAtSignal} of g1's connections at SIGTERM; HAProxy marked it DOWN ${drain.downAfterMs} ms later; new connections then: r1 +${duringDrain.r1}, r2 +${duringDrain.r2}`,
  `       g1's run through it: ${drainG1.messages} messages, ${drainG1.wrong} wrong, ${drainG1.lost} lost; r1 answered its connections until g1 closed them` +
    (drain.drained === null ? '' : ` (${drain.drained.open} open at SIGTERM, the last closed ${drain.drained.ms} ms after it, ${drain.drained.left} left)`) +
    (drain.r1 === null ? '' : `, exited ${drain.exitedAfterMs} ms after SIGTERM: ${drain.r1.messages} messages answered, ${drain.r1.forcedCloses} forced closes`),
  `placement: ${setup.placement}`,
  ...checks.filter((c) => !c.ok).map((c) => `FAILED ${c.what}`),
  `result ${ok ? 'ok' : 'failed'}: ${dir}/summary.json, report.html (direct and via HAProxy), both.html (the two generators merged)`,
];
console.log(lines.join('\n'));
process.exit(ok ? 0 : 1);
