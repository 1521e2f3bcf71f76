/** Shared pieces of the programs' command lines: run metadata and colour. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { paintFor } from '../src/cli/colour.js';
import { JSON_SCHEMA, packageVersion, runMeta } from '../src/cli/meta.js';

describe('run metadata', () => {
  it('names the tool, its version, Node, the machine, the start and the commit', () => {
    const started = new Date('2026-01-02T03:04:05.678Z');
    const m = runMeta('respuesta-client', started);
    assert.equal(m.schema, JSON_SCHEMA);
    assert.equal(m.tool, 'respuesta-client');
    assert.match(m.version, /^\d+\.\d+\.\d+/);
    assert.equal(m.version, packageVersion());
    assert.equal(m.node, process.version);
    assert.deepEqual(m.nodeFlags, process.execArgv);
    assert.ok(m.cpu.count >= 1);
    assert.equal(m.startedAt, '2026-01-02T03:04:05.678Z');
    // The tests run from a checkout: the commit is known (with '+' when the tree has changes).
    assert.match(m.commit ?? '', /^[0-9a-f]{40}\+?$/);
  });
});

describe('colour', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  it('colours on a terminal', () => {
    assert.notEqual(paintFor(tty, {}).error('x'), 'x');
  });
  it('never into a pipe, with NO_COLOR set, or on a dumb terminal', () => {
    assert.equal(paintFor(pipe, {}).error('x'), 'x');
    assert.equal(paintFor(tty, { NO_COLOR: '1' }).warn('x'), 'x');
    assert.equal(paintFor(tty, { TERM: 'dumb' }).ok('x'), 'x');
  });
});
