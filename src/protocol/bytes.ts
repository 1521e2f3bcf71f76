/**
 * Copy `src[start, end)` to `out[off]`; returns the number of bytes copied.
 *
 * `Buffer.copy` creates a Uint8Array view of the source range on every call
 * in Node 20: 96 bytes of garbage per echoed message (with the reuse of the
 * output view, `bench/alloc-profile.ts server --mode echo` went from 468 to
 * 274 bytes a round trip when this was added, commit 0f1c164). Copies of
 * up to 64 bytes, the default message size, are done byte by byte instead,
 * which allocates nothing. The speed depends on size and on how V8 compiles
 * the loop (`npm run bench:micro` compares both at 12 and 64 B), so larger
 * copies keep `Buffer.copy`.
 */
const SMALL = 64;

export function copyBytes(src: Buffer, start: number, end: number, out: Buffer, off: number): number {
  const n = end - start;
  if (n > SMALL) return src.copy(out, off, start, end);
  for (let i = 0; i < n; i++) out[off + i] = src[start + i];
  return n;
}
