// One place an instance runs in (`web.2`), across its restarts and, for a RELOAD=signal
// service, across generations: the instance it runs now, how often it was restarted and why,
// the backoff before the next try, a restart that is due, whether it has ended for good,
// and the generation whose number its next instance carries. The generation that holds
// the slot is the only caller of its methods; the slot reports to that generation.
//
// Above MAX_MEMORY, the slot also owns the instance that replaces the current one while it
// starts, and the old one while it drains: only the current instance's events reach the
// generation; those two are the slot's own business.
import type { ServiceConfig } from '../config/types.ts';
import type { Clock, Timer } from './clock.ts';
import { readySinceOf, type ExitedState, type StartFailure } from './instance-lifecycle.ts';
import { Backoff, STABLE_AFTER_MS } from './restart-policy.ts';
import type { ExitCause } from '../control/protocol.ts';
import { describeEnd, describeFailure } from './describe.ts';
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

/** What replaceForMemory() did: started a replacement (or, for a singleton, stopped the instance first), or nothing yet. */
export type MemoryReplacement = 'replacing' | 'busy' | 'backing-off';

export class Slot {
  private current: Supervised;
  /** MAX_MEMORY: the instance starting in place of the current one, until it is ready. */
  private replacement: Supervised | undefined;
  /** MAX_MEMORY: the instance a ready replacement took over from, stopping. */
  private draining: Supervised | undefined;
  /** MAX_MEMORY, RELOAD=restart: the current instance was asked to stop, and the next one starts once it has. */
  private restartAfterStop = false;
  /** MAX_MEMORY: after a replacement that failed, no other is tried before this time. */
  private replaceNotBefore = -Infinity;
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

  /** Every instance the slot holds: the current one, and a MAX_MEMORY replacement starting or the instance it replaced draining. */
  get instances(): Supervised[] {
    return [this.current, ...(this.replacement ? [this.replacement] : []), ...(this.draining ? [this.draining] : [])];
  }

  /** Settles once every instance of the slot is gone and its output written. */
  get done(): Promise<void> {
    return Promise.all(this.instances.map((instance) => instance.done)).then(() => undefined);
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
    // A MAX_MEMORY replacement already starting takes the exited instance's place at once.
    if (this.replacement !== undefined) {
      this.countRestart(this.lastExit ?? 'stopped');
      this.current = this.replacement;
      this.replacement = undefined;
      return 0;
    }
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
    this.countRestart(this.lastExit ?? 'stopped');
    this.current = this.create();
    this.current.start();
  }

  /** Nothing restarts it from now on; a restart that was due is called off. */
  end(): void {
    this.pendingRestart?.cancel();
    this.pendingRestart = undefined;
    this.hasEnded = true;
    this.replacement?.stop();
  }

  /**
   * MAX_MEMORY: the current instance uses too much memory. A singleton (RELOAD=restart) is
   * stopped, and the next instance starts once it has exited; any other gets a replacement
   * beside it, and is stopped once the replacement is ready. Nothing is done while the slot
   * is replacing one already, for an instance that is not ready, and, after a replacement
   * that failed, until the slot's backoff is over.
   */
  replaceForMemory(): MemoryReplacement {
    if (this.hasEnded || this.current.state.phase !== 'ready') return 'busy';
    if (this.replacement !== undefined || this.draining !== undefined || this.restartAfterStop) return 'busy';
    if (this.context.clock.now() < this.replaceNotBefore) return 'backing-off';
    if (this.service.reload === 'restart') {
      this.restartAfterStop = true;
      this.current.stop();
    } else {
      this.replacement = this.create();
      this.replacement.start();
    }
    return 'replacing';
  }

  /** Ready, or a oneshot that completed: what a launch waits for, and --health. */
  get readyOrCompleted(): boolean {
    const state = this.current.state;
    return state.phase === 'ready' || (state.phase === 'exited' && state.completed === true);
  }

  /** Asks the instance to stop; nothing restarts it from now on. */
  stop(): void {
    this.end();
    for (const instance of this.instances) instance.stop();
  }

  kill(): void {
    for (const instance of this.instances) instance.kill();
  }

  forward(signal: NodeJS.Signals): void {
    for (const instance of this.instances) instance.forward(signal);
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
    // Only the slot's current instance reports: one it replaced has exited already, or is
    // a MAX_MEMORY replacement or a drained instance, which the slot deals with itself.
    const instance: Supervised = this.context.spawn(this.service, this.index, this.generation, {
      ready: () => {
        if (instance === this.replacement) this.replacementReady(instance);
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
        if (instance === this.draining) return this.drained(state);
        if (instance === this.replacement) return this.replacementExited(state);
        if (instance !== this.current) return;
        if (this.restartAfterStop) return this.stoppedForMemory(state);
        this.lastExit = exitCause(state);
        this.statistics.exited(this.lastExit);
        this.events.exited(this, state);
      },
    });
    this.statistics.spawned();
    return instance;
  }

  private countRestart(cause: ExitCause): void {
    this.restartCauses[cause] = (this.restartCauses[cause] ?? 0) + 1;
    this.statistics.restarted();
  }

  /** The replacement is ready: it becomes the slot's instance, and the one it replaces drains. */
  private replacementReady(replacement: Supervised): void {
    const old = this.current;
    this.current = replacement;
    this.replacement = undefined;
    this.draining = old;
    this.countRestart('memory');
    replacement.log.info({ pid: replacement.pid, replaced: old.pid }, `ready in place of pid ${old.pid ?? '-'} (MAX_MEMORY): stopping it`);
    old.stop();
  }

  private drained(state: ExitedState): void {
    this.draining = undefined;
    this.statistics.exited(state.stopRequested && state.failure === undefined ? 'memory' : exitCause(state));
  }

  /** The replacement exited before it was ready (or was stopped with its slot): the current instance stays. */
  private replacementExited(state: ExitedState): void {
    const failed = this.replacement as Supervised;
    this.replacement = undefined;
    this.statistics.exited(exitCause(state));
    if (this.hasEnded) return;
    const delay = this.backoff.next();
    this.replaceNotBefore = this.context.clock.now() + delay;
    const why = state.failure ? describeFailure(state.failure) : describeEnd(state.end);
    failed.log.error({ pid: failed.pid, reason: why, keeps: this.current.pid, retryAfterMs: delay }, `replacement failed: ${why}; pid ${this.current.pid ?? '-'} keeps running (another try at the next sample over MAX_MEMORY, ${delay} ms from now at the earliest)`);
  }

  /** A singleton stopped for MAX_MEMORY has exited: the next one starts now, unless the slot was stopped meanwhile. */
  private stoppedForMemory(state: ExitedState): void {
    this.restartAfterStop = false;
    this.lastExit = state.failure === undefined ? 'memory' : exitCause(state);
    this.statistics.exited(this.lastExit);
    if (this.hasEnded) {
      this.events.exited(this, state);
      return;
    }
    this.countRestart(this.lastExit);
    this.current = this.create();
    this.current.start();
  }
}
