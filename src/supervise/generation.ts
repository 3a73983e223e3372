// A generation: the instances started together, one per slot (service x COUNT).
// Generation 1 is the first start; every reload starts the next one beside it.
import type { ServiceConfig } from '../config/types.ts';
import type { Timer } from './clock.ts';
import type { ProcessEnd, StartFailure } from './instance-lifecycle.ts';
import { Backoff } from './restart-policy.ts';
import type { Supervised } from './supervised.ts';

export type GenerationState = 'starting' | 'live' | 'stopping' | 'stopped';

/** One place an instance runs in: `web.2`. Restarts replace the instance, not the slot. */
export interface Slot {
  service: ServiceConfig;
  index: number;
  instance: Supervised;
  restarts: number;
  backoff: Backoff;
  pendingRestart?: Timer;
  /** Exited and will not be restarted. */
  ended: boolean;
}

/** A slot of a launch that has not started yet: it has no instance until it does. */
export interface QueuedSlot {
  service: ServiceConfig;
  index: number;
}

export type StartOutcome = { ok: true } | { ok: false; instance: Supervised; failure: StartFailure } | { ok: false; cancelled: true };

export type CreateInstance = (generation: Generation, service: ServiceConfig, index: number) => Supervised;

export class Generation {
  state: GenerationState = 'starting';
  readonly slots: Slot[] = [];
  /** The instances of the last launch() that are started and not ready yet. */
  private waiting = new Set<Supervised>();
  /** The slots of the last launch() not started yet, and how many may start at once. */
  private queue: QueuedSlot[] = [];
  private parallel = Infinity;
  private settleLaunch: ((outcome: StartOutcome) => void) | undefined;

  constructor(
    readonly number: number,
    private readonly create: CreateInstance,
    readonly startedAt: number,
  ) {}

  get instances(): Supervised[] {
    return this.slots.map((slot) => slot.instance);
  }

  slotOf(instance: Supervised): Slot | undefined {
    return this.slots.find((slot) => slot.instance === instance);
  }

  /**
   * Starts COUNT instances of each service, at most `parallel` at a time (each one that
   * becomes ready lets the next start); resolves once all are ready, or at the first that
   * will not be, and then starts no more.
   */
  launch(services: readonly ServiceConfig[], parallel = Infinity): Promise<StartOutcome> {
    const outcome = new Promise<StartOutcome>((resolve) => (this.settleLaunch = resolve));
    this.waiting = new Set();
    this.queue = services.flatMap((service) => Array.from({ length: service.count }, (_, i) => ({ service, index: i + 1 })));
    this.parallel = parallel;
    if (this.queue.length === 0) this.settle({ ok: true });
    else this.startQueued();
    return outcome;
  }

  /** Slots of the running launch() that wait for a free place to start. */
  get queued(): readonly QueuedSlot[] {
    return this.queue;
  }

  /** Takes over running slots from another generation (services whose reload only signals them). */
  adopt(slots: readonly Slot[]): void {
    this.slots.push(...slots);
  }

  /** Gives up slots, for instance to a generation that adopts them. */
  release(slots: readonly Slot[]): void {
    for (const slot of slots) this.slots.splice(this.slots.indexOf(slot), 1);
  }

  instanceReady(instance: Supervised): void {
    if (!this.waiting.delete(instance)) return;
    if (this.waiting.size === 0 && this.queue.length === 0) this.settle({ ok: true });
    else this.startQueued();
  }

  instanceFailedToStart(instance: Supervised, failure: StartFailure): void {
    if (this.waiting.has(instance)) this.settle({ ok: false, instance, failure });
  }

  /**
   * A launch is complete only when all its instances are ready at the same time:
   * one that was ready and exits while the others still start fails it too.
   */
  instanceExited(instance: Supervised, end: ProcessEnd): void {
    if (this.settleLaunch !== undefined && instance.readySince !== undefined && this.slotOf(instance) !== undefined && !this.waiting.has(instance)) {
      this.settle({ ok: false, instance, failure: { kind: 'crashed', end } });
    }
  }

  /** Replaces the slot's instance with a fresh one (a restart). */
  restart(slot: Slot): Supervised {
    slot.pendingRestart = undefined;
    slot.restarts += 1;
    slot.instance = this.create(this, slot.service, slot.index);
    slot.instance.start();
    return slot.instance;
  }

  /** Stops the given slots (all by default) in parallel; resolves when their processes are gone and their output written. */
  async stop(slots: readonly Slot[] = this.slots): Promise<void> {
    const all = slots === this.slots;
    if (all) {
      this.state = 'stopping';
      this.settle({ ok: false, cancelled: true });
    }
    for (const slot of slots) {
      slot.pendingRestart?.cancel();
      slot.pendingRestart = undefined;
      slot.ended = true;
      slot.instance.stop();
    }
    await Promise.all(slots.map((slot) => slot.instance.done));
    if (all) this.state = 'stopped';
  }

  kill(): void {
    for (const slot of this.slots) slot.instance.kill();
  }

  /** Every slot has a ready instance: what --health reports for the live generation. */
  get healthy(): boolean {
    return this.slots.length > 0 && this.slots.every((slot) => slot.instance.state.phase === 'ready');
  }

  /** No instance is running and none will be restarted. */
  get finished(): boolean {
    return this.slots.every((slot) => slot.ended && slot.instance.state.phase === 'exited');
  }

  private startQueued(): void {
    while (this.waiting.size < this.parallel && this.settleLaunch !== undefined) {
      const next = this.queue.shift();
      if (next === undefined) return;
      const slot: Slot = { ...next, instance: this.create(this, next.service, next.index), restarts: 0, backoff: new Backoff(), ended: false };
      this.slots.push(slot);
      this.waiting.add(slot.instance);
      slot.instance.start();
    }
  }

  private settle(outcome: StartOutcome): void {
    const settle = this.settleLaunch;
    this.settleLaunch = undefined;
    this.waiting.clear();
    this.queue = [];
    settle?.(outcome);
  }
}
