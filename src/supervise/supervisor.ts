// The controller: starts generation 1, decides what happens when an instance exits by
// itself (a restart, the end of its slot, or a crash loop that stops everything),
// forwards signals, replaces every process blue-green on a reload, stops everything on
// request and decides the init's exit code. Generations hold the slots and carry out
// its decisions.
import type { ReloadOutcome, SignalOutcome, StatusSnapshot } from '../control/protocol.ts';
import type { ServiceConfig, SupervisorConfig } from '../config/types.ts';
import type { Logger } from '../log/logger.ts';
import { EXIT_CRASH_LOOP, EXIT_START_FAILED } from '../pid1/exit-codes.ts';
import { exitCodeOf } from '../pid1/exit-status.ts';
import { deferred, type Deferred } from '../util/deferred.ts';
import type { Clock, Timer } from './clock.ts';
import { describeEnd, describeFailure } from './describe.ts';
import { Generation, type StartOutcome } from './generation.ts';
import type { ExitedState, InstanceFailure, ProcessEnd } from './instance-lifecycle.ts';
import { RestartBudget, shouldRestart } from './restart-policy.ts';
import { MemoryWatch, type ReadResident } from './memory-watch.ts';
import type { Slot, SlotContext } from './slot.ts';
import { ServiceStatistics } from './statistics.ts';
import { generationStatus } from './status.ts';
import type { SpawnInstance, Supervised } from './supervised.ts';

/** The reload as an explicit state machine: idle -> starting -> committing -> idle, or starting -> rolling-back -> idle. */
export type ReloadState = { phase: 'idle' } | { phase: 'starting' | 'committing' | 'rolling-back'; generation: number };

/** The moments an observer above the supervisor hears of (the readiness the init reports upward). */
export interface SupervisorEvents {
  /** Generation 1 is running: every instance of it started and ready. */
  running(generation: number): void;
  /** A reload began: `generation` is starting beside the live one. */
  reloading(generation: number): void;
  /** A reload ended, committed or rolled back; `live` is the generation live now. */
  reloaded(outcome: ReloadOutcome, live: number): void;
  /** Stopping everything, whatever the reason; said once. */
  stopping(): void;
}

/** What the init wires in beyond the configuration: who hears its moments, and how resident memory is read (MAX_MEMORY). */
export interface SupervisorOptions {
  events?: SupervisorEvents;
  readResident?: ReadResident;
}

/** The services a reload replaces: every one, or those named. */
type ReloadTargets = 'all' | Set<string>;

/** What the supervisor decides when an instance exited by itself. */
export type ExitDecision = 'restart' | 'end' | 'crash-loop';

export class Supervisor {
  private live: Generation | undefined;
  private readonly generations = new Set<Generation>();
  /**
   * One crash-loop budget per instance slot (`web.3`), kept across generations: one event
   * that kills six instances of a COUNT=8 service at once is six restarts, one per
   * instance, not a crash loop; one instance that keeps crashing still is.
   */
  private readonly budgets = new Map<string, RestartBudget>();
  /** Each service's figures, kept across generations like the budgets. */
  private readonly statistics = new Map<string, ServiceStatistics>();
  private readonly slotContext: SlotContext;
  private lastGeneration = 0;
  private stopRequested = false;
  /** BATON_SHUTDOWN_DELAY running out after the first SIGTERM: --health is 1, the services still run. */
  private drain: Timer | undefined;
  /**
   * How each launch under way is cut short by a stop: one entry per launch, removed when
   * it settles. Not a race against one promise settled at the stop: every race would leave
   * a reaction on that promise for the init's lifetime, and with it the launch's outcome
   * (the failed instance of a rolled-back reload), one more at every reload.
   */
  private readonly launchesUnderWay = new Set<() => void>();
  private readonly finished = deferred<number>();
  private firstFailureCode: number | undefined;
  private reloadState: ReloadState = { phase: 'idle' };
  /** At most one more reload waits behind the running one, however many were asked for. */
  private queuedReload: { outcome: Deferred<ReloadOutcome>; services: ReloadTargets } | undefined;
  /** Only when some service has MAX_MEMORY. */
  private readonly memory: MemoryWatch | undefined;
  private readonly events: SupervisorEvents | undefined;

