// How many log records an instance's notify messages may produce: a service that
// sends STATUS in a tight loop must not flood the log (nor the reader behind it).
// At most `perWindow` records per window; the rest are counted, and once the window
// is over the latest one suppressed is logged with that count, so that the log
// still ends on what the instance last said. At most perWindow + 1 records per window.
import type { Clock, Timer } from './clock.ts';

export const NOTIFY_RECORDS_PER_WINDOW = 10;
export const NOTIFY_WINDOW_MS = 1_000;

export class RecordBudget<T> {
  private used = 0;
  private suppressed = 0;
  private latest: T | undefined;
  private window: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    /** Logs one record; `suppressed`: held back in the window it closes, and never logged. */
    private readonly emit: (item: T, suppressed?: number) => void,
    private readonly perWindow = NOTIFY_RECORDS_PER_WINDOW,
    private readonly windowMs = NOTIFY_WINDOW_MS,
  ) {}

  offer(item: T): void {
    this.window ??= this.clock.after(this.windowMs, () => this.close());
    if (this.used < this.perWindow) {
      this.used++;
      this.emit(item);
    } else {
      this.suppressed++;
      this.latest = item;
    }
  }

  /** The instance is gone: what was held back is logged now rather than never. */
  flush(): void {
    this.window?.cancel();
    this.close();
  }

  private close(): void {
    this.window = undefined;
    this.used = 0;
    // The latest is logged now: the count is of those never logged.
    if (this.latest !== undefined) this.emit(this.latest, this.suppressed - 1);
    this.latest = undefined;
    this.suppressed = 0;
  }
}
