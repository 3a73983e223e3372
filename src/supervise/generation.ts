// A generation: the instances started together, one per slot (service x COUNT).
// Generation 1 is the first start; every reload starts the next one beside it. A
// generation holds its slots and hears their instances' events: it decides whether
// its launch has succeeded, and passes every exit on to the supervisor, which decides
// what comes next.
import type { ServiceConfig } from '../config/types.ts';
import { deferred, type Deferred } from '../util/deferred.ts';
import { readySinceOf, type ExitedState, type InstanceFailure, type StartFailure } from './instance-lifecycle.ts';
import { Slot, type MemoryReplacement, type SlotContext, type SlotEvents } from './slot.ts';
import type { Supervised } from './supervised.ts';

/** A slot of a launch that has not started yet: it has no instance until it does. */
export interface QueuedSlot {
  service: ServiceConfig;
  index: number;
}

export type StartOutcome = { ok: true } | { ok: false; instance: Supervised; failure: InstanceFailure } | { ok: false; cancelled: true };

export interface GenerationEvents {
  /** An instance of one of its slots exited, after the generation has taken it into account. */
  exited(generation: Generation, slot: Slot, state: ExitedState): void;
}

export class Generation {
  private readonly held: Slot[] = [];
  private stopRequested = false;
  /** The slots of the running launch() whose instance is started and not ready yet. */
  private waiting = new Set<Slot>();
  /** The slots of the running launch() not started yet, and how many may start at once. */
  private queue: QueuedSlot[] = [];
  private parallel = Infinity;
  /** The names of the services of the running launch(): an AFTER names one of these, or something already running. */
  private launching = new Set<string>();
  private launched: Deferred<StartOutcome> | undefined;
  private readonly slotEvents: SlotEvents = {
    ready: (slot) => this.slotReady(slot),
    startFailed: (slot, failure) => this.slotFailedToStart(slot, failure),
    exited: (slot, state) => this.slotExited(slot, state),
  };

  constructor(
    readonly number: number,
    readonly startedAt: number,
    private readonly slotContext: SlotContext,
    private readonly events: GenerationEvents,
  ) {}

  get slots(): readonly Slot[] {
    return this.held;
  }

  /** Slots of the running launch() that wait for a free place to start. */
  get queued(): readonly QueuedSlot[] {
    return this.queue;
  }

  /** stop() was called: the generation is on its way out. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /**
   * Starts COUNT instances of each service, at most `parallel` at a time (each one that
   * becomes ready lets the next start), and each service only once every service of this
   * launch that it comes after (AFTER) is ready, or completed for a oneshot; what it comes
   * after outside this launch runs already. Resolves once all are ready, or at the first
   * that will not be, and then starts no more.
   */
  launch(services: readonly ServiceConfig[], parallel = Infinity): Promise<StartOutcome> {
    const launched = (this.launched = deferred<StartOutcome>());
    this.waiting = new Set();
    this.launching = new Set(services.map((service) => service.name));
    this.queue = services.flatMap((service) => Array.from({ length: service.count }, (_, i) => ({ service, index: i + 1 })));
    this.parallel = parallel;
    if (this.queue.length === 0) this.settle({ ok: true });
    else this.startQueued();
    return launched.promise;
  }

  /** Gives running slots to the generation that replaces this one (services whose reload only signals them). */
  handOver(slots: readonly Slot[], to: Generation): void {
    for (const slot of slots) {
      const at = this.held.indexOf(slot);
      if (at === -1) continue; // not held here: not this generation's to give
      this.held.splice(at, 1);
      to.take(slot);
    }
  }

  /** The supervisor's decision for a slot whose instance exited by itself: restart it after its backoff (returned). */
  restartLater(slot: Slot): number {
    return slot.restartLater();
  }

  /** The supervisor's decision for a slot whose instance exited by itself: it stays down. */
  end(slot: Slot): void {
    slot.end();
  }

  /** MAX_MEMORY: the supervisor's decision for a slot whose instance uses too much memory; nothing starts once the generation is stopping. */
  replaceForMemory(slot: Slot): MemoryReplacement {
    if (this.stopRequested || !this.held.includes(slot)) return 'busy';
    return slot.replaceForMemory();
  }

  /** Starts slots again that were stopped (singletons a failed reload had stopped). */
  reopen(slots: readonly Slot[]): void {
    for (const slot of slots) if (this.held.includes(slot)) slot.restartNow();
  }

