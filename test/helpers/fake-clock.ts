// A Clock whose time moves only when the test says so. It keeps only the timers still to
// fire, as the system clock does: a test that counts what stays alive after many reloads
// must not find the supervisor's instances held by timers long done.
import type { Clock, Timer } from '../../src/supervise/clock.ts';

export class FakeClock implements Clock {
  private time = 0;
  private timers: Array<{ at: number; fn: () => void; cancelled: boolean; seq: number }> = [];
  private seq = 0;

  now(): number {
    return this.time;
  }

  after(ms: number, fn: () => void): Timer {
    const timer = { at: this.time + ms, fn, cancelled: false, seq: this.seq++ };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
        this.timers = this.timers.filter((t) => t !== timer);
      },
    };
  }

  /** Moves time forward, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.time = due.at;
      due.cancelled = true;
      this.timers = this.timers.filter((t) => t !== due);
      due.fn();
    }
    this.time = target;
  }

  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
