// An instance without a process, for unit tests of the supervisor: the real
// lifecycle state machine on a fake clock, with ready/crash/exit driven by the test.
import pino from 'pino';
import type { ServiceConfig } from '../../src/config/types.ts';
import { InstanceLifecycle, type InstanceState } from '../../src/supervise/instance-lifecycle.ts';
import type { Supervised, SupervisedEvents } from '../../src/supervise/supervised.ts';
import type { FakeClock } from './fake-clock.ts';

export const silentLog = pino({ level: 'silent' });

export class FakeInstance implements Supervised {
  readonly log = silentLog;
  pid: number | undefined;
  lastStatus: string | undefined;
  readonly lifecycle: InstanceLifecycle;
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  /** When false, a stop signal is noted but the instance keeps running until exit() is called. */
  exitOnStop = true;

  constructor(
    readonly service: ServiceConfig,
    readonly index: number,
    readonly generation: number,
    private readonly events: SupervisedEvents,
    private readonly clock: FakeClock,
    private readonly journal: string[],
    pid: number,
  ) {
    this.pid = pid;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.lifecycle = new InstanceLifecycle({
      readyTimeoutMs: service.readyTimeoutMs,
      stopTimeoutMs: service.stopTimeoutMs,
      ...(service.watchdogMs === undefined ? {} : { watchdogMs: service.watchdogMs }),
      oneshot: service.type === 'oneshot',
      clock,
      actions: {
        sendStopSignal: () => {
          this.journal.push(`stop ${this.name}@${this.generation}`);
          if (this.exitOnStop) queueMicrotask(() => this.exit(0));
        },
        abort: () => {
          this.journal.push(`abort ${this.name}@${this.generation}`);
          if (this.exitOnStop) queueMicrotask(() => this.exit(null, 'SIGABRT'));
        },
        killGroup: () => {
          this.journal.push(`kill ${this.name}@${this.generation}`);
          queueMicrotask(() => this.exit(null, 'SIGKILL'));
        },
      },
      listener: {
        ready: () => {
          this.journal.push(`ready ${this.name}@${this.generation}`);
          this.events.ready();
        },
        completed: () => {
          this.journal.push(`completed ${this.name}@${this.generation}`);
          this.events.completed();
        },
        startFailed: (failure) => this.events.startFailed(failure),
        exited: (state) => {
          this.journal.push(`exited ${this.name}@${this.generation}`);
          this.events.exited(state);
          this.resolveDone();
        },
      },
    });
  }

  get name(): string {
    return `${this.service.name}.${this.index}`;
  }

  get state(): InstanceState {
    return this.lifecycle.state;
  }

  start(): void {
    this.journal.push(`start ${this.name}@${this.generation}`);
  }

  stop(): void {
    this.lifecycle.stop();
  }

  kill(): void {
    this.lifecycle.kill();
  }

  forward(signal: NodeJS.Signals): void {
    this.journal.push(`${signal} ${this.name}@${this.generation}`);
  }

  ready(): void {
    this.lifecycle.ready();
  }

  keepAlive(): void {
    this.lifecycle.keepAlive();
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.lifecycle.exited({ exitCode: code, signal });
  }
}
