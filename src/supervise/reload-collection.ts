// When the init collects its own garbage: after a reload, at most once a second.
//
// A reload allocates about 1 MB in the init per 4 instances (execa and child_process
// objects, streams, environments, log records), most of it living as long as its
// generation. So much surviving makes V8 promote it to the old space and grow the new
// space towards its maximum (16 MiB a semi-space on 64-bit), and nothing collects the old
// generation's objects until the old space reaches a limit that rises with it: over 100
// reloads back to back of a COUNT=4 service the init's RSS went from 62 to 103 MiB, with
// 8 MiB of it live and 38 MiB of the growth V8's own pages. V8 gives them back only after
// seconds without allocation (its memory reducer), which reloads back to back never leave.
// A full collection once the old generation is gone frees its objects while they are few,
// before they spread over pages that would stay half used.
//
// A collection holds the event loop about 10 ms (the init's 8 MiB of live heap marked), where
// the rest of a reload of four small instances costs the init about 25 ms of CPU: at most
// one a second. It does not wait for a moment with no reload under way: reloads asked back
// to back (a deployment script, a bench) leave none, the next request arriving within a
// millisecond of the last outcome, and 100 of them then grew the RSS 1.5x with not one
// collection. The init is not on its services' request path, so the 10 ms it holds its loop
// in the middle of the next reload's start only delays that reload by as much.
import type { Clock, Timer } from './clock.ts';

export const MIN_INTERVAL_MS = 1_000;

export class ReloadCollection {
  private timer: Timer | undefined;
  private lastAt = -Infinity;

  constructor(
    private readonly clock: Clock,
    /** The full collection. */
    private readonly collect: () => void,
    private readonly minIntervalMs = MIN_INTERVAL_MS,
  ) {}

  /** A reload ended (committed or rolled back): a collection once the loop has run its close callbacks, and at most once per interval. */
  reloadEnded(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastAt + this.minIntervalMs - this.clock.now());
    this.timer = this.clock.after(wait, () => {
      this.timer = undefined;
      this.lastAt = this.clock.now();
      this.collect();
    });
  }

  /** The init is stopping: nothing more to collect for. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
