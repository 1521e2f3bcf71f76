/**
 * The UDP latency rows of one round (sockperf's default transport): the C
 * pair, sockperf's client against our server, our client against sockperf's
 * server, and our pair; 64 B, sockperf framing throughout, so every side
 * puts the same bytes on the wire.
 */
import { waitForUdp } from '../lib.js';
import type { Latency, Placement } from './rows.js';
import { freePort, ourClient, ourLatency, ourServer, sockperfClient, sockperfServer, stop } from './tools.js';

/** Adds one round's figure to a latency row (measure.ts keeps the rows). */
export type Sample = (id: string, what: string, placement: Placement, latency: Latency) => void;

export interface UdpSettings {
  seconds: number;
  count: number;
  warmup: number;
}

/** One round of the UDP rows, servers on `S`, clients on `C`. */
export async function udpRound(st: UdpSettings, pl: Placement, S: string, C: string, log: (s: string) => void, sample: Sample): Promise<void> {
  const sp = await freePort();
  const ref = sockperfServer(S, sp, 'recvfrom', false, 'udp');
  try {
    await waitForUdp(sp);
    log(`${pl}: UDP, sockperf client -> sockperf server`);
    sample(`c-pair-udp-${pl}`, 'sockperf client -> sockperf server (UDP)', pl, await sockperfClient(C, sp, st.seconds, 'recvfrom', false, 'udp'));
    log(`${pl}: UDP, our client -> sockperf server`);
    const target = ['--udp', '--port', String(sp), '--framing', 'sockperf'];
    sample(`our-client-udp-${pl}`, 'our client -> sockperf server (UDP)', pl, ourLatency(await ourClient(C, target, [], st.count, st.warmup)));
  } finally {
    await stop(ref);
  }
  const up = await freePort();
  const s = await ourServer(S, ['--framing', 'sockperf', '--udp', `127.0.0.1:${up}`]);
  try {
    await waitForUdp(up);
    log(`${pl}: UDP, sockperf client -> our server`);
    sample(`our-server-udp-${pl}`, 'sockperf client -> our server (UDP)', pl, await sockperfClient(C, up, st.seconds, 'recvfrom', false, 'udp'));
    log(`${pl}: UDP, our client -> our server`);
    const target = ['--udp', '--port', String(up), '--framing', 'sockperf'];
    sample(`our-pair-udp-${pl}`, 'our client -> our server (UDP)', pl, ourLatency(await ourClient(C, target, [], st.count, st.warmup)));
  } finally {
    await s.stop();
  }
}
