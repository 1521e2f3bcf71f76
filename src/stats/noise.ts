/**
 * How sure a comparison of repeated runs can be: the statistics behind
 * `benchmark ab` and `benchmark compare` over several runs a side, and the
 * A/B scripts in bench/. Every function takes the figures of whole runs
 * (one p99 per run, one throughput per run), never single round trips: a
 * run's figures are what repeats, and on a shared machine they vary far
 * more between runs than a histogram's sampling error suggests.
 *
 * The ratio B/A and its interval: the Hodges-Lehmann estimate of the shift
 * between log(B) and log(A) (the median of every difference log b_j - log
 * a_i), with the distribution-free confidence interval read from the exact
 * null distribution of the Mann-Whitney statistic (Moses' interval);
 * exponentiated, both are ratios. Hollander, Wolfe and Chicken,
 * "Nonparametric Statistical Methods", 3rd ed. (Wiley, 2014), section 4.3;
 * Hodges and Lehmann, Ann. Math. Statist. 34 (1963) 598-611; Bauer, JASA 67
 * (1972) 687-690. Why this and not a bootstrap: with six runs a side a
 * bootstrap's percentiles are too coarse and too optimistic, where this
 * interval is exact for any distribution, asks nothing of its shape, and
 * says honestly when the runs are too few for any interval at all (four a
 * side are the fewest for 95%). Go's benchstat tests with the same
 * Mann-Whitney statistic.
 *
 * Outliers: the modified z-score of Iglewicz and Hoaglin ("How to Detect
 * and Handle Outliers", ASQC, 1993) above 3.5, on log values, as hyperfine
 * flags them. Drift: the Mann-Kendall trend test over the runs in the
 * order they ran (Mann, Econometrica 13 (1945) 245-259; Kendall, "Rank
 * Correlation Methods", 1975), its size by Sen's slope (JASA 63 (1968)
 * 1379-1389).
 */

/** The interval's level unless asked otherwise. */
export const CONFIDENCE = 0.95;

/** B/A with how sure it is. */
export interface RatioEstimate {
  /** The Hodges-Lehmann estimate of B/A. */
  ratio: number;
  /** The interval's bounds; null when the runs are too few for one at the level asked. */
  low: number | null;
  high: number | null;
  /** The level the interval reaches exactly (at least the one asked; 0.959 for 6 runs a side at 95%); null without an interval. */
  confidence: number | null;
  /** Two-sided p-value of the Mann-Whitney test that B and A are alike (exact without ties). */
  p: number;
}

/**
 * How many ways of drawing `n` of the doubled ranks `rank2` give each
 * doubled rank sum (the index): the null distribution of the Mann-Whitney
 * statistic, ties included (mid-ranks, doubled to stay integers). Exact in
 * doubles while C(rank2.length, n) < 2^53 (25 a side); beyond, callers use
 * the normal approximation.
 */
function rankSumWays(rank2: readonly number[], n: number): Float64Array {
  const top = rank2.reduce((sum, r) => sum + r, 0);
  const ways = Array.from({ length: n + 1 }, () => new Float64Array(top + 1));
  ways[0][0] = 1;
  rank2.forEach((r, i) => {
    for (let j = Math.min(n, i + 1); j >= 1; j--) for (let sum = top; sum >= r; sum--) ways[j][sum] += ways[j - 1][sum - r];
  });
  return ways[n];
}

/**
 * How many ways each value of the Mann-Whitney U statistic can arise for
 * samples of m and n with no ties, index u = 0 .. m*n (they sum to
 * C(m+n, m)): U is B's rank sum less n(n+1)/2.
 */
export function mannWhitneyCounts(m: number, n: number): number[] {
  const ways = rankSumWays(
    Array.from({ length: m + n }, (_, i) => 2 * (i + 1)),
    n,
  );
  const counts = new Array<number>(m * n + 1).fill(0);
  ways.forEach((w, sum2) => {
    if (w > 0) counts[sum2 / 2 - (n * (n + 1)) / 2] += w;
  });
  return counts;
}

