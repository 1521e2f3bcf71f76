/**
 * Inline RESP commands (`PING hello\r\n`), split as Redis's sdssplitargs
 * splits them: blanks between words, double quotes with C escapes
 * (`"a\nb"`, `"\x41"`), single quotes with `\'`. A line without quotes, the
 * common case, is split where it lies; a quoted one is unescaped into the
 * decoder's scratch buffer, grown to the line's length and kept for the
 * next one unless it grew past 64 KiB (resp.ts releases it then).
 */

/** Where the words go: the command decoder's fields (resp.ts). */
export interface InlineArgs {
  argc: number;
  argBuf: Buffer;
  readonly argStart: Uint32Array;
  readonly argEnd: Uint32Array;
  scratch: Buffer;
}

const DQ = 0x22;
const SQ = 0x27;
const BACKSLASH = 0x5c;

/** Blanks skipped between words: C's isspace. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** What ends an unquoted word: sdssplitargs stops at these four only (a \v or \f inside a word is part of it). */
function endsWord(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Split the line `buf[start, end)` into `into`; false when its quotes do not balance. */
export function splitInline(into: InlineArgs, buf: Buffer, start: number, end: number): boolean {
  const kept = into.argStart.length;
  let argc = 0;
  let p = start;
  for (;;) {
    while (p < end && isSpace(buf[p])) p++;
    if (p >= end) break;
    const s = p;
    // Quotes are looked for here, in the one pass over the line: a search of
    // `buf` would run on past `end`, to the end of a 64 KiB read buffer.
    for (; p < end; p++) {
      const c = buf[p];
      if (endsWord(c)) break;
      if (c === DQ || c === SQ) return splitQuoted(into, buf, start, end);
    }
    if (argc < kept) {
      into.argStart[argc] = s;
      into.argEnd[argc] = p;
    }
    argc++;
    if (p < end) p++;
  }
  into.argc = argc;
  into.argBuf = buf;
  return true;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10;
}

/** The escapes sdssplitargs knows after a backslash in double quotes; any other byte stands for itself. */
function unescapeByte(c: number): number {
  switch (c) {
    case 0x6e: // n
      return 0x0a;
    case 0x72: // r
      return 0x0d;
    case 0x74: // t
      return 0x09;
    case 0x62: // b
      return 0x08;
    case 0x61: // a
      return 0x07;
    default:
      return c;
  }
}

/** sdssplitargs, byte for byte, into `into.scratch`. */
function splitQuoted(into: InlineArgs, buf: Buffer, start: number, end: number): boolean {
  if (into.scratch.length < end - start) into.scratch = Buffer.allocUnsafe(Math.max(256, end - start));
  const out = into.scratch;
  const kept = into.argStart.length;
  let o = 0;
  let argc = 0;
  let p = start;
  for (;;) {
    while (p < end && isSpace(buf[p])) p++;
    if (p >= end) break;
    const s = o;
    let inq = false;
    let insq = false;
    for (let done = false; !done; ) {
      const c = p < end ? buf[p] : -1;
      if (inq) {
        if (c < 0) return false;
        if (c === BACKSLASH && p + 3 < end && buf[p + 1] === 0x78 && isHex(buf[p + 2]) && isHex(buf[p + 3])) {
          out[o++] = hexValue(buf[p + 2]) * 16 + hexValue(buf[p + 3]);
          p += 3;
        } else if (c === BACKSLASH && p + 1 < end) {
          out[o++] = unescapeByte(buf[++p]);
        } else if (c === DQ) {
          // The closing quote must end the word.
          if (p + 1 < end && !isSpace(buf[p + 1])) return false;
          done = true;
        } else out[o++] = c;
      } else if (insq) {
        if (c < 0) return false;
        if (c === BACKSLASH && p + 1 < end && buf[p + 1] === SQ) {
          out[o++] = SQ;
          p++;
        } else if (c === SQ) {
          if (p + 1 < end && !isSpace(buf[p + 1])) return false;
          done = true;
        } else out[o++] = c;
      } else if (c < 0 || endsWord(c)) done = true;
      else if (c === DQ) inq = true;
      else if (c === SQ) insq = true;
      else out[o++] = c;
      if (p < end) p++;
    }
    if (argc < kept) {
      into.argStart[argc] = s;
      into.argEnd[argc] = o;
    }
    argc++;
  }
  into.argc = argc;
  into.argBuf = out;
  return true;
}
