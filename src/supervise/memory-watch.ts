// MAX_MEMORY: every MEMORY_SAMPLE_MS, the resident memory of each limited instance's
// process group, read for all of them in one pass (pid1/process-memory.ts), kept for
// --status, and each ready instance above its service's limit handed to the supervisor,
// which decides whether it is replaced now. Runs only when some service has a limit.
import type { Clock, Timer } from './clock.ts';
import type { Slot } from './slot.ts';
import type { Supervised } from './supervised.ts';

/** How often the memory of limited instances is read: an instance over its limit is replaced within about this much. */
export const MEMORY_SAMPLE_MS = 1000;

/** The resident bytes of each process group asked for that has a process left. */
export type ReadResident = (groups: ReadonlySet<number>) => Map<number, number>;

export class MemoryWatch {
  private timer: Timer | undefined;
  /** The last sample's figures, replaced whole at each sample, so that gone instances leave nothing behind. */
  private sampled = new Map<Supervised, number>();

  constructor(
    private readonly clock: Clock,
    private readonly read: ReadResident,
    /** Every slot of every generation: all are sampled for --status, the supervisor decides which it acts on. */
    private readonly slots: () => Iterable<Slot>,
    private readonly over: (slot: Slot, rss: number, limit: number) => void,
  ) {}

  start(): void {
    this.timer?.cancel();
    this.timer = this.clock.after(MEMORY_SAMPLE_MS, () => {
      this.sample();
      if (this.timer !== undefined) this.start();
    });
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Its group's resident bytes at the last sample; null for an instance without a limit, or not sampled yet. */
  rssOf(instance: Supervised): number | null {
    return this.sampled.get(instance) ?? null;
  }

  sample(): void {
    const watched: { slot: Slot; instance: Supervised; pid: number }[] = [];
    for (const slot of this.slots()) {
      if (slot.service.maxMemoryBytes === undefined) continue;
      for (const instance of slot.instances) {
        // An instance's group id is its pid (it leads its own group).
        if (instance.pid !== undefined && instance.state.phase !== 'exited') watched.push({ slot, instance, pid: instance.pid });
      }
    }
    const bytes = watched.length === 0 ? new Map<number, number>() : this.read(new Set(watched.map((entry) => entry.pid)));
    this.sampled = new Map(watched.flatMap(({ instance, pid }) => (bytes.has(pid) ? [[instance, bytes.get(pid) as number]] : [])));
    for (const { slot, instance, pid } of watched) {
      const rss = bytes.get(pid);
      const limit = slot.service.maxMemoryBytes as number;
      // Only the slot's own ready instance: a replacement starting or an instance draining is on its way already.
      if (rss !== undefined && rss > limit && instance === slot.instance && instance.state.phase === 'ready') this.over(slot, rss, limit);
    }
  }
}
