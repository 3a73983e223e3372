// One place an instance runs in (`web.2`), across its restarts and, for a RELOAD=signal
// service, across generations: the instance it runs now, how often it was restarted and why,
// the backoff before the next try, a restart that is due, whether it has ended for good,
// and the generation whose number its next instance carries. The generation that holds
// the slot is the only caller of its methods; the slot reports to that generation.
import type { ServiceConfig } from '../config/types.ts';
import type { Clock, Timer } from './clock.ts';
import { readySinceOf, type ExitedState, type StartFailure } from './instance-lifecycle.ts';
import { Backoff, STABLE_AFTER_MS } from './restart-policy.ts';
import type { ExitCause } from '../control/protocol.ts';
import { exitCause, type ServiceStatistics } from './statistics.ts';
import type { SpawnInstance, Supervised } from './supervised.ts';

/** What every slot is made with: how to spawn an instance, the clock, and where its service's figures go. */
export interface SlotContext {
  spawn: SpawnInstance;
  clock: Clock;
  statisticsOf(service: ServiceConfig): ServiceStatistics;
}

/** What a slot reports to the generation that holds it. */
export interface SlotEvents {
  /** Its instance is ready, or, a oneshot's, has completed. */
  ready(slot: Slot): void;
  startFailed(slot: Slot, failure: StartFailure): void;
  exited(slot: Slot, state: ExitedState): void;
}

export class Slot {
  private current: Supervised;
  /** Why the instance that a restart replaced had ended. */
  private readonly restartCauses: Partial<Record<ExitCause, number>> = {};
  private lastExit: ExitCause | undefined;
  private readonly statistics: ServiceStatistics;
  private readonly backoff = new Backoff();
  private pendingRestart: Timer | undefined;
  private hasEnded = false;

  constructor(
    readonly service: ServiceConfig,
    readonly index: number,
    private generation: number,
    private events: SlotEvents,
    private readonly context: SlotContext,
  ) {
    this.statistics = context.statisticsOf(service);
    this.current = this.create();
  }

  get name(): string {
    return `${this.service.name}.${this.index}`;
  }

  get instance(): Supervised {
    return this.current;
  }

  get restarts(): number {
    return Object.values(this.restartCauses).reduce((sum, count) => sum + count, 0);
  }

  /** Restarts by why the instance before ended. */
  get restartsBy(): Partial<Record<ExitCause, number>> {
    return { ...this.restartCauses };
  }

  /** Exited, or stopped, and not to be restarted. */
  get ended(): boolean {
    return this.hasEnded;
  }

  /** Starts the instance made with the slot; separate, so that the holder can register the slot before any event fires. */
  start(): void {
    this.current.start();
  }

  /**
   * Restarts the exited instance once its backoff is over; returns the delay. An instance
   * that had stayed ready STABLE_AFTER_MS has recovered: its backoff starts afresh.
   */
  restartLater(): number {
    const { clock } = this.context;
    const readySince = readySinceOf(this.current.state);
    if (readySince !== undefined && clock.now() - readySince >= STABLE_AFTER_MS) this.backoff.reset();
    const delay = this.backoff.next();
    this.pendingRestart?.cancel();
    this.pendingRestart = clock.after(delay, () => this.restartNow());
    return delay;
  }

  /** A new instance in place of the exited one, at once (also one that had ended). */
  restartNow(): void {
    this.pendingRestart?.cancel();
    this.pendingRestart = undefined;
    this.hasEnded = false;
    const cause = this.lastExit ?? 'stopped';
    this.restartCauses[cause] = (this.restartCauses[cause] ?? 0) + 1;
    this.statistics.restarted();
    this.current = this.create();
    this.current.start();
  }

  /** Nothing restarts it from now on; a restart that was due is called off. */
  end(): void {
    this.pendingRestart?.cancel();
    this.pendingRestart = undefined;
    this.hasEnded = true;
  }

  /** Ready, or a oneshot that completed: what a launch waits for, and --health. */
  get done(): boolean {
    const state = this.current.state;
    return state.phase === 'ready' || (state.phase === 'exited' && state.completed === true);
  }

  /** Asks the instance to stop; nothing restarts it from now on. */
  stop(): void {
    this.end();
    this.current.stop();
  }

  kill(): void {
    this.current.kill();
  }

  /**
   * Held by another generation from now on (a RELOAD=signal service): the running instance
   * stays, and reports to it; a restart that is due comes with the slot, and the instances
   * it makes from now on carry that generation's number.
   */
  moveTo(generation: number, events: SlotEvents): void {
    this.generation = generation;
    this.events = events;
  }

  private create(): Supervised {
    // Only the slot's current instance reports: one it replaced has exited already.
    const instance: Supervised = this.context.spawn(this.service, this.index, this.generation, {
      ready: () => {
        if (instance !== this.current) return;
        this.statistics.ready();
        this.events.ready(this);
      },
      completed: () => {
        if (instance !== this.current) return;
        // A oneshot is never restarted: its slot has ended once its task is done.
        this.hasEnded = true;
        this.statistics.ready();
        this.events.ready(this);
      },
      startFailed: (failure) => instance === this.current && this.events.startFailed(this, failure),
      exited: (state) => {
        if (instance !== this.current) return;
        this.lastExit = exitCause(state);
        this.statistics.exited(this.lastExit);
        this.events.exited(this, state);
      },
    });
    this.statistics.spawned();
    return instance;
  }
}
