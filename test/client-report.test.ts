/** The client's report as data and as text, from hand-made probe results: success, hints, warnings, colour. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { paintFor } from '../src/cli/colour.js';
import { runMeta } from '../src/cli/meta.js';
import type { ProbeResult } from '../src/client/probe.js';
import { type ClientOptions, buildReport, formatReport } from '../src/report/client.js';
import { createHistogram, initHistograms } from '../src/stats/histogram.js';
import { noGc } from '../src/stats/gc.js';

const OPTIONS: ClientOptions = {
  host: '127.0.0.1',
  port: 8080,
  unix: null,
  framing: 'line',
  mode: 'fixed',
  response: 'respuesta',
  size: 64,
  targetUs: 1000,
  timeoutMs: 5000,
  maxFrame: 1 << 20,
  count: 100,
  duration: null,
  rate: null,
  warmup: 0,
  cpu: null,
  busyPoll: false,
  rtPriority: null,
  io: 'handles',
  hgrm: null,
  interval: null,
  hlog: null,
  report: null,
  json: false,
};
const GC = noGc();
const context = { meta: runMeta('client', new Date()), cpus: '0', signal: null };

/** A probe result with `latenciesNs` measured; the rest from `over`. */
function result(over: Partial<ProbeResult>, latenciesNs: number[] = []): ProbeResult {
  const histogram = createHistogram();
  for (const v of latenciesNs) histogram.recordValue(v);
  return {
    transport: 'tcp',
    address: 'tcp://127.0.0.1:8080',
    sent: latenciesNs.length,
    received: latenciesNs.length,
    correct: latenciesNs.length,
    wrong: 0,
    lost: 0,
    late: 0,
    duplicates: 0,
    outOfOrder: 0,
    underTarget: latenciesNs.length,
    durationNs: 1e9,
    histogram,
    uncorrected: null,
    sendLag: null,
    behind: 0,
    failure: null,
    mismatch: null,
    hint: null,
    interrupted: false,
    gc: GC,
    writes: 'direct',
    ...over,
  };
}

before(() => initHistograms());

describe('success and hints', () => {
  it('a server that closes at the first request: success 0 (the issue saw -100%), and a hint naming --framing', () => {
    const r = buildReport(result({ sent: 1, received: 0, correct: 0, lost: 1, failure: 'server closed the connection after 0 replies' }), OPTIONS, context);
    assert.equal(r.successPct, 0);
    assert.equal(r.errors, 1);
    assert.equal(r.error, 'server closed the connection after 0 replies');
    assert.match(r.hint ?? '', /same --framing \(this client: line\)/);
  });

  it('wrong replies only: the hint names --mode and --response, with the reply expected', () => {
    const r = buildReport(result({ sent: 5, received: 5, correct: 0, wrong: 5, mismatch: 'reply 1 was 3 bytes "abc"' }), OPTIONS, context);
    assert.equal(r.successPct, 0);
    assert.match(r.hint ?? '', /the fixed reply "respuesta".*--mode and --response/);
  });

  it("the probe's own guess from the bytes wins over the generic hint", () => {
    const r = buildReport(result({ sent: 1, received: 0, correct: 0, lost: 1, failure: 'bad reply stream: ...', hint: 'the 4-byte length reads as text' }), OPTIONS, context);
    assert.equal(r.hint, 'the 4-byte length reads as text');
  });

  it('no hint once right replies have come: the two sides agree', () => {
    const r = buildReport(result({ sent: 11, lost: 1, failure: 'server closed the connection after 10 replies' }, Array(10).fill(20_000)), OPTIONS, context);
    assert.equal(r.hint, null);
    assert.equal(r.successPct, 90.909);
  });
});

describe('a rate that was not kept', () => {
  it('warns, and counts what was never sent', () => {
    const r = buildReport(
      result({ behind: 300, uncorrected: createHistogram(), sendLag: createHistogram() }, Array(700).fill(2_000_000)),
      { ...OPTIONS, rate: 1000, count: null, duration: 1 },
      context,
    );
    assert.equal(r.behind, 300);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /the asked rate was not kept: 700 of 1,000 msg\/s, 300 messages due were never sent/);
  });
});

describe('text and colour', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  const ESC = '\x1b[';

  it('colours the verdict and the warnings on a terminal, never the figures', () => {
    const r = buildReport(result({ behind: 1, uncorrected: createHistogram(), sendLag: createHistogram() }, [20_000, 30_000]), { ...OPTIONS, rate: 1000 }, context);
    const lines = formatReport(r, paintFor(tty, {})).split('\n');
    const coloured = lines.filter((l) => l.includes(ESC));
    assert.ok(coloured.length >= 2, lines.join('\n'));
    for (const l of coloured) assert.match(l, /warning|ok|FAILED|partial/);
    assert.ok(!lines.find((l) => l.startsWith('messages'))!.includes(ESC));
  });

  it('plain into a pipe: the verdict reads ok, FAILED or partial', () => {
    const ok = formatReport(buildReport(result({}, [20_000]), OPTIONS, context), paintFor(pipe, {}));
    assert.match(ok, /\nresult +ok$/);
    assert.ok(!ok.includes(ESC));
    const failed = formatReport(buildReport(result({ sent: 2, lost: 1, failure: 'x' }, [20_000]), OPTIONS, context), paintFor(pipe, {}));
    assert.match(failed, /\nresult +FAILED$/);
    const partial = formatReport(buildReport(result({ interrupted: true }, [20_000]), OPTIONS, { ...context, signal: 'SIGINT' }), paintFor(pipe, {}));
    assert.match(partial, /\nresult +partial: interrupted by SIGINT after 1\.000 s measured$/);
  });

  it('a p99 over --target-us is named after the verdict, and in the JSON; under it, nothing is said', () => {
    const late = Array.from({ length: 100 }, (_, i) => (i < 97 ? 30_000 : 3_018_000));
    const missed = buildReport(result({}, late), OPTIONS, context);
    assert.equal(missed.p99OverTarget, true);
    assert.match(formatReport(missed, paintFor(pipe, {})), /\nresult +ok: every reply right; p99 30\d\d\.\d us over the 1000 us target$/);
    const failed = buildReport(result({ sent: 101, lost: 1, failure: 'x' }, late), OPTIONS, context);
    assert.match(formatReport(failed, paintFor(pipe, {})), /\nresult +FAILED; p99 30\d\d\.\d us over the 1000 us target$/);
    const partial = buildReport(result({ interrupted: true }, late), OPTIONS, { ...context, signal: 'SIGINT' });
    assert.match(formatReport(partial, paintFor(pipe, {})), /\nresult +partial: interrupted by SIGINT after 1\.000 s measured; p99 30\d\d\.\d us over the 1000 us target$/);
    const met = buildReport(result({}, late), { ...OPTIONS, targetUs: 5000 }, context);
    assert.equal(met.p99OverTarget, false);
    assert.match(formatReport(met, paintFor(pipe, {})), /\nresult +ok$/);
  });
});
