/**
 * The server the benchmark starts with `--spawn-server` (src/launch starts
 * it): where it may run, whether an interrupt reached it too, and stopping
 * it with its summary.
 *
 * A Ctrl-C on a terminal signals the whole foreground process group, and
 * the spawned server is in the benchmark's: it then stops by itself, closing
 * its connections (run.ts, settleInterrupt, accounts for that), and prints
 * its summary. A signal from here would be its second, which makes it exit
 * without one; so a server that is stopping by itself is waited for instead.
 */
import type { ServerProcess } from '../launch/server.js';
import { type ServerSpec, startServerFor } from '../launch/spec.js';
import { allowedCpus } from '../machine/cpus.js';

/** Time for a server signalled with the benchmark to say so (its `shutdown` event), and then to exit by itself. */
const SELF_STOP_MS = { notice: 250, exit: 5000 };

export class SpawnedServer {
  readonly server: ServerProcess;
  private signalled: Promise<boolean> | null = null;

  private constructor(server: ServerProcess) {
    this.server = server;
  }

  /** Start bin/server as `spec` says; resolves once it is ready, rejects with its reason. */
  static async start(spec: ServerSpec): Promise<SpawnedServer> {
    return new SpawnedServer(await startServerFor(spec));
  }

  get pid(): number {
    return this.server.pid;
  }

  /** The CPUs it may run on, as the kernel lists them. */
  cpus(): string | null {
    return allowedCpus(this.server.pid);
  }

  /** Whether the signal that interrupted the benchmark reached the server too. Ask only after an interrupt. */
  signalledToo(): Promise<boolean> {
    this.signalled ??= this.server.waitFor('shutdown', SELF_STOP_MS.notice).then(
      () => true,
      () => false,
    );
    return this.signalled;
  }

  /** Stop it (after an interrupt, let it finish stopping by itself if it is); its summary event. */
  async stop(interrupted: boolean): Promise<Record<string, unknown> | null> {
    if (interrupted && (await this.signalledToo())) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SELF_STOP_MS.exit);
      });
      await Promise.race([this.server.exited, grace]);
      clearTimeout(timer);
    }
    return (await this.server.stop()).summary ?? null;
  }

  /** For a process that exits at once (a second signal): do not leave the server running. */
  kill(): void {
    this.server.proc.kill('SIGKILL');
  }
}
