// One instance's life as an explicit state machine: starting -> ready -> stopping
// -> exited, with the timers that bound it (ready timeout, watchdog, stop timeout).
// A oneshot goes from starting to exited: exit 0 completes it, anything else, or its
// time limit (the ready timeout), fails its start.
// It knows nothing of processes: the Instance feeds it events and carries out
// the actions it asks for, which keeps it testable with a fake clock.
//
// The order of its events is part of its contract: `ready`, `completed` or `startFailed`
// (at most one of the three, once), then `exited`, last and once. When a start fails or
// a oneshot completes because the process exited, the state is already `exited` when
// that event fires, so that a listener that stops the instance in answer does not
// signal a process that is gone.
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

/** A ready instance that went silent past its watchdog, or asked to be failed (WATCHDOG=trigger). */
export type WatchdogFailure = { kind: 'watchdog'; silentMs: number } | { kind: 'watchdog-trigger' };

export type InstanceFailure = StartFailure | WatchdogFailure;

/**
 * `readySince`: when it became ready, if it ever did (kept once it stops, for the restart
 * backoff). `keptAliveAt`: its last watchdog keep-alive (with a watchdog only).
 */
export type InstanceState =
  | { phase: 'starting'; since: number }
  | { phase: 'ready'; since: number; keptAliveAt?: number }
  | { phase: 'stopping'; since: number; readySince?: number; killed: boolean; failure?: InstanceFailure }
  | { phase: 'exited'; since: number; readySince?: number; stopRequested: boolean; end: ProcessEnd; failure?: InstanceFailure; completed?: true };

export type ExitedState = Extract<InstanceState, { phase: 'exited' }>;

/** When the instance became ready; undefined if it never was. */
export function readySinceOf(state: InstanceState): number | undefined {
  if (state.phase === 'ready') return state.since;
  return state.phase === 'starting' ? undefined : state.readySince;
}

export interface LifecycleActions {
  /** Ask the instance to stop (its STOP_SIGNAL). */
  sendStopSignal(): void;
  /** SIGKILL to the instance's whole process group. */
  killGroup(): void;
  /** SIGABRT to the instance, as systemd sends on a watchdog failure (a core dump shows where it hung). */
  abort(): void;
}

export interface LifecycleListener {
  ready?(): void;
  /** A oneshot exited 0: it has done its work. */
  completed?(): void;
  /** The instance will not become ready: it exited, timed out or could not be spawned. Once at most. */
  startFailed?(failure: StartFailure): void;
  /** The process is gone; `state` is the final one. Always the last event. */
  exited?(state: ExitedState): void;
  /** SIGKILL had to be sent after the stop timeout. */
  killedAfterTimeout?(): void;
  /** The ready instance failed its watchdog: it is being aborted. Comes before `exited`. */
  watchdogFailed?(failure: WatchdogFailure): void;
}

export interface LifecycleOptions {
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  /** Once ready, a keep-alive is due within each of these; unset: no watchdog. */
  watchdogMs?: number;
  /** A task that runs to completion: it is never ready, exit 0 completes it. */
  oneshot?: boolean;
  clock: Clock;
  actions: LifecycleActions;
  listener: LifecycleListener;
}