  constructor(
    private readonly config: SupervisorConfig,
    private readonly spawn: SpawnInstance,
    private readonly log: Logger,
    private readonly clock: Clock,
    optional: SupervisorOptions = {},
  ) {
    this.events = optional.events;
    const { readResident } = optional;
    for (const service of config.services) this.statistics.set(service.name, new ServiceStatistics());
    this.slotContext = { spawn, clock, statisticsOf: (service) => this.statistics.get(service.name) as ServiceStatistics };
    if (readResident !== undefined && config.services.some((service) => service.maxMemoryBytes !== undefined)) {
      this.memory = new MemoryWatch(clock, readResident, () => [...this.generations].flatMap((generation) => generation.slots), (slot, rss, limit) => this.overMemory(slot, rss, limit));
    }
  }

  /** Runs until everything has stopped; resolves with the init's exit code. */
  async run(): Promise<number> {
    if (this.stopRequested) return this.finished.promise; // asked to stop before anything started
    const generation = this.startGeneration();
    this.memory?.start();
    const outcome = await this.unlessStopped(generation.launch(this.config.services));
    if (outcome.ok) {
      this.live = generation;
      this.log.info({ generation: generation.number, ms: this.clock.now() - generation.startedAt }, `generation ${generation.number} is running`);
      this.events?.running(generation.number);
      this.finishIfAllEnded();
    } else if (!('cancelled' in outcome)) {
      const { instance, failure } = outcome;
      // A oneshot's own code (a migration's) says more than any code of baton's.
      const code = instance.service.type === 'oneshot' && failure.kind === 'exited' ? exitCodeOf(endOf(failure.end)) : EXIT_START_FAILED;
      this.log.error({ ...failureFields(instance, failure), exitCode: code }, `start failed: ${instance.name} ${describeFailure(failure)}; stopping everything, exiting ${code}`);
      await this.stopAll();
      return code;
    }
    return this.finished.promise;
  }

  /**
   * SIGTERM/SIGINT: stop every instance gracefully, after BATON_SHUTDOWN_DELAY (during which
   * --health is 1 and everything keeps serving); the next call skips what is left of the
   * delay, and one more kills every instance. Returns which of the three this call did.
   */
  shutdown(signal: NodeJS.Signals): 'draining' | 'stopping' | 'killing' {
    if (this.stopRequested) {
      this.log.warn({ signal }, `${signal} again: killing every instance now`);
      for (const generation of this.generations) generation.kill();
      return 'killing';
    }
    if (this.drain !== undefined) {
      this.log.info({ signal }, `${signal} again: the rest of the shutdown delay is skipped; stopping every instance`);
      this.stopAllAndExit(0);
      return 'stopping';
    }
    const delayMs = this.config.globals.shutdownDelayMs;
    if (delayMs > 0 && this.live !== undefined) {
      this.log.info({ signal, delayMs }, `${signal}: --health is 1 from now on; every instance keeps running ${delayMs} ms (BATON_SHUTDOWN_DELAY), then stops`);
      this.events?.stopping();
      this.drain = this.clock.after(delayMs, () => {
        this.log.info({ delayMs }, 'shutdown delay over: stopping every instance');
        this.stopAllAndExit(0);
      });
      return 'draining';
    }
    this.log.info({ signal }, `${signal}: stopping every instance`);
    this.stopAllAndExit(0);
    return 'stopping';
  }

  /** Passes a signal on to every running instance. */
  forward(signal: NodeJS.Signals): void {
    for (const generation of this.generations) generation.forward(signal);
  }

