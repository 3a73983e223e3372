// What happened to a service's instances since the init started, across generations:
// how many were spawned, became ready, ended and why, and were restarted. The figures
// async-container's Statistics keeps, so that an operator sees a service that keeps
// being replaced. Slots record into it; --status --json shows it.
import type { ExitCause, ServiceCounters } from '../control/protocol.ts';
import type { ExitedState } from './instance-lifecycle.ts';

export function exitCause(state: ExitedState): ExitCause {
  const failure = state.failure;
  if (failure?.kind === 'watchdog' || failure?.kind === 'watchdog-trigger') return 'watchdog';
  if (failure !== undefined) return 'start-failed';
  if (state.stopRequested) return 'stopped';
  return state.end.exitCode === 0 ? 'exited' : 'crashed';
}

export class ServiceStatistics {
  private readonly counters: ServiceCounters = { spawned: 0, ready: 0, restarts: 0, exits: { crashed: 0, exited: 0, 'start-failed': 0, watchdog: 0, stopped: 0, memory: 0 } };

  spawned(): void {
    this.counters.spawned += 1;
  }

  ready(): void {
    this.counters.ready += 1;
  }

  exited(cause: ExitCause): void {
    this.counters.exits[cause] += 1;
  }

  restarted(): void {
    this.counters.restarts += 1;
  }

  get snapshot(): ServiceCounters {
    return { ...this.counters, exits: { ...this.counters.exits } };
  }
}
