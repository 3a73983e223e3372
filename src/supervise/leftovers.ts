// What a service leaves behind: processes still in an instance's process group once its
// main process has exited (a `cmd &` of a shell, a worker that was not waited for), and, at
// the init's exit, any descendant at all (one that escaped into a session of its own is a
// child of the init by then, which is PID 1 or a subreaper). Each such set gets a signal
// that asks it to stop, then SIGKILL after a timeout, like an instance itself.
import type { Logger } from '../log/logger.ts';
import type { ProcessInfo } from '../pid1/process-tree.ts';
import { deferred } from '../util/deferred.ts';
import type { Clock, Timer } from './clock.ts';

export interface ProcessOps {
  /** Signal 0 only asks whether anyone is left; false when the group is empty. */
  signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean;
  signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean;
  /** The init's living and zombie descendants. */
  descendants(): ProcessInfo[];
}

/** One set of left-over processes being stopped: `signalled`, then gone, or killed at the deadline. */
interface Sweep {
  readonly pgid?: number;
  alive(): boolean;
  kill(): void;
  /** Logs that they went on the signal. */
  gone(): void;
  readonly timer: Timer;
  readonly end: () => void;
}

export class Leftovers {
  private readonly sweeps = new Set<Sweep>();
  private readonly ended = new WeakMap<Sweep, Promise<void>>();

  constructor(
    private readonly clock: Clock,
    private readonly ops: ProcessOps,
  ) {}

  /** How many sets are being stopped now (for tests and the exit). */
  get pending(): number {
    return this.sweeps.size;
  }

  /**
   * After an instance's main process exited: whatever is left of its process group, and of
   * its session when it led one (a job-control shell puts its jobs in groups of their own),
   * gets `signal`, and SIGKILL after `timeoutMs` if any of it is still there. False when nothing was left.
   */
  sweepGroup(pgid: number, signal: NodeJS.Signals, timeoutMs: number, log: Logger): boolean {
    // The session's members outside the group; none unless the instance was a session leader (setsid).
    const inSession = (): ProcessInfo[] => this.ops.descendants().filter((info) => info.sid === pgid && info.pgid !== pgid && !info.zombie);
    const signalAll = (sig: NodeJS.Signals): boolean => {
      let any = this.ops.signalGroup(pgid, sig);
      for (const info of inSession()) any = this.ops.signalProcess(info.pid, sig) || any;
      return any;
    };
    if (!signalAll(signal)) return false;
    log.info({ pgid, signal }, `processes left in its process group ${pgid}: sent ${signal}`);
    this.track(
      pgid,
      () => this.ops.signalGroup(pgid, 0) || inSession().length > 0,
      () => void signalAll('SIGKILL'),
      () => log.debug({ pgid }, `processes left in its process group ${pgid} are gone`),
      timeoutMs,
      () => log.warn({ pgid, timeoutMs }, `processes of its group ${pgid} still running ${timeoutMs} ms after ${signal}: killed the group`),
    );
    return true;
  }

  /**
   * At the init's exit: every living descendant outside the groups already being stopped
   * gets SIGTERM, SIGKILL after `timeoutMs`. Resolves once every set is gone or killed, so
   * that nothing of a service outlives the init, not even in subreaper mode.
   */
  async sweepAll(timeoutMs: number, log: Logger): Promise<void> {
    const swept = new Set([...this.sweeps].map((sweep) => sweep.pgid));
    const outside = (): ProcessInfo[] => this.ops.descendants().filter((info) => !info.zombie && !swept.has(info.pgid) && !swept.has(info.sid));
    const left = outside();
    if (left.length > 0) {
      for (const info of left) this.ops.signalProcess(info.pid, 'SIGTERM');
      log.warn({ pids: left.map((info) => info.pid) }, `${left.length} process${left.length === 1 ? '' : 'es'} left at exit outside any instance's group: sent SIGTERM`);
      this.track(
        undefined,
        () => outside().length > 0,
        () => {
          for (const info of outside()) this.ops.signalProcess(info.pid, 'SIGKILL');
        },
        () => log.debug('processes left at exit are gone'),
        timeoutMs,
        () => log.warn({ timeoutMs }, `processes left at exit still running ${timeoutMs} ms after SIGTERM: killed`),
      );
    }
    await Promise.all([...this.sweeps].map((sweep) => this.ended.get(sweep)));
  }

  /** Something may have died (a SIGCHLD): every set that is all gone is done. */
  check(): void {
    for (const sweep of this.sweeps) {
      if (sweep.alive()) continue;
      sweep.gone();
      this.finish(sweep);
    }
  }

  /** A second SIGTERM: no more waiting. */
  killAll(): void {
    for (const sweep of this.sweeps) {
      sweep.kill();
      this.finish(sweep);
    }
  }

  private track(pgid: number | undefined, alive: () => boolean, kill: () => void, gone: () => void, timeoutMs: number, onKilled: () => void): void {
    const ended = deferred();
    const sweep: Sweep = {
      ...(pgid === undefined ? {} : { pgid }),
      alive,
      kill,
      gone,
      end: ended.resolve,
      timer: this.clock.after(timeoutMs, () => {
        if (!this.sweeps.has(sweep)) return;
        if (sweep.alive()) {
          sweep.kill();
          onKilled();
        }
        // SIGKILL cannot be caught: what is left dies now, whoever reaps it.
        this.finish(sweep);
      }),
    };
    this.sweeps.add(sweep);
    this.ended.set(sweep, ended.promise);
  }

  private finish(sweep: Sweep): void {
    if (!this.sweeps.delete(sweep)) return;
    sweep.timer.cancel();
    sweep.end();
  }
}