  /** SIGHUP or `--reload`: a new generation beside the live one, committed once all of it is ready. */
  /**
   * SIGHUP or `--reload [SERVICE...]`: a new generation beside the live one, committed once all
   * of it is ready. Named services only, when given: the others move to the new generation as
   * they are, with their pids. Requests during a reload become one more, for every service
   * any of them named.
   */
  reload(services?: readonly string[]): Promise<ReloadOutcome> {
    const unknown = (services ?? []).filter((name) => !this.config.services.some((service) => service.name === name));
    if (unknown.length > 0) {
      const declared = this.config.services.map((service) => service.name).join(', ');
      return Promise.resolve({ committed: false, cancelled: true, reason: `no service ${unknown.join(', ')} is declared (services: ${declared})` });
    }
    const targets: ReloadTargets = services === undefined || services.length === 0 ? 'all' : new Set(services);
    if (this.stopping) return Promise.resolve({ committed: false, cancelled: true, reason: 'the init is stopping' });
    if (this.live === undefined) {
      this.log.warn('reload requested before generation 1 was running: ignored');
      return Promise.resolve({ committed: false, cancelled: true, reason: 'generation 1 is not running yet' });
    }
    if (this.reloadState.phase === 'idle') return this.runReload(targets);
    if (this.queuedReload === undefined) {
      this.queuedReload = { outcome: deferred<ReloadOutcome>(), services: targets };
      this.log.info({ during: this.reloadState.generation }, `reload requested during the reload to generation ${this.reloadState.generation}: it will run next`);
    } else {
      const queued = this.queuedReload.services;
      this.queuedReload.services = queued === 'all' || targets === 'all' ? 'all' : new Set([...queued, ...targets]);
      this.log.info('reload requested while one is running and another is queued: coalesced');
    }
    return this.queuedReload.outcome.promise;
  }

  /** `--signal SIGNAL web` or `web.2`: to every running instance of a service, or to one, in every generation. */
  signal(signal: NodeJS.Signals, targets: readonly string[]): SignalOutcome {
    const outcome: SignalOutcome = { delivered: [], unknown: [] };
    for (const target of targets) {
      const [name = '', index] = target.split('.');
      const service = this.config.services.find((candidate) => candidate.name === name);
      if (service === undefined) {
        outcome.unknown.push({ target, reason: `no service ${name} is declared (services: ${this.config.services.map((s) => s.name).join(', ')})` });
        continue;
      }
      const reached = [...this.generations].flatMap((generation) => generation.signal(signal, name, index === undefined ? undefined : Number(index)));
      if (reached.length === 0) outcome.unknown.push({ target, reason: index === undefined ? `no instance of ${name} is running` : `no instance ${target} is running (${name} has COUNT=${service.count})` });
      outcome.delivered.push(...reached);
    }
    if (outcome.delivered.length > 0) this.log.info({ signal, instances: outcome.delivered.map((d) => d.instance) }, `${signal} sent to ${outcome.delivered.map((d) => d.instance).join(', ')} on request`);
    return outcome;
  }

  /** Asked to stop (SIGTERM, a crash loop, nothing left to run): what `--live` reports. */
  get stopping(): boolean {
    return this.stopRequested || this.drain !== undefined;
  }

  get healthy(): boolean {
    return !this.stopping && this.live !== undefined && this.live.healthy;
  }

  status(): StatusSnapshot {
    return {
      pid: process.pid,
      healthy: this.healthy,
      reload: this.reloadState.phase,
      services: Object.fromEntries([...this.statistics].map(([name, statistics]) => [name, statistics.snapshot])),
      generations: [...this.generations].map((generation) => generationStatus(generation, generation === this.live ? 'live' : generation.stopping ? 'stopping' : 'starting', (instance) => this.memory?.rssOf(instance) ?? null)),
    };
  }

  private async runReload(targets: ReloadTargets): Promise<ReloadOutcome> {
    let outcome: ReloadOutcome;
    try {
      outcome = await this.performReload(targets);
    } finally {
      this.reloadState = { phase: 'idle' };
    }
    if (!('cancelled' in outcome) && this.live !== undefined) this.events?.reloaded(outcome, this.live.number);
    const queued = this.queuedReload;
    this.queuedReload = undefined;
    if (queued) void this.reload(queued.services === 'all' ? undefined : [...queued.services]).then(queued.outcome.resolve);
    return outcome;
  }

