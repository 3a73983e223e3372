// A generation: one instance of every slot (service x COUNT) started together.
// Generation 1 is the first start; each reload (next issue) starts the next one.
import type { ServiceConfig } from '../config/types.ts';
import type { Timer } from './clock.ts';
import type { Instance } from './instance.ts';
import type { ProcessEnd, StartFailure } from './instance-lifecycle.ts';
import { Backoff } from './restart-policy.ts';

export type GenerationState = 'starting' | 'live' | 'stopping' | 'stopped';

/** One place an instance runs in: `web.2` of generation 3. Restarts replace the instance, not the slot. */
export interface Slot {
  service: ServiceConfig;
  index: number;
  instance: Instance;
  restarts: number;
  backoff: Backoff;
  pendingRestart?: Timer;
  /** Exited and will not be restarted. */
  ended: boolean;
}

export type StartOutcome = { ok: true } | { ok: false; instance: Instance; failure: StartFailure } | { ok: false; cancelled: true };

export type InstanceFactory = (generation: Generation, service: ServiceConfig, index: number, restarts: number) => Instance;

export class Generation {
  state: GenerationState = 'starting';
  readonly slots: Slot[];
  readonly startedAt: number;
  private settleStart!: (outcome: StartOutcome) => void;
  /** Resolves once every instance is ready, or at the first that will not be. */
  readonly started: Promise<StartOutcome>;
  private waitingFor: Set<Instance>;

  constructor(
    readonly number: number,
    services: readonly ServiceConfig[],
    private readonly create: InstanceFactory,
    now: number,
  ) {
    this.startedAt = now;
    this.started = new Promise((resolve) => (this.settleStart = resolve));
    this.slots = services.flatMap((service) =>
      Array.from({ length: service.count }, (_, i) => ({
        service,
        index: i + 1,
        instance: create(this, service, i + 1, 0),
        restarts: 0,
        backoff: new Backoff(),
        ended: false,
      })),
    );
    this.waitingFor = new Set(this.slots.map((slot) => slot.instance));
    if (this.waitingFor.size === 0) this.settle({ ok: true });
    for (const slot of this.slots) slot.instance.start();
  }

  get instances(): Instance[] {
    return this.slots.map((slot) => slot.instance);
  }

  slotOf(instance: Instance): Slot | undefined {
    return this.slots.find((slot) => slot.instance === instance);
  }

  /** Called by the supervisor when one of its instances became ready. */
  instanceReady(instance: Instance): void {
    if (this.state !== 'starting' || !this.waitingFor.delete(instance)) return;
    if (this.waitingFor.size === 0) this.settle({ ok: true });
  }

  instanceFailedToStart(instance: Instance, failure: StartFailure): void {
    if (this.state === 'starting' && this.waitingFor.has(instance)) this.settle({ ok: false, instance, failure });
  }

  /**
   * A generation is complete only when all its instances are ready at the same time:
   * one that was ready and exits while the others still start fails the start too.
   */
  instanceExited(instance: Instance, end: ProcessEnd): void {
    if (this.state === 'starting' && this.slotOf(instance) !== undefined && instance.readySince !== undefined) {
      this.settle({ ok: false, instance, failure: { kind: 'crashed', end } });
    }
  }

  /** Replaces the slot's instance with a fresh one (a restart). */
  restart(slot: Slot): Instance {
    slot.pendingRestart = undefined;
    slot.restarts += 1;
    slot.instance = this.create(this, slot.service, slot.index, slot.restarts);
    slot.instance.start();
    return slot.instance;
  }

  /** Stops every instance in parallel; resolves when all are gone and their output written. */
  async stop(): Promise<void> {
    if (this.state === 'starting') this.settle({ ok: false, cancelled: true });
    this.state = 'stopping';
    for (const slot of this.slots) {
      slot.pendingRestart?.cancel();
      slot.pendingRestart = undefined;
      slot.ended = true;
      slot.instance.stop();
    }
    await Promise.all(this.slots.map((slot) => slot.instance.done));
    this.state = 'stopped';
  }

  kill(): void {
    for (const slot of this.slots) slot.instance.kill();
  }

  /** Every slot has a ready instance: what --health reports for the live generation. */
  get healthy(): boolean {
    return this.slots.every((slot) => slot.instance.state.phase === 'ready');
  }

  /** No instance is running and none will be restarted. */
  get finished(): boolean {
    return this.slots.every((slot) => slot.ended && slot.instance.state.phase === 'exited');
  }

  private settle(outcome: StartOutcome): void {
    if (this.state === 'starting' && outcome.ok) this.state = 'live';
    this.waitingFor.clear();
    this.settleStart(outcome);
  }
}
