// The controller: starts generation 1, restarts instances that exit by themselves,
// cuts a crash loop short, forwards signals, stops everything on request and
// decides the init's exit code.
import type { ServiceConfig, SupervisorConfig } from '../config/types.ts';
import type { Logger } from '../log/logger.ts';
import { exitCodeOf } from '../pid1/exit-status.ts';
import type { Clock } from './clock.ts';
import { Generation, type Slot } from './generation.ts';
import { describeEnd, describeFailure, Instance, type InstanceContext } from './instance.ts';
import type { InstanceState } from './instance-lifecycle.ts';
import { RestartBudget, shouldRestart, STABLE_AFTER_MS } from './restart-policy.ts';

export const EXIT_START_FAILED = 1;
export const EXIT_CRASH_LOOP = 1;

export interface InstanceStatus {
  service: string;
  instance: number;
  generation: number;
  pid: number | null;
  state: InstanceState['phase'];
  since: number;
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
  generations: GenerationStatus[];
}

export class Supervisor {
  private live: Generation | undefined;
  private readonly generations = new Set<Generation>();
  private readonly budgets = new Map<string, RestartBudget>();
  private stopping = false;
  private stopRequested!: () => void;
  private readonly stopRequest = new Promise<void>((resolve) => (this.stopRequested = resolve));
  private finish!: (code: number) => void;
  private readonly finished = new Promise<number>((resolve) => (this.finish = resolve));
  private firstFailureCode: number | undefined;

  constructor(
    private readonly config: SupervisorConfig,
    private readonly context: Omit<InstanceContext, 'log'> & { log: Logger },
    private readonly clock: Clock,
  ) {
    for (const service of config.services) this.budgets.set(service.name, new RestartBudget(config.globals.maxRestarts));
  }

  /** Runs until everything has stopped; resolves with the init's exit code. */
  async run(): Promise<number> {
    const generation = this.startGeneration(1);
    const outcome = await Promise.race([generation.started, this.stopRequest.then(() => ({ ok: false as const, cancelled: true as const }))]);
    if (outcome.ok) {
      this.live = generation;
      this.context.log.info({ generation: 1, ms: this.clock.now() - generation.startedAt }, 'generation 1 is running');
      this.finishIfAllEnded();
    } else if (!('cancelled' in outcome)) {
      const { instance, failure } = outcome;
      this.context.log.error(
        { service: instance.service.name, instance: instance.index, generation: 1, reason: describeFailure(failure), lastStatus: instance.lastStatus },
        `start failed: ${instance.name} ${describeFailure(failure)}; stopping everything`,
      );
      await this.stopAll();
      return EXIT_START_FAILED;
    }
    return this.finished;
  }

  /** SIGTERM/SIGINT: stop every instance gracefully; a second call kills them. */
  shutdown(signal: NodeJS.Signals): void {
    if (this.stopping) {
      this.context.log.warn({ signal }, `${signal} again: killing every instance now`);
      for (const generation of this.generations) generation.kill();
      return;
    }
    this.context.log.info({ signal }, `${signal}: stopping every instance`);
    this.stopRequested();
    void this.stopAll().then(() => this.finish(0));
  }

  /** Passes a signal on to every running instance. */
  forward(signal: NodeJS.Signals): void {
    for (const generation of this.generations) for (const instance of generation.instances) instance.forward(signal);
  }

  get healthy(): boolean {
    return this.live !== undefined && this.live.state === 'live' && this.live.healthy;
  }

  status(): StatusSnapshot {
    return {
      pid: process.pid,
      healthy: this.healthy,
      generations: [...this.generations].map((generation) => ({
        number: generation.number,
        state: generation === this.live ? 'live' : generation.state === 'starting' ? 'starting' : 'stopping',
        startedAt: generation.startedAt,
        instances: generation.slots.map((slot) => instanceStatus(slot, generation.number)),
      })),
    };
  }

  private startGeneration(number: number): Generation {
    this.context.log.info({ generation: number }, `generation ${number} starting`);
    const generation = new Generation(number, this.config.services, (gen, service, index, restarts) => this.createInstance(gen, service, index, restarts), this.clock.now());
    this.generations.add(generation);
    return generation;
  }

  private createInstance(generation: Generation, service: ServiceConfig, index: number, restarts: number): Instance {
    return new Instance(service, index, generation.number, restarts, this.context, {
      ready: (instance) => generation.instanceReady(instance),
      startFailed: (instance, failure) => generation.instanceFailedToStart(instance, failure),
      exited: (instance, state) => this.instanceExited(generation, instance, state),
    });
  }

  private instanceExited(generation: Generation, instance: Instance, state: Extract<InstanceState, { phase: 'exited' }>): void {
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
    const budget = this.budgets.get(instance.service.name);
    if (budget && !budget.spend(this.clock.now())) {
      this.context.log.fatal(
        { service: instance.service.name, restarts: budget.recent, maxRestarts: this.config.globals.maxRestarts },
        `${instance.service.name} restarted more than ${this.config.globals.maxRestarts} times within a minute: stopping everything so that the container's restart policy takes over`,
      );
      this.firstFailureCode = EXIT_CRASH_LOOP;
      this.stopRequested();
      this.stopping = true;
      void this.stopAll().then(() => this.finish(EXIT_CRASH_LOOP));
      return;
    }
    if (instance.readySince !== undefined && this.clock.now() - instance.readySince >= STABLE_AFTER_MS) slot.backoff.reset();
    const delay = slot.backoff.next();
    instance.log.warn({ pid: instance.pid, delayMs: delay, reason: state.failure ? describeFailure(state.failure) : describeEnd(state.end) }, `restarting in ${delay} ms`);
    slot.pendingRestart = this.clock.after(delay, () => {
      if (this.stopping) return;
      generation.restart(slot);
    });
  }

  private finishIfAllEnded(): void {
    if (this.stopping || !this.live?.finished) return;
    const code = this.firstFailureCode ?? 0;
    this.context.log.info({ exitCode: code }, `every instance has exited and none is to be restarted: exiting ${code}`);
    this.stopping = true;
    void this.stopAll().then(() => this.finish(code));
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.generations].map((generation) => generation.stop()));
  }
}

function instanceStatus(slot: Slot, generation: number): InstanceStatus {
  const instance = slot.instance;
  return {
    service: slot.service.name,
    instance: slot.index,
    generation,
    pid: instance.pid ?? null,
    state: instance.state.phase,
    since: instance.state.since,
    readySince: instance.state.phase === 'ready' ? (instance.readySince ?? null) : null,
    restarts: slot.restarts,
    lastStatus: instance.lastStatus ?? null,
  };
}
