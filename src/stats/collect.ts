/**
 * Collecting garbage when nothing is in flight, so that what GC remains
 * pauses no measured message.
 *
 * What still allocates per message is Node's: every turn of the event loop
 * makes one 56-byte object in its check phase (`Object::New` in
 * `Environment::RunAndClearNativeImmediates`, called by `CheckImmediate`
 * whether or not an immediate is queued; found with gdb on V8's sampling
 * heap profiler, docs/lab/2026-12-04-tail.md), and no JavaScript can avoid
 * it. With one message in flight that is one turn, so 56 bytes, per
 * message. The launchers size the young generation so that it takes more
 * than half a million such turns to fill (bin/launch.sh), and this module
 * moves the collections it can to the quiet moments:
 *
 * - `settleHeap`, before a server says ready (and before a client's first
 *   send): a full collection, so that the start-up's survivors are
 *   promoted now rather than copied by the first scavenges under load (4
 *   to 9 ms each, against 0.3 ms for a scavenge of a settled heap);
 * - `IdleCollector`: a server that answered nothing for a second empties
 *   its young generation, so that the next burst starts with all of it,
 *   and after five seconds makes a full collection (the heap a burst left
 *   behind, collected; V8's memory reducer did that, under load too);
 * - `QuietCollector`: a client between two round trips (nothing in
 *   flight, closed loop) empties it before V8 would; the load settles its
 *   heap before its first send and empties the young generation as its
 *   measured phase opens (src/load/state.ts).
 *
 * Each is a real collection and counts as a GC event in every summary,
 * which says how many of them ran at quiet moments (GcStats.quiet).
 * The collector comes from V8's `--expose-gc`, set at run time and read
 * from a fresh context (the global `gc` is not touched). Where V8 refuses,
 * `collector()` is null and nothing here collects.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options?: { type?: 'major' | 'minor'; execution?: 'sync' }) => void;

let gc: Gc | null | undefined;

/** V8's collector, or null when it cannot be had. */
export function collector(): Gc | null {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const fn = runInNewContext('gc') as unknown;
      gc = typeof fn === 'function' ? (fn as Gc) : null;
    } catch {
      gc = null;
    }
  }
  return gc;
}

/** When the last few collections run here began and ended (performance.now() ms), start and end in turn: a ring. */
const SPANS = 16;
const spans = new Float64Array(SPANS * 2).fill(-1);
let nextSpan = 0;

function collect(type: 'major' | 'minor'): boolean {
  const fn = collector();
  if (fn === null) return false;
  const t0 = performance.now();
  if (type === 'minor') fn({ type });
  else fn(); // a full collection: Node 20's V8 does not read { type: 'major' } as one
  spans[nextSpan * 2] = t0;
  spans[nextSpan * 2 + 1] = performance.now();
  nextSpan = (nextSpan + 1) % SPANS;
  return true;
}

/**
 * Was the GC that began at `startTime` (a perf_hooks 'gc' entry's, which
 * arrives after the collection, on a later turn) one run here? GcMonitor
 * counts those apart.
 */
export function ranHere(startTime: number): boolean {
  for (let i = 0; i < SPANS; i++) if (startTime >= spans[i * 2] && startTime <= spans[i * 2 + 1]) return true;
  return false;
}

/**
 * Bytes in use in the young generation, and what it can hold before a
 * scavenge (used plus available: `space_size` counts both semi-spaces).
 * Allocates (about 1 KiB): never per message.
 */
export function youngGeneration(): { used: number; size: number } {
  for (const s of getHeapSpaceStatistics()) {
    if (s.space_name === 'new_space') return { used: s.space_used_size, size: s.space_used_size + s.space_available_size };
  }
  return { used: 0, size: 0 };
}

/** A full collection: before a server says ready, or a client measures, once start-up (or warm-up) is done. */
export function settleHeap(): boolean {
  return collect('major');
}

/** Empty the young generation now. */
export function collectYoung(): boolean {
  return collect('minor');
}

/**
 * A server's collections when it is idle. Every `everyMs` it reads
 * `activity()`, any counter the server already keeps (messages answered;
 * reading it costs the hot path nothing). Once the counter has not moved
 * for a tick, it empties the young generation (if it holds more than
 * `minBytes`); once it has not moved for `fullAfter` ticks, it makes one
 * full collection, which frees what a burst left in the heap. Each at most once per
 * idle stretch that followed some activity. This stands in for V8's memory
 * reducer, which the launchers turn off (`--no-memory-reducer`): the
 * reducer judges a heap idle by its allocation rate, and this server
 * allocates so little that it started its full collections under load
 * (docs/lab/2026-12-04-tail.md).
 */
export class IdleCollector {
  private readonly timer: NodeJS.Timeout;
  private seen = -1;
  private idleTicks = 0;
  private youngAt = -1;
  private fullAt = -1;

  constructor(activity: () => number, everyMs = 1000, minBytes = 1 << 20, fullAfter = 5) {
    this.timer = setInterval(() => {
      const now = activity();
      this.idleTicks = now === this.seen ? this.idleTicks + 1 : 0;
      this.seen = now;
      if (this.idleTicks >= fullAfter && this.fullAt !== now) {
        settleHeap();
        this.fullAt = this.youngAt = now;
      } else if (this.idleTicks >= 1 && this.youngAt !== now && youngGeneration().used > minBytes) {
        collectYoung();
        this.youngAt = now;
      }
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * For a client at a quiet moment (nothing in flight, the next send not yet
 * due): every `every` calls, look at the young generation, and empty it once
 * it is more than `fraction` full. V8 schedules its own scavenge at a
 * fraction of it too (`--minor-gc-task-trigger`, which bin/launch.sh raises
 * to 90%), so this one must come first: at 80% with a look every 1024 round
 * trips it has 3 MiB of a 32 MiB young generation to spare, where a round
 * trip makes about 100 bytes. Between looks a call is a decrement and a
 * compare.
 */
export class QuietCollector {
  private left: number;
  private readonly every: number;
  private readonly fraction: number;

  constructor(every = 1024, fraction = 0.8) {
    this.every = every;
    this.left = every;
    this.fraction = fraction;
  }

  /** True when it collected (a pause just happened: re-read the clock). */
  atQuietMoment(): boolean {
    if (--this.left > 0) return false;
    this.left = this.every;
    const young = youngGeneration();
    return young.used > young.size * this.fraction && collectYoung();
  }
}