  private async performReload(targets: ReloadTargets): Promise<ReloadOutcome> {
    const old = this.live as Generation;
    const named = (service: ServiceConfig): boolean => targets === 'all' || targets.has(service.name);
    const only = targets === 'all' ? '' : ` (${[...targets].join(', ')} only)`;
    const began = this.clock.now();
    const generation = this.startGeneration();
    const number = generation.number;
    this.reloadState = { phase: 'starting', generation: number };
    this.events?.reloading(number);
    // The live generation keeps serving meanwhile: starting every new process at once would take its CPU.
    const parallel = this.config.globals.reloadParallel;
    const pace = Number.isFinite(parallel) ? `, ${parallel} instance${parallel === 1 ? '' : 's'} at a time` : '';
    this.log.info({ generation: number, live: old.number, parallel: Number.isFinite(parallel) ? parallel : 'all' }, `reload requested: generation ${number} starting beside generation ${old.number}${pace}${only}`);

    const replaced = await this.unlessStopped(generation.launch(this.servicesWith('replace').filter(named), parallel));
    if (!replaced.ok) return this.rollBack(generation, old, replaced, began, []);

    // Singletons must never run twice: the old one goes first, then the new one starts.
    const restartServices = this.servicesWith('restart').filter(named);
    const oldSingletons = old.slots.filter((slot) => slot.service.reload === 'restart' && named(slot.service));
    if (restartServices.length > 0) {
      this.log.info({ generation: number, services: restartServices.map((s) => s.name) }, `stopping ${restartServices.map((s) => s.name).join(', ')} of generation ${old.number} before starting them in generation ${number} (RELOAD=restart)`);
      await old.stopSlots(oldSingletons);
      const restarted = await this.unlessStopped(generation.launch(restartServices, parallel));
      if (!restarted.ok) return this.rollBack(generation, old, restarted, began, oldSingletons);
    }

    this.reloadState = { phase: 'committing', generation: number };
    // A RELOAD=signal service keeps its instances, told by SIGHUP; one not named keeps them as they are.
    const signalled = old.slots.filter((slot) => slot.service.reload === 'signal' && named(slot.service));
    const kept = old.slots.filter((slot) => !named(slot.service));
    old.handOver([...signalled, ...kept], generation);
    for (const slot of signalled) slot.instance.forward('SIGHUP');
    this.live = generation;
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
    this.reloadState = { phase: 'rolling-back', generation: generation.number };
    this.log.error({ ...failureFields(instance, failure), live: old.number }, `reload to generation ${generation.number} failed: ${reason}; rolling back`);
    await generation.stop();
    this.generations.delete(generation);
    // A stopped singleton cannot be un-stopped: it starts again, in the generation that stays live.
    old.reopen(stoppedSingletons);
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
    const generation = new Generation(number, this.clock.now(), this.slotContext, {
      exited: (owner, slot, state) => this.slotExited(owner, slot, state),
    });
    this.generations.add(generation);
    return generation;
  }

  private unlessStopped(launch: Promise<StartOutcome>): Promise<StartOutcome> {
    if (this.stopRequested) return Promise.resolve({ ok: false, cancelled: true });
    return new Promise((resolve, reject) => {
      const cancel = (): void => resolve({ ok: false, cancelled: true });
      this.launchesUnderWay.add(cancel);
      launch.then(
        (outcome) => {
          this.launchesUnderWay.delete(cancel);
          resolve(outcome);
        },
        (error: unknown) => {
          this.launchesUnderWay.delete(cancel);
          reject(error as Error);
        },
      );
    });
  }