  /**
   * Stops every slot, in the reverse of the start order: a service is asked to stop only
   * once every service that comes after it has exited; those with no order between them
   * stop together. Resolves when every process is gone and its output written.
   */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.settle({ ok: false, cancelled: true });
    for (const slot of this.held) slot.end(); // no restart from now on, whatever wave it is in
    for (const wave of stopWaves(this.held)) await this.stopSlots(wave);
  }

  /** Stops the given slots only (singletons that must not run twice during a reload). */
  async stopSlots(slots: readonly Slot[]): Promise<void> {
    const mine = slots.filter((slot) => this.held.includes(slot));
    for (const slot of mine) slot.stop();
    await Promise.all(mine.map((slot) => slot.done));
  }

  kill(): void {
    for (const slot of this.held) slot.kill();
  }

  /** A signal on request to the running instances of one service, or of one slot of it (`web.2`): those it reached. */
  signal(signal: NodeJS.Signals, service: string, index?: number): Array<{ instance: string; generation: number; pid: number }> {
    const reached = [];
    for (const slot of this.held) {
      if (slot.service.name !== service || (index !== undefined && slot.index !== index)) continue;
      for (const instance of slot.instances) {
        if (instance.pid === undefined || instance.state.phase === 'exited') continue;
        instance.forward(signal);
        reached.push({ instance: slot.name, generation: instance.generation, pid: instance.pid });
      }
    }
    return reached;
  }

  forward(signal: NodeJS.Signals): void {
    for (const slot of this.held) slot.forward(signal);
  }

  /** Every slot has a ready instance, or a oneshot that completed: what --health reports for the live generation. */
  get healthy(): boolean {
    return this.held.length > 0 && this.held.every((slot) => slot.readyOrCompleted);
  }

  /** No instance is running and none will be restarted. */
  get finished(): boolean {
    return this.held.every((slot) => slot.ended && slot.instance.state.phase === 'exited');
  }

  private take(slot: Slot): void {
    this.held.push(slot);
    slot.moveTo(this.number, this.slotEvents);
  }

  private slotReady(slot: Slot): void {
    if (!this.waiting.delete(slot)) return;
    if (this.waiting.size === 0 && this.queue.length === 0) this.settle({ ok: true });
    else this.startQueued();
  }

  private slotFailedToStart(slot: Slot, failure: StartFailure): void {
    if (this.waiting.has(slot)) this.settle({ ok: false, instance: slot.instance, failure });
  }

  /**
   * A launch is complete only when all its instances are ready at the same time:
   * one that was ready and exits while the others still start fails it too, with its
   * watchdog failure if that is what ended it.
   */
  private slotExited(slot: Slot, state: ExitedState): void {
    if (this.launched !== undefined && readySinceOf(state) !== undefined && !this.waiting.has(slot)) {
      const watchdog = state.failure?.kind === 'watchdog' || state.failure?.kind === 'watchdog-trigger';
      this.settle({ ok: false, instance: slot.instance, failure: watchdog && state.failure ? state.failure : { kind: 'crashed', end: state.end } });
    }
    this.events.exited(this, slot, state);
  }

  private startQueued(): void {
    while (this.waiting.size < this.parallel && this.launched !== undefined) {
      const at = this.queue.findIndex((queued) => queued.service.after.every((name) => this.afterDone(name)));
      if (at === -1) return;
      const [next] = this.queue.splice(at, 1);
      if (next === undefined) return;
      const slot = new Slot(next.service, next.index, this.number, this.slotEvents, this.slotContext);
      this.held.push(slot);
      this.waiting.add(slot);
      slot.start();
    }
  }

  /** A service this launch waits for: ready (or completed) in every slot, none still queued. */
  private afterDone(name: string): boolean {
    if (!this.launching.has(name)) return true;
    if (this.queue.some((queued) => queued.service.name === name)) return false;
    return this.held.filter((slot) => slot.service.name === name).every((slot) => slot.readyOrCompleted);
  }

  private settle(outcome: StartOutcome): void {
    const launched = this.launched;
    this.launched = undefined;
    this.waiting.clear();
    this.queue = [];
    launched?.resolve(outcome);
  }
}

/** The slots in waves to stop: those that no other service still running comes after first. */
function stopWaves(slots: readonly Slot[]): Slot[][] {
  const waves: Slot[][] = [];
  let left = [...slots];
  while (left.length > 0) {
    const waitedFor = new Set(left.flatMap((slot) => slot.service.after.filter((name) => name !== slot.service.name)));
    const wave = left.filter((slot) => !waitedFor.has(slot.service.name));
    if (wave.length === 0) return [...waves, left]; // an order the configuration refuses: stop the rest together
    waves.push(wave);
    left = left.filter((slot) => !wave.includes(slot));
  }
  return waves;
}
