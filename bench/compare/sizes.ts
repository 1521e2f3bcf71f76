/**
 * Latency against message size, split placement: sockperf's pair and
 * sockperf's client against our server over TCP and UDP, and our pair over
 * TCP, a Unix socket (sockperf has none) and UDP, at each size of SIZES, in
 * `rounds` interleaved rounds (each row the median of each percentile).
 * Sizes are whole messages on the wire, sockperf's header included: our
 * programs speak sockperf framing here, so both sides send the same bytes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, waitForPort, waitForUdp } from '../lib.js';
import type { Latency, Row } from './rows.js';
import { type Proto, bin, freePort, ourServer, run, sockperfClient, sockperfServer, stop } from './tools.js';

/**
 * Bytes per message, header included. The last is 64 KiB less 29 bytes:
 * the largest UDP payload over IPv4 (65 535 less the IP and UDP headers),
 * and the largest message sockperf sends over TCP too.
 */
export const SIZES = [64, 1024, 16 * 1024, 65_507] as const;

export interface SizeSettings {
  rounds: number;
  /** Seconds per measurement, ours and sockperf's alike. */
  seconds: number;
  warmup: number;
}

const S = '0';
const C = '1';
const log = (s: string) => process.stderr.write(`compare: sizes: ${s}\n`);

/** Our client for `seconds` against `target`, sockperf framing, `size` bytes. */
async function ourLatencyAt(target: string[], size: number, st: SizeSettings): Promise<Latency> {
  const out = await run(bin('client'), ['--cpu', C, '--framing', 'sockperf', '--size', String(size), '--duration', String(st.seconds), '--warmup', String(st.warmup), '--json', ...target]);
  const l = JSON.parse(out).latencyUs;
  return { p50: l.p50, p99: l.p99, p99_9: l.p99_9, p99_99: l.p99_99, max: l.max };
}

/** Every size row, `st.rounds` rounds; ids `size-<proto>-<who>-<bytes>`. */
export async function sizes(st: SizeSettings): Promise<Row[]> {
  const rows = new Map<string, Row & { rounds: Latency[] }>();
  const sample = (id: string, what: string, size: number, l: Latency) => {
    let row = rows.get(id);
    if (row === undefined) {
      row = { id, what, placement: 'split', size, rounds: [] };
      rows.set(id, row);
    }
    row.rounds.push(l);
  };
  for (let round = 1; round <= st.rounds; round++) {
    for (const size of SIZES) {
      for (const proto of ['tcp', 'udp'] as const) await sizeRound(st, proto, size, round, sample);
    }
  }
  return [...rows.values()].map((r) => {
    const pick = (k: keyof Latency) => median(r.rounds.map((l) => l[k]));
    return { ...r, latency: { p50: pick('p50'), p99: pick('p99'), p99_9: pick('p99_9'), p99_99: pick('p99_99'), max: pick('max') } };
  });
}

/** The rows of one size over one protocol (TCP rows also measure our pair over a Unix socket). */
async function sizeRound(st: SizeSettings, proto: Proto, size: number, round: number, sample: (id: string, what: string, size: number, l: Latency) => void): Promise<void> {
  const at = `round ${round}/${st.rounds}, ${size} B`;
  const P = proto === 'tcp' ? 'TCP' : 'UDP';
  const wait = (port: number) => (proto === 'tcp' ? waitForPort(port) : waitForUdp(port));
  const sp = await freePort();
  const ref = sockperfServer(S, sp, 'recvfrom', false, proto);
  try {
    await wait(sp);
    log(`${at}: ${P}, sockperf pair`);
    sample(`size-${proto}-c-pair-${size}`, `sockperf client -> sockperf server (${P})`, size, await sockperfClient(C, sp, st.seconds, 'recvfrom', false, proto, size));
  } finally {
    await stop(ref);
  }
  const dir = mkdtempSync(join(tmpdir(), 'respuesta-sizes-'));
  const sock = join(dir, 's.sock');
  const up = await freePort();
  const listen = proto === 'tcp' ? ['--unix', sock] : ['--udp', `127.0.0.1:${up}`];
  const s = await ourServer(S, ['--framing', 'sockperf', ...listen]);
  try {
    const port = proto === 'tcp' ? s.port : up;
    await wait(port);
    log(`${at}: ${P}, sockperf client -> our server`);
    sample(`size-${proto}-our-server-${size}`, `sockperf client -> our server (${P})`, size, await sockperfClient(C, port, st.seconds, 'recvfrom', false, proto, size));
    log(`${at}: ${P}, our pair`);
    sample(`size-${proto}-our-pair-${size}`, `our client -> our server (${P})`, size, await ourLatencyAt([...(proto === 'udp' ? ['--udp'] : []), '--port', String(port)], size, st));
    if (proto === 'tcp') {
      log(`${at}: Unix socket, our pair`);
      sample(`size-unix-our-pair-${size}`, 'our client -> our server (Unix socket)', size, await ourLatencyAt(['--unix', sock], size, st));
    }
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