  /** Only exits in the live generation are the supervisor's to decide on: the others are stopping, or their launch has already heard of it. */
  private slotExited(generation: Generation, slot: Slot, state: ExitedState): void {
    if (this.stopRequested || generation !== this.live) return;
    // An instance asked to stop because it was not ready in time failed as surely as one that crashed.
    const byItself = !state.stopRequested || state.failure !== undefined;
    if (!byItself) return;
    const failed = state.failure !== undefined && state.failure.kind !== 'exited';
    const code = failed ? 1 : exitCodeOf(endOf(state.end));
    if (code !== 0) this.firstFailureCode ??= code;

    const { instance } = slot;
    const decision = this.decide(slot, state, failed);
    if (decision !== 'restart' && slot.service.essential) {
      const essentialCode = failed ? 1 : exitCodeOf(endOf(state.end));
      const why = decision === 'crash-loop' ? `restarted more than ${this.config.globals.maxRestarts} times within a minute` : `not restarted (RESTART=${slot.service.restart})`;
      this.log.warn({ service: slot.service.name, instance: slot.index, exitCode: essentialCode }, `${slot.name} is essential and has ended (${state.failure ? describeFailure(state.failure) : describeEnd(state.end)}; ${why}): stopping everything, exiting ${essentialCode}`);
      this.firstFailureCode = essentialCode;
      this.stopAllAndExit(essentialCode);
    } else if (decision === 'end') {
      generation.end(slot);
      instance.log.info({ pid: instance.pid }, `not restarted (RESTART=${slot.service.restart})`);
      this.finishIfAllEnded();
    } else if (decision === 'crash-loop') {
      this.log.fatal(
        { service: slot.service.name, instance: slot.index, restarts: this.budgetOf(slot).recent, maxRestarts: this.config.globals.maxRestarts },
        `${slot.name} restarted more than ${this.config.globals.maxRestarts} times within a minute: stopping everything so that the container's restart policy takes over`,
      );
      this.firstFailureCode = EXIT_CRASH_LOOP;
      this.stopAllAndExit(EXIT_CRASH_LOOP);
    } else {
      const delay = generation.restartLater(slot);
      instance.log.warn({ pid: instance.pid, delayMs: delay, reason: state.failure ? describeFailure(state.failure) : describeEnd(state.end) }, `restarting in ${delay} ms`);
    }
  }

  /** MAX_MEMORY: only the live generation's slots are replaced, and none while a reload or a stop is under way (they are being replaced anyway). */
  private overMemory(slot: Slot, rss: number, limit: number): void {
    if (this.stopping || this.reloadState.phase !== 'idle' || this.live === undefined || this.live.replaceForMemory(slot) !== 'replacing') return;
    const how = slot.service.reload === 'restart' ? `stopping it, then starting another (RELOAD=restart)` : 'starting a replacement; it stops once that one is ready';
    slot.instance.log.warn({ pid: slot.instance.pid, rss, maxMemory: limit }, `resident memory ${rss} bytes is above MAX_MEMORY (${limit} bytes): ${how}`);
  }

  /** RESTART= says whether the slot comes back; its crash-loop budget says whether that is one time too many. */
  private decide(slot: Slot, state: ExitedState, failed: boolean): ExitDecision {
    if (!shouldRestart(slot.service.restart, state.end, failed)) return 'end';
    return this.budgetOf(slot).spend(this.clock.now()) ? 'restart' : 'crash-loop';
  }

  private budgetOf(slot: Slot): RestartBudget {
    let budget = this.budgets.get(slot.name);
    if (budget === undefined) this.budgets.set(slot.name, (budget = new RestartBudget(this.config.globals.maxRestarts)));
    return budget;
  }

  private finishIfAllEnded(): void {
    if (this.stopRequested || !this.live?.finished) return;
    const code = this.firstFailureCode ?? 0;
    this.log.info({ exitCode: code }, `every instance has exited and none is to be restarted: exiting ${code}`);
    this.stopAllAndExit(code);
  }

  private stopAllAndExit(code: number): void {
    void this.stopAll().then(() => this.finished.resolve(code));
  }

  private async stopAll(): Promise<void> {
    // Once: at the start of a shutdown delay when there is one, so that STOPPING=1 opens the drain.
    if (!this.stopRequested && this.drain === undefined) this.events?.stopping();
    this.stopRequested = true;
    this.drain?.cancel();
    this.drain = undefined;
    this.memory?.stop();
    for (const cancel of this.launchesUnderWay) cancel();
    this.launchesUnderWay.clear();
    await Promise.all([...this.generations].map((generation) => generation.stop()));
  }
}

function failureFields(instance: Supervised, failure: InstanceFailure): Record<string, unknown> {
  return { service: instance.service.name, instance: instance.index, generation: instance.generation, reason: describeFailure(failure), lastStatus: instance.lastStatus };
}

function endOf(end: ProcessEnd): { exitCode?: number; signal?: NodeJS.Signals } {
  return { ...(end.exitCode === null ? {} : { exitCode: end.exitCode }), ...(end.signal === null ? {} : { signal: end.signal }) };
}
