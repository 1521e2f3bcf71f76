/**
 * `benchmark merge`'s report: the text for people and the JSON for
 * machines, from the same MergeResult. Functions that return strings.
 */
import type { IntervalLog, MergeResult, MergedTag } from '../stats/merge.js';
import { fmtInt, fmtUs } from '../stats/report.js';

/**
 * Where the logs differ in their tags, in one line, or null when every log
 * has every tag: `tags differ between logs: c10-p1-closed only in a.hlog`.
 */
export function tagDifferences(logs: readonly IntervalLog[], merged: MergeResult): string | null {
  const partial = merged.tags.filter((t) => t.inLogs < logs.length);
  if (partial.length === 0) return null;
  const where = (t: MergedTag) =>
    logs
      .filter((l) => l.tags.includes(t.tag))
      .map((l) => l.name)
      .join(', ');
  return `tags differ between logs: ${partial.map((t) => `${t.tag} only in ${where(t)}`).join('; ')}`;
}

/** Interval lengths of two logs further apart than this ratio get a note. */
const INTERVAL_TOLERANCE = 1.05;

/** The other things worth a line: interval lengths that differ, logs that never overlap in time. */
export function mergeNotes(logs: readonly IntervalLog[], merged: MergeResult): string[] {
  const notes: string[] = [];
  const tags = tagDifferences(logs, merged);
  if (tags !== null) notes.push(`${tags} (merged from those, marked partial)`);
  // Lengths within 5% are one setting, timed late under load (a saturated benchmark logs 0.252 s for --interval 0.25), not two.
  if (Math.max(...merged.logIntervalMs) > INTERVAL_TOLERANCE * Math.min(...merged.logIntervalMs)) {
    const lengths = logs.map((l, i) => `${l.name} ${seconds(merged.logIntervalMs[i])} s`).join(', ');
    notes.push(`interval lengths differ (${lengths}): merged into ${seconds(merged.intervalMs)} s buckets`);
  }
  for (const t of merged.tags) {
    if (t.disjoint) notes.push(`${t.tag}: no two logs have an interval at the same time (were the generators started together?); the total is still exact`);
  }
  return notes;
}

/** What a short bucket is: most often the last, where a run stopped between two interval ticks. */
function shortBucket(i: number, n: number): string {
  if (i === n - 1) return 'the end of the run: its last interval, cut short';
  return i === 0 ? 'the start of the run: its first interval, cut short' : 'a short interval';
}

function seconds(ms: number): string {
  return String(ms / 1000);
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The --json object: the logs, the bucket length, and per tag the total, each log's count, the histogram and the intervals. */
export function mergeJson(logs: readonly IntervalLog[], merged: MergeResult): string {
  return JSON.stringify({
    ok: true,
    logs: logs.map((l, i) => ({ file: l.name, startedAt: iso(l.startMs), intervals: l.intervals.length, intervalS: merged.logIntervalMs[i] / 1000 })),
    intervalS: merged.intervalMs / 1000,
    notes: mergeNotes(logs, merged),
    tags: merged.tags.map((t) => ({
      tag: t.tag,
      partial: t.inLogs < logs.length,
      messages: t.messages,
      perLog: logs.map((l, i) => ({ file: l.name, messages: t.perLog[i], present: l.tags.includes(t.tag) })),
      latencyUs: t.latencyUs,
      histogram: t.histogram,
      intervals: t.intervals.map((iv) => ({
        startedAt: iso(iv.startMs),
        offsetS: iv.offsetS,
        lengthS: iv.lengthMs / 1000,
        messages: iv.messages,
        msgPerS: Math.round(iv.msgPerS),
        logs: iv.logs,
        p50: iv.latencyUs?.p50 ?? null,
        p99: iv.latencyUs?.p99 ?? null,
        max: iv.latencyUs?.max ?? null,
      })),
    })),
  });
}

const INTERVAL_HEAD = `${'start'.padStart(9)}  ${'length'.padStart(9)}  ${'messages'.padStart(11)}  ${'msg/s'.padStart(11)}  ${'p50'.padStart(8)}  ${'p99'.padStart(8)}  ${'max'.padStart(8)}  logs`;
/** What the interval table's columns are, once above it. */
const INTERVAL_KEY = 'intervals: start from the first, time covered, messages, msg/s over that time, latency us, logs with an interval there';
/** A bucket covered for less than this share of its length is a run's end (or start) cut short: said on its row. */
const SHORT_SHARE = 0.75;

/**
 * The text report: the logs, then per tag its total over all logs (count,
 * percentiles in microseconds, each log's count beside it) and one line per
 * interval bucket.
 */
export function formatMerge(logs: readonly IntervalLog[], merged: MergeResult): string {
  const out: string[] = [];
  // Enough decimals to tell the buckets apart: +12 s, +0.2 s, +0.05 s.
  const decimals = merged.intervalMs % 1000 === 0 ? 0 : merged.intervalMs % 100 === 0 ? 1 : merged.intervalMs % 10 === 0 ? 2 : 3;
  out.push(`merged      ${logs.length} logs, ${seconds(merged.intervalMs)} s intervals aligned on absolute time; latency in microseconds`);
  for (const l of logs) out.push(`log         ${l.name}  started ${iso(l.startMs) ?? 'at an unknown time'}  ${fmtInt(l.intervals.length)} intervals`);
  for (const t of merged.tags) {
    out.push('');
    const partial = t.inLogs < logs.length ? `  partial: in ${t.inLogs} of ${logs.length} logs` : '';
    out.push(`${t.tag}${partial}`);
    const each = logs.map((l, i) => (l.tags.includes(t.tag) ? `${l.name} ${fmtInt(t.perLog[i])}` : `${l.name} -`)).join(', ');
    out.push(`  messages  ${fmtInt(t.messages)}  (${each})`);
    const l = t.latencyUs;
    out.push(
      l === null
        ? '  latency   no messages'
        : `  latency   p50 ${fmtUs(l.p50)}  p90 ${fmtUs(l.p90)}  p99 ${fmtUs(l.p99)}  p99.9 ${fmtUs(l.p99_9)}  p99.99 ${fmtUs(l.p99_99)}  max ${fmtUs(l.max)}`,
    );
    out.push(`  ${INTERVAL_KEY}`);
    out.push(`  ${INTERVAL_HEAD}`);
    t.intervals.forEach((iv, i) => {
      const lat = iv.latencyUs;
      const short = iv.lengthMs < merged.intervalMs * SHORT_SHARE ? `  ${shortBucket(i, t.intervals.length)}` : '';
      out.push(
        `  ${`+${iv.offsetS.toFixed(decimals)} s`.padStart(9)}  ${`${seconds(iv.lengthMs)} s`.padStart(9)}  ${fmtInt(iv.messages).padStart(11)}  ${fmtInt(iv.msgPerS).padStart(11)}  ${fmtUs(lat?.p50).padStart(8)}  ${fmtUs(lat?.p99).padStart(8)}  ${fmtUs(lat?.max).padStart(8)}  ${String(iv.logs).padStart(4)}${short}`,
      );
    });
  }
  const notes = mergeNotes(logs, merged);
  if (notes.length > 0) out.push('');
  for (const n of notes) out.push(`warning: ${n}`);
  return `${out.join('\n')}\n`;
}
