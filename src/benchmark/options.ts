/**
 * Scenario matrices and the values of the benchmark's own options: comma
 * lists, presets and service-level objectives (their types, the words of the
 * report, are in src/report/scenario.ts).
 */
import { InvalidArgumentError } from 'commander';
import { LATENCY_KEYS, type Preset, type Scenario, type SloLimit } from '../report/scenario.js';
import type { LatencyUs } from '../stats/histogram.js';

/**
 * Every combination, connections outermost, then pipeline, rate, and size
 * innermost: the sizes of one load run one after the other, so that the
 * rows of a size sweep stand together.
 */
export function scenarioMatrix(connections: number[], pipelines: number[], rates: Array<number | null>, sizes: number[], warmupS: number, durationS: number): Scenario[] {
  const out: Scenario[] = [];
  for (const c of connections) for (const p of pipelines) for (const r of rates) for (const size of sizes) out.push({ connections: c, pipeline: p, rate: r, size, warmupS, durationS });
  return out;
}

type Row = [connections: number, pipeline: number, rate: number | null];

/**
 * Named matrices, sized for a 2-core machine. Each scenario runs 1 s of
 * warm-up and then its measured duration; `stress` takes about a minute and
 * goes well past what one core of server can answer.
 */
const PRESET_ROWS: Record<Preset, { warmupS: number; durationS: number; rows: Row[] }> = {
  // About 10 s: ping-pong on one and on ten connections.
  light: {
    warmupS: 1,
    durationS: 3,
    rows: [
      [1, 1, null],
      [10, 1, null],
    ],
  },
  // About 30 s: fan-in, pipelining, and a steady 10 000 msg/s.
  medium: {
    warmupS: 1,
    durationS: 5,
    rows: [
      [1, 1, null],
      [10, 1, null],
      [50, 1, null],
      [50, 16, null],
      [10, 1, 10_000],
    ],
  },
  // About 40 s: hundreds of connections, deep pipelines, 20 000 and 50 000 msg/s.
  heavy: {
    warmupS: 1,
    durationS: 5,
    rows: [
      [10, 1, null],
      [100, 1, null],
      [100, 16, null],
      [500, 1, null],
      [50, 1, 20_000],
      [100, 1, 50_000],
    ],
  },
  // About a minute: thousands of connections, 32-deep pipelines, open loop past saturation.
  stress: {
    warmupS: 1,
    durationS: 5,
    rows: [
      [1, 1, null],
      [50, 1, null],
      [50, 16, null],
      [200, 32, null],
      [1000, 1, null],
      [2000, 4, null],
      [10, 1, 10_000],
      [100, 1, 40_000],
      [200, 4, 80_000],
    ],
  },
};

/** The scenarios of a preset, each row at each size (innermost); `warmupS`/`durationS` override its own when given. */
export function presetScenarios(name: Preset, sizes: number[], warmupS?: number, durationS?: number): Scenario[] {
  const p = PRESET_ROWS[name];
  return p.rows.flatMap(([connections, pipeline, rate]) => sizes.map((size) => ({ connections, pipeline, rate, size, warmupS: warmupS ?? p.warmupS, durationS: durationS ?? p.durationS })));
}

const SLO_KEYS: Readonly<Record<string, keyof LatencyUs>> = LATENCY_KEYS;

/** `p99=1000,p99.9=5000` (microseconds) -> limits. */
export function parseSlo(value: string): SloLimit[] {
  const out: SloLimit[] = [];
  for (const part of value.split(',')) {
    const m = /^\s*([a-z0-9.]+)\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*$/.exec(part);
    const key = m === null ? undefined : SLO_KEYS[m[1]];
    if (m === null || key === undefined || !(Number(m[2]) > 0)) {
      throw new InvalidArgumentError(`expected NAME=MICROSECONDS pairs separated by commas, NAME one of ${Object.keys(SLO_KEYS).join(', ')} (e.g. p99=1000,p99.9=5000).`);
    }
    out.push({ name: m[1], key, limitUs: Number(m[2]) });
  }
  return out;
}

/** The limits a latency summary breaks, as `p99 1234.5 us > 1000 us`; a summary with no data breaks them all. */
export function sloBreaches(latency: LatencyUs | null, slo: SloLimit[]): string[] {
  const out: string[] = [];
  for (const s of slo) {
    if (latency === null) out.push(`${s.name}: no measured messages`);
    else if (latency[s.key] > s.limitUs) out.push(`${s.name} ${latency[s.key]} us > ${s.limitUs} us`);
  }
  return out;
}
