/**
 * Profiles of the serving thread, taken from the admin worker through the
 * inspector (`Session.connectToMainThread`): a CPU profile (the
 * `.cpuprofile` JSON that Chrome DevTools and speedscope open) and a heap
 * snapshot. Only with --admin-debug: both cost the serving thread while
 * they run (the CPU profiler samples it, about every 1 ms by V8's default; a
 * heap snapshot stops it for the whole walk of its heap) and a snapshot
 * shows whatever is in memory.
 *
 * One profile at a time: a second request while one runs is refused
 * (ProfileBusy), never queued.
 */
import { Session } from 'node:inspector/promises';

export const PROFILE_MIN_S = 1;
export const PROFILE_MAX_S = 60;

export class ProfileBusy extends Error {
  constructor(running: string) {
    super(`a ${running} is already being taken; one at a time`);
    this.name = 'ProfileBusy';
  }
}

export class Profiles {
  private running: string | null = null;

  /** A CPU profile of the serving thread over `seconds`. */
  async cpu(seconds: number): Promise<unknown> {
    return this.exclusive('CPU profile', async (session) => {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const { profile } = await session.post('Profiler.stop');
      await session.post('Profiler.disable');
      return profile;
    });
  }

  /** A heap snapshot of the serving thread, handed to `write` chunk by chunk as V8 produces it. */
  async heap(write: (chunk: string) => void): Promise<void> {
    await this.exclusive('heap snapshot', async (session) => {
      const onChunk = (m: { params: { chunk: string } }) => write(m.params.chunk);
      session.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
      try {
        await session.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      } finally {
        session.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
      }
    });
  }

  private async exclusive<T>(what: string, fn: (session: Session) => Promise<T>): Promise<T> {
    if (this.running !== null) throw new ProfileBusy(this.running);
    this.running = what;
    const session = new Session();
    try {
      session.connectToMainThread();
      return await fn(session);
    } finally {
      session.disconnect();
      this.running = null;
    }
  }
}
