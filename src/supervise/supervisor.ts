// The controller: starts generation 1, restarts instances that exit by themselves,
// cuts a crash loop short, forwards signals, replaces every process blue-green on
// a reload, stops everything on request and decides the init's exit code.
import type { ServiceConfig, SupervisorConfig } from '../config/types.ts';
import type { Logger } from '../log/logger.ts';
import { exitCodeOf } from '../pid1/exit-status.ts';
import type { Clock } from './clock.ts';
import { Generation, type QueuedSlot, type Slot, type StartOutcome } from './generation.ts';
import { describeEnd, describeFailure } from './describe.ts';
import type { InstanceState, StartFailure } from './instance-lifecycle.ts';
import { RestartBudget, shouldRestart, STABLE_AFTER_MS } from './restart-policy.ts';
import type { SpawnInstance, Supervised } from './supervised.ts';

export const EXIT_START_FAILED = 1;
export const EXIT_CRASH_LOOP = 1;

export interface InstanceStatus {
  service: string;
  instance: number;
  generation: number;
  pid: number | null;
  /** `queued`: a reload has yet to start it (BATON_RELOAD_PARALLEL). */
  state: InstanceState['phase'] | 'queued';
  /** Null while queued. */
  since: number | null;
  readySince: number | null;
  restarts: number;
  lastStatus: string | null;
}

export interface GenerationStatus {
  number: number;
  state: 'live' | 'starting' | 'stopping';
  startedAt: number;
  instances: InstanceStatus[];
}

export interface StatusSnapshot {
  pid: number;
  healthy: boolean;
  reload: ReloadState['phase'];
  generations: GenerationStatus[];
}

export type ReloadOutcome =
  | { committed: true; generation: number; ms: number }
  | { committed: false; generation: number; ms: number; reason: string; service: string; instance: number; lastStatus: string | null }
  | { committed: false; cancelled: true; reason: string };

/** The reload as an explicit state machine: idle -> starting -> committing -> idle, or starting -> rolling-back -> idle. */
export type ReloadState =
  | { phase: 'idle' }
  | { phase: 'starting'; generation: number; since: number }
  | { phase: 'committing'; generation: number; since: number }
  | { phase: 'rolling-back'; generation: number; since: number; reason: string };

export class Supervisor {
  private live: Generation | undefined;
  private readonly generations = new Set<Generation>();
  /**
   * One crash-loop budget per instance slot (`web.3`), kept across generations: one event
   * that kills six instances of a COUNT=8 service at once is six restarts, one per
   * instance, not a crash loop; one instance that keeps crashing still is.
   */
  private readonly budgets = new Map<string, RestartBudget>();
  private lastGeneration = 0;
  private stopping = false;
  private stopRequested!: () => void;
  private readonly stopRequest = new Promise<void>((resolve) => (this.stopRequested = resolve));
  private finish!: (code: number) => void;
  private readonly finished = new Promise<number>((resolve) => (this.finish = resolve));
  private firstFailureCode: number | undefined;
  private reloadState: ReloadState = { phase: 'idle' };
  /** At most one more reload waits behind the running one, however many were asked for. */
  private queuedReload: { promise: Promise<ReloadOutcome>; resolve: (outcome: ReloadOutcome) => void } | undefined;

