// When an instance that exited by itself comes back, and when a service is
// considered broken (a crash loop) so that Docker's or Kubernetes' restart policy
// should take over.
import type { RestartPolicy } from '../config/types.ts';
import type { ProcessEnd } from './instance-lifecycle.ts';

export const FIRST_RETRY_MS = 100;
export const MAX_RETRY_MS = 5_000;
/** An instance ready this long has recovered: its next crash starts the backoff afresh. */
export const STABLE_AFTER_MS = 10_000;
export const CRASH_LOOP_WINDOW_MS = 60_000;

/** `failed`: it never became ready (timed out, could not be spawned), whatever its exit code. */
export function shouldRestart(policy: RestartPolicy, end: ProcessEnd, failed = false): boolean {
  if (policy === 'always') return true;
  if (policy === 'never') return false;
  return failed || end.exitCode !== 0; // on-failure: a non-zero code, a signal, or no start at all
}

/** Exponential backoff for one instance slot: 100 ms, 200 ms, 400 ms ... capped at 5 s. */
export class Backoff {
  private attempt = 0;

  next(): number {
    const delay = Math.min(FIRST_RETRY_MS * 2 ** this.attempt, MAX_RETRY_MS);
    this.attempt += 1;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Counts a service's restarts over the last minute; more than `max` means a crash loop. */
export class RestartBudget {
  private times: number[] = [];

  constructor(private readonly max: number) {}

  /** Records a restart at `now`; false when it is one too many. */
  spend(now: number): boolean {
    this.times = this.times.filter((time) => now - time < CRASH_LOOP_WINDOW_MS);
    this.times.push(now);
    return this.times.length <= this.max;
  }

  get recent(): number {
    return this.times.length;
  }
}