export class InstanceLifecycle {
  private current: InstanceState;
  private readyTimer?: Timer;
  private watchdogTimer?: Timer;
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
    if (this.current.phase !== 'starting' || this.options.oneshot) return;
    this.readyTimer?.cancel();
    const now = this.options.clock.now();
    // Armed only now: READY_TIMEOUT covers the start. Becoming ready is the first sign of life.
    this.current = this.options.watchdogMs === undefined ? { phase: 'ready', since: now } : { phase: 'ready', since: now, keptAliveAt: now };
    this.armWatchdog();
    this.options.listener.ready?.();
  }

  /** A watchdog keep-alive: the ready instance is alive. Ignored without a watchdog, and before ready. */
  keepAlive(): void {
    if (this.current.phase !== 'ready' || this.options.watchdogMs === undefined) return;
    this.current = { ...this.current, keptAliveAt: this.options.clock.now() };
    this.armWatchdog();
  }

  /** WATCHDOG=trigger: the ready instance asks to be failed at once, as if it had missed its watchdog. */
  watchdogTriggered(): void {
    if (this.current.phase !== 'ready' || this.options.watchdogMs === undefined) return;
    this.failWatchdog({ kind: 'watchdog-trigger' });
  }

  /** Ask the instance to stop: STOP_SIGNAL now, SIGKILL to its group after the stop timeout. */
  stop(): void {
    if (this.current.phase !== 'starting' && this.current.phase !== 'ready') return;
    this.beginStopping(readySinceOf(this.current));
  }

  /** Skip the grace period (a second SIGTERM to the init). */
  kill(): void {
    if (this.current.phase === 'exited') return;
    if (this.current.phase !== 'stopping') this.beginStopping(readySinceOf(this.current), undefined, 'none');
    if (this.current.phase === 'stopping' && !this.current.killed) {
      this.killTimer?.cancel();
      this.current = { ...this.current, killed: true };
      this.options.actions.killGroup();
    }
  }

  /** The spawn itself failed: there is no process to wait for. */
  spawnFailed(message: string): void {
    if (this.current.phase === 'exited') return;
    this.finish({ exitCode: null, signal: null }, undefined, { kind: 'spawn-error', message });
  }

  /** The process exited (reported by Node once it reaped it). */
  exited(end: ProcessEnd): void {
    if (this.current.phase === 'exited') return;
    const before = this.current;
    if (before.phase === 'starting' && this.options.oneshot && end.exitCode === 0) this.complete(end);
    else if (before.phase === 'starting') this.finish(end, undefined, { kind: 'exited', end });
    else this.finish(end, before.phase === 'stopping' ? before.failure : undefined);
  }

  /** `earlier`: a failure already reported; `startFailure`: one that is news, reported ahead of the exit. */
  private finish(end: ProcessEnd, earlier: InstanceFailure | undefined, startFailure?: StartFailure): void {
    const failure = startFailure ?? earlier;
    this.readyTimer?.cancel();
    this.watchdogTimer?.cancel();
    this.killTimer?.cancel();
    const before = this.current;
    const readySince = readySinceOf(before);
    const final: ExitedState = {
      phase: 'exited',
      since: this.options.clock.now(),
      ...(readySince === undefined ? {} : { readySince }),
      stopRequested: before.phase === 'stopping',
      end,
      ...(failure ? { failure } : {}),
    };
    this.current = final;
    if (startFailure) this.options.listener.startFailed?.(startFailure);
    this.options.listener.exited?.(final);
  }

  private complete(end: ProcessEnd): void {
    this.readyTimer?.cancel();
    const final: ExitedState = { phase: 'exited', since: this.options.clock.now(), stopRequested: false, end, completed: true };
    this.current = final;
    this.options.listener.completed?.();
    this.options.listener.exited?.(final);
  }

  private readyTimedOut(): void {
    if (this.current.phase !== 'starting') return;
    const failure: StartFailure = { kind: 'timeout', afterMs: this.options.readyTimeoutMs };
    this.beginStopping(undefined, failure);
    this.options.listener.startFailed?.(failure);
  }

  private armWatchdog(): void {
    const { watchdogMs } = this.options;
    if (watchdogMs === undefined) return;
    this.watchdogTimer?.cancel();
    this.watchdogTimer = this.options.clock.after(watchdogMs, () => {
      if (this.current.phase !== 'ready') return;
      this.failWatchdog({ kind: 'watchdog', silentMs: this.options.clock.now() - (this.current.keptAliveAt ?? this.current.since) });
    });
  }

  private failWatchdog(failure: WatchdogFailure): void {
    if (this.current.phase !== 'ready') return;
    this.beginStopping(this.current.since, failure, 'abort');
    this.options.listener.watchdogFailed?.(failure);
  }

  /** `how`: the instance's STOP_SIGNAL, SIGABRT (a watchdog failure), or nothing yet (kill() follows at once). */
  private beginStopping(readySince: number | undefined, failure?: InstanceFailure, how: 'stop-signal' | 'abort' | 'none' = 'stop-signal'): void {
    this.readyTimer?.cancel();
    this.watchdogTimer?.cancel();
    this.current = { phase: 'stopping', since: this.options.clock.now(), ...(readySince === undefined ? {} : { readySince }), killed: false, ...(failure ? { failure } : {}) };
    if (how === 'none') return;
    if (how === 'abort') this.options.actions.abort();
    else this.options.actions.sendStopSignal();
    this.killTimer = this.options.clock.after(this.options.stopTimeoutMs, () => {
      if (this.current.phase !== 'stopping' || this.current.killed) return;
      this.current = { ...this.current, killed: true };
      this.options.actions.killGroup();
      this.options.listener.killedAfterTimeout?.();
    });
  }
}