  constructor(
    private readonly config: SupervisorConfig,
    private readonly spawn: SpawnInstance,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {
  }

  /** Runs until everything has stopped; resolves with the init's exit code. */
  async run(): Promise<number> {
    if (this.stopping) return this.finished; // asked to stop before anything started
    const generation = this.startGeneration();
    const outcome = await this.unlessStopped(generation.launch(this.config.services));
    if (outcome.ok) {
      this.goLive(generation);
      this.log.info({ generation: generation.number, ms: this.clock.now() - generation.startedAt }, `generation ${generation.number} is running`);
      this.finishIfAllEnded();
    } else if (!('cancelled' in outcome)) {
      this.log.error(failureFields(outcome.instance, outcome.failure), `start failed: ${outcome.instance.name} ${describeFailure(outcome.failure)}; stopping everything`);
      await this.stopAll();
      return EXIT_START_FAILED;
    }
    return this.finished;
  }

  /** SIGTERM/SIGINT: stop every instance gracefully; a second call kills them. */
  shutdown(signal: NodeJS.Signals): void {
    if (this.stopping) {
      this.log.warn({ signal }, `${signal} again: killing every instance now`);
      for (const generation of this.generations) generation.kill();
      return;
    }
    this.log.info({ signal }, `${signal}: stopping every instance`);
    void this.stopAll().then(() => this.finish(0));
  }

  /** Passes a signal on to every running instance. */
  forward(signal: NodeJS.Signals): void {
    for (const generation of this.generations) for (const instance of generation.instances) instance.forward(signal);
  }

  /** SIGHUP or `--reload`: a new generation beside the live one, committed once all of it is ready. */
  reload(): Promise<ReloadOutcome> {
    if (this.stopping) return Promise.resolve({ committed: false, cancelled: true, reason: 'the init is stopping' });
    if (this.live === undefined) {
      this.log.warn('reload requested before generation 1 was running: ignored');
      return Promise.resolve({ committed: false, cancelled: true, reason: 'generation 1 is not running yet' });
    }
    if (this.reloadState.phase === 'idle') return this.runReload();
    if (this.queuedReload === undefined) {
      let resolve!: (outcome: ReloadOutcome) => void;
      const promise = new Promise<ReloadOutcome>((settle) => (resolve = settle));
      this.queuedReload = { promise, resolve };
      this.log.info({ during: this.reloadState.generation }, `reload requested during the reload to generation ${this.reloadState.generation}: it will run next`);
    } else {
      this.log.info('reload requested while one is running and another is queued: coalesced');
    }
    return this.queuedReload.promise;
  }

  get healthy(): boolean {
    return this.live !== undefined && this.live.healthy;
  }

  get reloadPhase(): ReloadState['phase'] {
    return this.reloadState.phase;
  }

  status(): StatusSnapshot {
    return {
      pid: process.pid,
      healthy: this.healthy,
      reload: this.reloadState.phase,
      generations: [...this.generations].map((generation) => ({
        number: generation.number,
        state: generation === this.live ? 'live' : generation.state === 'starting' ? 'starting' : 'stopping',
        startedAt: generation.startedAt,
        instances: [...generation.slots.map((slot) => instanceStatus(slot)), ...generation.queued.map((slot) => queuedStatus(slot, generation.number))],
      })),
    };
  }

  private async runReload(): Promise<ReloadOutcome> {
    let outcome: ReloadOutcome;
    try {
      outcome = await this.performReload();
    } finally {
      this.reloadState = { phase: 'idle' };
    }
    const queued = this.queuedReload;
    this.queuedReload = undefined;
    if (queued) void this.reload().then(queued.resolve);
    return outcome;
  }

  private async performReload(): Promise<ReloadOutcome> {
    const old = this.live as Generation;
    const began = this.clock.now();
    const generation = this.startGeneration();
    const number = generation.number;
    this.reloadState = { phase: 'starting', generation: number, since: began };
    // The live generation keeps serving meanwhile: starting every new process at once would take its CPU.
    const parallel = this.config.globals.reloadParallel;
    const pace = Number.isFinite(parallel) ? `, ${parallel} instance${parallel === 1 ? '' : 's'} at a time` : '';
    this.log.info({ generation: number, live: old.number, parallel: Number.isFinite(parallel) ? parallel : 'all' }, `reload requested: generation ${number} starting beside generation ${old.number}${pace}`);

    const replaced = await this.unlessStopped(generation.launch(this.servicesWith('replace'), parallel));
    if (!replaced.ok) return this.rollBack(generation, old, replaced, began, []);

    // Singletons must never run twice: the old one goes first, then the new one starts.
    const restartServices = this.servicesWith('restart');
    const oldSingletons = old.slots.filter((slot) => slot.service.reload === 'restart');
    if (restartServices.length > 0) {
      this.log.info({ generation: number, services: restartServices.map((s) => s.name) }, `stopping ${restartServices.map((s) => s.name).join(', ')} of generation ${old.number} before starting them in generation ${number} (RELOAD=restart)`);
      await old.stop(oldSingletons);
      const restarted = await this.unlessStopped(generation.launch(restartServices, parallel));
      if (!restarted.ok) return this.rollBack(generation, old, restarted, began, oldSingletons);
    }

    this.reloadState = { phase: 'committing', generation: number, since: this.clock.now() };
    const signalled = old.slots.filter((slot) => slot.service.reload === 'signal');
    old.release(signalled);
    generation.adopt(signalled);
    for (const slot of signalled) slot.instance.forward('SIGHUP');
    old.release(oldSingletons);
    this.goLive(generation);
    this.log.info({ generation: number, previous: old.number, ms: this.clock.now() - began }, `generation ${number} is ready: stopping generation ${old.number}`);
    await old.stop();
    this.generations.delete(old);
    const ms = this.clock.now() - began;
    this.log.info({ generation: number, ms }, `reload committed: generation ${number} is live (${ms} ms)`);
    return { committed: true, generation: number, ms };
  }

  private async rollBack(generation: Generation, old: Generation, outcome: Exclude<StartOutcome, { ok: true }>, began: number, stoppedSingletons: readonly Slot[]): Promise<ReloadOutcome> {
    if ('cancelled' in outcome) return { committed: false, cancelled: true, reason: 'the init is stopping' };
    const { instance, failure } = outcome;
    const reason = `${instance.name} ${describeFailure(failure)}`;
    this.reloadState = { phase: 'rolling-back', generation: generation.number, since: this.clock.now(), reason };
    this.log.error({ ...failureFields(instance, failure), live: old.number }, `reload to generation ${generation.number} failed: ${reason}; rolling back`);
    await generation.stop();
    this.generations.delete(generation);
    // A stopped singleton cannot be un-stopped: it starts again, in the generation that stays live.
    for (const slot of stoppedSingletons) {
      slot.ended = false;
      old.restart(slot);
    }
    const ms = this.clock.now() - began;
    this.log.warn({ generation: generation.number, live: old.number, ms, reason }, `reload rolled back: generation ${old.number} stays live`);
    return { committed: false, generation: generation.number, ms, reason, service: instance.service.name, instance: instance.index, lastStatus: instance.lastStatus ?? null };
  }

  private servicesWith(mode: ServiceConfig['reload']): ServiceConfig[] {
    return this.config.services.filter((service) => service.reload === mode);
  }

  private startGeneration(): Generation {
    this.lastGeneration += 1;
    const number = this.lastGeneration;
    if (number === 1) this.log.info({ generation: number }, `generation ${number} starting`);
    const generation = new Generation(number, (owner, service, index) => this.createInstance(owner, service, index), this.clock.now());
    this.generations.add(generation);
    return generation;
  }

  private goLive(generation: Generation): void {
    generation.state = 'live';
    if (this.live && this.live !== generation) this.live.state = 'stopping';
    this.live = generation;
  }

  private createInstance(generation: Generation, service: ServiceConfig, index: number): Supervised {
    return this.spawn(service, index, generation.number, {
      ready: (instance) => this.ownerOf(instance)?.instanceReady(instance),
      startFailed: (instance, failure) => this.ownerOf(instance)?.instanceFailedToStart(instance, failure),
      exited: (instance, state) => this.instanceExited(instance, state),
    });
  }

  /** The generation an instance runs in now: a `signal` service's instances move to each new generation. */
  private ownerOf(instance: Supervised): Generation | undefined {
    for (const generation of this.generations) if (generation.slotOf(instance)) return generation;
    return undefined;
  }

  private unlessStopped(launch: Promise<StartOutcome>): Promise<StartOutcome> {
    return Promise.race([launch, this.stopRequest.then((): StartOutcome => ({ ok: false, cancelled: true }))]);
  }

  private instanceExited(instance: Supervised, state: Extract<InstanceState, { phase: 'exited' }>): void {
    const generation = this.ownerOf(instance);
    if (generation === undefined) return;
    generation.instanceExited(instance, state.end);
    const slot = generation.slotOf(instance);
    if (slot === undefined || this.stopping || generation !== this.live) return;
    // An instance asked to stop because it was not ready in time failed as surely as one that crashed.
    const byItself = !state.stopRequested || state.failure !== undefined;
    if (!byItself) return;

    const failed = state.failure !== undefined && state.failure.kind !== 'exited';
    const code = failed ? 1 : exitCodeOf({ exitCode: state.end.exitCode ?? undefined, signal: state.end.signal ?? undefined });
    if (code !== 0) this.firstFailureCode ??= code;

    if (!shouldRestart(instance.service.restart, state.end, failed)) {
      slot.ended = true;
      instance.log.info({ pid: instance.pid }, `not restarted (RESTART=${instance.service.restart})`);
      this.finishIfAllEnded();
      return;
    }
    const budget = this.budgetOf(instance);
    if (!budget.spend(this.clock.now())) {
      this.log.fatal(
        { service: instance.service.name, instance: instance.index, restarts: budget.recent, maxRestarts: this.config.globals.maxRestarts },
        `${instance.name} restarted more than ${this.config.globals.maxRestarts} times within a minute: stopping everything so that the container's restart policy takes over`,
      );
      this.firstFailureCode = EXIT_CRASH_LOOP;
      void this.stopAll().then(() => this.finish(EXIT_CRASH_LOOP));
      return;
    }
    if (instance.readySince !== undefined && this.clock.now() - instance.readySince >= STABLE_AFTER_MS) slot.backoff.reset();
    const delay = slot.backoff.next();
    instance.log.warn({ pid: instance.pid, delayMs: delay, reason: state.failure ? describeFailure(state.failure) : describeEnd(state.end) }, `restarting in ${delay} ms`);
    slot.pendingRestart = this.clock.after(delay, () => {
      if (this.stopping || this.ownerOf(slot.instance) === undefined) return;
      generation.restart(slot);
    });
  }

  private budgetOf(instance: Supervised): RestartBudget {
    let budget = this.budgets.get(instance.name);
    if (budget === undefined) this.budgets.set(instance.name, (budget = new RestartBudget(this.config.globals.maxRestarts)));
    return budget;
  }

  private finishIfAllEnded(): void {
    if (this.stopping || !this.live?.finished) return;
    const code = this.firstFailureCode ?? 0;
    this.log.info({ exitCode: code }, `every instance has exited and none is to be restarted: exiting ${code}`);
    void this.stopAll().then(() => this.finish(code));
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    this.stopRequested();
    await Promise.all([...this.generations].map((generation) => generation.stop()));
  }
}

function failureFields(instance: Supervised, failure: StartFailure): Record<string, unknown> {
  return { service: instance.service.name, instance: instance.index, generation: instance.generation, reason: describeFailure(failure), lastStatus: instance.lastStatus };
}

function queuedStatus(slot: QueuedSlot, generation: number): InstanceStatus {
  return { service: slot.service.name, instance: slot.index, generation, pid: null, state: 'queued', since: null, readySince: null, restarts: 0, lastStatus: null };
}

function instanceStatus(slot: Slot): InstanceStatus {
  const instance = slot.instance;
  return {
    service: slot.service.name,
    instance: slot.index,
    generation: instance.generation,
    pid: instance.pid ?? null,
    state: instance.state.phase,
    since: instance.state.since,
    readySince: instance.state.phase === 'ready' ? (instance.readySince ?? null) : null,
    restarts: slot.restarts,
    lastStatus: instance.lastStatus ?? null,
  };
}
