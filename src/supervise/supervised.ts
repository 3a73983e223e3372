// What a slot needs of an instance. The real one (instance.ts) runs a process; unit
// tests give the supervisor fakes driven by a fake clock.
import type { ServiceConfig } from '../config/types.ts';
import type { Logger } from '../log/logger.ts';
import type { ExitedState, InstanceState, StartFailure } from './instance-lifecycle.ts';

export interface Supervised {
  readonly service: ServiceConfig;
  readonly index: number;
  readonly generation: number;
  readonly log: Logger;
  readonly pid: number | undefined;
  readonly state: InstanceState;
  readonly lastStatus: string | undefined;
  readonly name: string;
  /** Settles once the process is gone and its output written. */
  readonly done: Promise<void>;
  start(): void;
  stop(): void;
  kill(): void;
  forward(signal: NodeJS.Signals): void;
}

/** The lifecycle's events, in its order (instance-lifecycle.ts): `ready`, `completed` or `startFailed`, then `exited`. */
export interface SupervisedEvents {
  ready(): void;
  /** A oneshot exited 0. */
  completed(): void;
  startFailed(failure: StartFailure): void;
  exited(state: ExitedState): void;
}

export type SpawnInstance = (service: ServiceConfig, index: number, generation: number, events: SupervisedEvents) => Supervised;
