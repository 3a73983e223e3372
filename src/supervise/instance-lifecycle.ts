// One instance's life as an explicit state machine: starting -> ready -> stopping
// -> exited, with the two timers that bound it (ready timeout, stop timeout).
// It knows nothing of processes: the Instance feeds it events and carries out
// the actions it asks for, which keeps it testable with a fake clock.
import type { Clock, Timer } from './clock.ts';

export interface ProcessEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export type StartFailure =
  | { kind: 'exited'; end: ProcessEnd }
  /** It was ready, then exited while the rest of its generation was still starting. */
  | { kind: 'crashed'; end: ProcessEnd }
  | { kind: 'timeout'; afterMs: number }
  | { kind: 'spawn-error'; message: string };

export type InstanceState =
  | { phase: 'starting'; since: number }
  | { phase: 'ready'; since: number; startedAt: number }
  | { phase: 'stopping'; since: number; wasReady: boolean; killed: boolean; failure?: StartFailure }
  | { phase: 'exited'; since: number; wasReady: boolean; stopRequested: boolean; end: ProcessEnd; failure?: StartFailure };

export type InstancePhase = InstanceState['phase'];

export interface LifecycleActions {
  /** Ask the instance to stop (its STOP_SIGNAL). */
  sendStopSignal(): void;
  /** SIGKILL to the instance's whole process group. */
  killGroup(): void;
}

export interface LifecycleListener {
  ready?(): void;
  /** The instance will not become ready: it exited, timed out or could not be spawned. Once at most. */
  startFailed?(failure: StartFailure): void;
  /** The process is gone; `state` is the final one. */
  exited?(state: Extract<InstanceState, { phase: 'exited' }>): void;
  /** SIGKILL had to be sent after the stop timeout. */
  killedAfterTimeout?(): void;
}

export interface LifecycleOptions {
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  clock: Clock;
  actions: LifecycleActions;
  listener: LifecycleListener;
}

export class InstanceLifecycle {
  private current: InstanceState;
  private readyTimer?: Timer;
  private killTimer?: Timer;

  constructor(private readonly options: LifecycleOptions) {
    this.current = { phase: 'starting', since: options.clock.now() };
    this.readyTimer = options.clock.after(options.readyTimeoutMs, () => this.readyTimedOut());
  }

  get state(): InstanceState {
    return this.current;
  }

  /** The instance reported ready (notify message, probe, or at once for `none`). */
  ready(): void {
    if (this.current.phase !== 'starting') return;
    this.readyTimer?.cancel();
    const now = this.options.clock.now();
    this.current = { phase: 'ready', since: now, startedAt: this.current.since };
    this.options.listener.ready?.();
  }

  /** Ask the instance to stop: STOP_SIGNAL now, SIGKILL to its group after the stop timeout. */
  stop(): void {
    if (this.current.phase !== 'starting' && this.current.phase !== 'ready') return;
    this.beginStopping(this.current.phase === 'ready');
  }

  /** Skip the grace period (a second SIGTERM to the init). */
  kill(): void {
    if (this.current.phase === 'exited') return;
    if (this.current.phase !== 'stopping') this.beginStopping(this.current.phase === 'ready', undefined, false);
    if (this.current.phase === 'stopping' && !this.current.killed) {
      this.killTimer?.cancel();
      this.current = { ...this.current, killed: true };
      this.options.actions.killGroup();
    }
  }

  /** The spawn itself failed: there is no process to wait for. */
  spawnFailed(message: string): void {
    if (this.current.phase === 'exited') return;
    const failure: StartFailure = { kind: 'spawn-error', message };
    this.finish({ exitCode: null, signal: null }, failure);
    this.options.listener.startFailed?.(failure);
  }

  /** The process exited (reported by Node once it reaped it). */
  exited(end: ProcessEnd): void {
    if (this.current.phase === 'exited') return;
    const before = this.current;
    let failure: StartFailure | undefined;
    if (before.phase === 'starting') failure = { kind: 'exited', end };
    if (before.phase === 'stopping') failure = before.failure;
    this.finish(end, failure);
    if (before.phase === 'starting' && failure) this.options.listener.startFailed?.(failure);
  }

  private finish(end: ProcessEnd, failure: StartFailure | undefined): void {
    this.readyTimer?.cancel();
    this.killTimer?.cancel();
    const before = this.current;
    const wasReady = before.phase === 'ready' || (before.phase === 'stopping' && before.wasReady);
    const final = {
      phase: 'exited' as const,
      since: this.options.clock.now(),
      wasReady,
      stopRequested: before.phase === 'stopping',
      end,
      ...(failure ? { failure } : {}),
    };
    this.current = final;
    this.options.listener.exited?.(final);
  }

  private readyTimedOut(): void {
    if (this.current.phase !== 'starting') return;
    const failure: StartFailure = { kind: 'timeout', afterMs: this.options.readyTimeoutMs };
    this.beginStopping(false, failure);
    this.options.listener.startFailed?.(failure);
  }

  private beginStopping(wasReady: boolean, failure?: StartFailure, signal = true): void {
    this.readyTimer?.cancel();
    this.current = { phase: 'stopping', since: this.options.clock.now(), wasReady, killed: false, ...(failure ? { failure } : {}) };
    if (!signal) return;
    this.options.actions.sendStopSignal();
    this.killTimer = this.options.clock.after(this.options.stopTimeoutMs, () => {
      if (this.current.phase !== 'stopping' || this.current.killed) return;
      this.current = { ...this.current, killed: true };
      this.options.actions.killGroup();
      this.options.listener.killedAfterTimeout?.();
    });
  }
}