/** Whether the exact distribution stays exact in doubles (C(m+n, m) below 2^53). */
const exactFits = (m: number, n: number): boolean => logChoose(m + n, m) < 53 * Math.LN2;

function logChoose(a: number, b: number): number {
  let s = 0;
  for (let i = 1; i <= b; i++) s += Math.log(a - b + i) - Math.log(i);
  return s;
}

/** The standard normal distribution function (Abramowitz and Stegun 7.1.26 for erf; error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The standard normal quantile, by bisection on normalCdf (used for samples too large for the exact counts). */
function normalQuantile(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * k for Moses' interval at `level`: the largest k with P(U <= k - 1) <=
 * (1 - level) / 2, so that the k-th smallest and k-th largest of the m*n
 * differences bound the shift; 0 when no k reaches the level (too few
 * runs). Returns the level reached too.
 */
export function mosesRank(m: number, n: number, level: number): { k: number; confidence: number | null } {
  const tail = (1 - level) / 2;
  if (!exactFits(m, n)) {
    const mean = (m * n) / 2;
    const sd = Math.sqrt((m * n * (m + n + 1)) / 12);
    // The largest k with P(U <= k - 1) <= tail, P read from the normal approximation with a continuity
    // correction; the level it reaches is read back from the same approximation.
    const k = Math.floor(mean - normalQuantile(1 - tail) * sd + 0.5);
    return k < 1 ? { k: 0, confidence: null } : { k, confidence: 1 - 2 * normalCdf((k - 0.5 - mean) / sd) };
  }
  const counts = mannWhitneyCounts(m, n);
  const total = counts.reduce((s, v) => s + v, 0);
  let below = 0;
  let k = 0;
  while (k < counts.length && (below + counts[k]) / total <= tail) {
    below += counts[k];
    k++;
  }
  // k values (0 .. k-1) fit in the tail: the interval is [D(k), D(mn-k+1)], 1-based.
  return k === 0 ? { k: 0, confidence: null } : { k, confidence: 1 - (2 * below) / total };
}

/** The median of values (sorted or not). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * B/A from the runs of each side: the Hodges-Lehmann estimate and Moses'
 * interval on log values, and the Mann-Whitney p-value. Every value must be
 * above 0 (a figure of 0 has no ratio; callers leave such runs out).
 */
export function ratioInterval(a: readonly number[], b: readonly number[], level = CONFIDENCE): RatioEstimate {
  if (a.length === 0 || b.length === 0) throw new RangeError('ratioInterval: each side needs at least one run');
  const la = a.map(Math.log);
  const lb = b.map(Math.log);
  const diffs: number[] = [];
  for (const y of lb) for (const x of la) diffs.push(y - x);
  diffs.sort((p, q) => p - q);
  const ratio = Math.exp(median(diffs));
  const { k, confidence } = mosesRank(a.length, b.length, level);
  const p = mannWhitneyP(la, lb);
  if (k === 0) return { ratio, low: null, high: null, confidence: null, p };
  return { ratio, low: Math.exp(diffs[k - 1]), high: Math.exp(diffs[diffs.length - k]), confidence, p };
}

/**
 * Two-sided p-value of the Mann-Whitney test: U counts the pairs where B's
 * value is above A's (a tie counts a half); p is the chance, under no
 * difference, of a U at least as far from mn/2. Exact while C(m+n, m) fits
 * in doubles: every way of drawing B's ranks from the pooled mid-ranks is
 * counted by rank sum (ties included, where counts of U for distinct
 * values would make p too small); beyond, the normal approximation with a
 * continuity correction and the variance corrected for ties.
 */
export function mannWhitneyP(a: readonly number[], b: readonly number[]): number {
  const m = a.length;
  const n = b.length;
  const N = m + n;
  // Doubled mid-ranks keep every rank sum an integer.
  const pooled = [...a.map((v) => ({ v, inB: false })), ...b.map((v) => ({ v, inB: true }))].sort((x, y) => x.v - y.v);
  const rank2 = new Array<number>(N);
  let ties = 0;
  for (let i = 0; i < N; ) {
    let j = i;
    while (j + 1 < N && pooled[j + 1].v === pooled[i].v) j++;
    for (let k = i; k <= j; k++) rank2[k] = i + j + 2;
    const t = j - i + 1;
    ties += t * t * t - t;
    i = j + 1;
  }
  let observed = 0;
  pooled.forEach((p, i) => {
    if (p.inB) observed += rank2[i];
  });
  // U doubled is the rank sum doubled less n(n+1); its centre, doubled, is mn.
  const distance = (sum2: number) => Math.abs(sum2 - n * (n + 1) - m * n);
  const far = distance(observed) - 1e-9;
  if (exactFits(m, n)) {
    let total = 0;
    let beyond = 0;
    rankSumWays(rank2, n).forEach((w, s) => {
      total += w;
      if (distance(s) >= far) beyond += w;
    });
    return Math.min(1, beyond / total);
  }
  const sd = Math.sqrt(((m * n) / 12) * (N + 1 - ties / (N * (N - 1))));
  if (sd === 0) return 1;
  return Math.min(1, 2 * normalCdf((-far / 2 + 0.5) / sd));
}

/**
 * The indices of outlying runs: modified z-score |0.6745 (x - median) /
 * MAD| above 3.5 on log values, and `floor` (5%) away from the median at
 * least: where the runs agree within a percent, a run 3% off scores high
 * yet tells nothing, as 5% is the scale of one loopback run's noise here.
 * When the MAD is 0 (more than half the runs alike, as quantised
 * percentiles often are), the mean absolute deviation scales instead:
 * |x - median| / (1.253314 MeanAD) above 3.5, Iglewicz and Hoaglin's
 * fallback.
 */
export function outlierIndices(xs: readonly number[], floor = 0.05): number[] {
  if (xs.length < 3) return [];
  const logs = xs.map(Math.log);
  const mid = median(logs);
  const deviations = logs.map((x) => Math.abs(x - mid));
  const mad = median(deviations);
  const meanAd = deviations.reduce((sum, d) => sum + d, 0) / deviations.length;
  if (meanAd === 0) return [];
  const score = mad > 0 ? (d: number) => (0.6745 * d) / mad : (d: number) => d / (1.253314 * meanAd);
  const least = Math.log1p(floor);
  return deviations.flatMap((d, i) => (score(d) > 3.5 && d > least ? [i] : []));
}

/** A trend across runs in the order they ran. */
export interface Drift {
  /** Mann-Kendall's two-sided p-value. */
  p: number;
  /** Sen's slope over the span of the runs, as a ratio: 1.18 when the figure rose 18% from the first run to the last. */
  change: number;
}

/**
 * A trend in `xs` (in the order they ran), or null when there is none at
 * `alpha`: Mann-Kendall's S over every pair, its variance corrected for
 * ties, a continuity correction; Sen's slope (the median slope over pairs)
 * on log values gives its size. Fewer than 5 values: null (no trend can
 * reach 5% with four).
 */
export function driftOf(xs: readonly number[], alpha = 1 - CONFIDENCE): Drift | null {
  const n = xs.length;
  if (n < 5) return null;
  const logs = xs.map(Math.log);
  let s = 0;
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      s += Math.sign(logs[j] - logs[i]);
      slopes.push((logs[j] - logs[i]) / (j - i));
    }
  }
  const ties = new Map<number, number>();
  for (const x of logs) ties.set(x, (ties.get(x) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of ties.values()) tieTerm += t * (t - 1) * (2 * t + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  if (variance <= 0 || s === 0) return null;
  const z = (s - Math.sign(s)) / Math.sqrt(variance);
  const p = Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
  if (p > alpha) return null;
  return { p, change: Math.exp(median(slopes) * (n - 1)) };
}
