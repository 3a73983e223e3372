// One running copy of a service: its process, its readiness channels, its output,
// driven by the InstanceLifecycle state machine.
import { execa } from 'execa';
import { holdsSingleton, SINGLETON_VARIABLE } from '../config/singleton.ts';
import type { ServiceConfig } from '../config/types.ts';
import type { Logger } from '../log/logger.ts';
import type { Output } from '../log/output.ts';
import { own } from '../pid1/children.ts';
import { planSpawn } from '../pid1/spawn.ts';
import { readIpcChannel, type IpcMessage } from '../readiness/ipc-channel.ts';
import { withinSizeLimit, type NotifyMessage } from '../readiness/messages.ts';
import { readNotifyPipe } from '../readiness/notify-pipe.ts';
import type { NotifySocket, NotifySocketOptions } from '../readiness/notify-socket.ts';
import { waitForHttp, waitForTcp } from '../readiness/probes.ts';
import type { Clock } from './clock.ts';
import { describeEnd } from './describe.ts';
import { addListenShim } from './listen-shim.ts';
import { RecordBudget } from './record-budget.ts';
import { InstanceLifecycle, type ExitedState, type InstanceState, type LifecycleListener } from './instance-lifecycle.ts';
import type { Supervised, SupervisedEvents } from './supervised.ts';

export interface InstanceContext {
  clock: Clock;
  log: Logger;
  output: Output;
  /** The environment every instance starts from (the init's, less baton's own variables). */
  baseEnv: Record<string, string | undefined>;
  /** Opens the NOTIFY_SOCKET of an instance (a path of its own, hard to guess, under the runtime directory). */
  openNotifySocket(name: string, options: NotifySocketOptions): NotifySocket;
  /** The listening socket the init holds for a service with LISTEN, handed over as fd 3. */
  listenFd(service: ServiceConfig): number | undefined;
  /** Stops what is left of an exited instance's process group: its STOP_SIGNAL, then SIGKILL after its STOP_TIMEOUT. */
  sweepGroup?(pgid: number, service: ServiceConfig, log: Logger): void;
}

/** Passed sockets start at fd 3, as in systemd's socket activation; the notify pipe follows them. */
const FIRST_PASSED_FD = 3;

export class Instance implements Supervised {
  readonly lifecycle: InstanceLifecycle;
  readonly log: Logger;
  pid: number | undefined;
  lastStatus: string | undefined;
  /** Settles once the process is gone and its output fully written (at once if never started). */
  done: Promise<void> = Promise.resolve();
  private readonly startedAt: number;
  private readonly probe = new AbortController();
  private notifySocket: NotifySocket | undefined;
  private notifyRefusalLogged = false;
  private ipcOtherLogged = false;
  /** What the notify messages may log; lastStatus is kept up to date whatever it holds back. */
  private readonly notifyRecords: RecordBudget<NotifyMessage>;

  constructor(
    readonly service: ServiceConfig,
    readonly index: number,
    readonly generation: number,
    private readonly context: InstanceContext,
    private readonly events: SupervisedEvents,
  ) {
    this.log = context.log.child({ service: service.name, instance: index, generation });
    this.startedAt = context.clock.now();
    this.notifyRecords = new RecordBudget(context.clock, (message, suppressed) => this.logNotify(message, suppressed));
    const listener: LifecycleListener = {
      ready: () => {
        this.probe.abort();
        this.log.info({ pid: this.pid, ms: context.clock.now() - this.startedAt }, 'ready');
        this.events.ready();
      },
      completed: () => {
        this.log.info({ pid: this.pid, ms: context.clock.now() - this.startedAt }, 'completed (code 0)');
        this.events.completed();
      },
      startFailed: (failure) => {
        this.probe.abort();
        this.events.startFailed(failure);
      },
      exited: (state) => {
        this.probe.abort();
        this.notifySocket?.close();
        this.notifyRecords.flush();
        this.logExit(state);
        // Its group's id is its pid (setsid, or setpgid in the exec step); the id is not reused while anyone is left in it.
        if (this.pid !== undefined) context.sweepGroup?.(this.pid, service, this.log);
        this.events.exited(state);
      },
      watchdogFailed: (failure) => {
        const why = failure.kind === 'watchdog' ? `no keep-alive for ${failure.silentMs} ms (WATCHDOG=${service.watchdogMs} ms)` : 'it sent WATCHDOG=trigger';
        this.log.error({ pid: this.pid, watchdogMs: service.watchdogMs, ...(failure.kind === 'watchdog' ? { silentMs: failure.silentMs } : { triggered: true }) }, `watchdog failure: ${why}; aborting it with SIGABRT`);
      },
      killedAfterTimeout: () => {
        this.log.warn({ pid: this.pid, stopTimeoutMs: service.stopTimeoutMs }, `still running ${service.stopTimeoutMs} ms after ${service.stopSignal}: killed its process group`);
      },
    };
    this.lifecycle = new InstanceLifecycle({
      readyTimeoutMs: service.readyTimeoutMs,
      stopTimeoutMs: service.stopTimeoutMs,
      ...(service.watchdogMs === undefined ? {} : { watchdogMs: service.watchdogMs }),
      oneshot: service.type === 'oneshot',
      clock: context.clock,
      actions: {
        sendStopSignal: () => this.signalMain(service.stopSignal),
        abort: () => this.signalMain('SIGABRT'),
        killGroup: () => this.killGroup(),
      },
      listener,
    });
  }

  /** Spawns the process. Separate from the constructor so that the owner can register the instance before any event fires. */
  start(): void {
    this.done = this.spawn();
  }

  get name(): string {
    return `${this.service.name}.${this.index}`;
  }

  get state(): InstanceState {
    return this.lifecycle.state;
  }

  stop(): void {
    if (this.lifecycle.state.phase === 'starting' || this.lifecycle.state.phase === 'ready') {
      this.log.info({ pid: this.pid, signal: this.service.stopSignal }, `stopping with ${this.service.stopSignal}`);
    }
    this.lifecycle.stop();
  }

  kill(): void {
    this.lifecycle.kill();
  }

  /** Passes a signal the init received on to the instance's main process. */
  forward(signal: NodeJS.Signals): void {
    if (this.pid === undefined || this.lifecycle.state.phase === 'exited') return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // gone already: its exit is on its way
    }
  }

  /** Once per instance: a process outside it writing to its socket is worth a look, not a flood. */
  private notifyRefused(sender: number | undefined): void {
    if (this.notifyRefusalLogged) return;
    this.notifyRefusalLogged = true;
    this.log.debug({ pid: this.pid, sender }, `dropped a NOTIFY_SOCKET message from pid ${sender ?? 'unknown'}, which is not in this instance's process group or session (logged once)`);
  }

  private async spawn(): Promise<void> {
    const { service, context } = this;
    // The notify channels carry readiness (READY=notify) and watchdog keep-alives (WATCHDOG).
    const notify = service.readiness.kind === 'notify' || service.watchdogMs !== undefined;
    const listenFd = context.listenFd(service);
    const notifyPipeFd = FIRST_PASSED_FD + (listenFd === undefined ? 0 : 1);
    // READY=ipc: Node's IPC channel comes after every other passed descriptor, so fd 3 stays the LISTEN socket.
    const ipc = service.readiness.kind === 'ipc';
    const ipcFd = notifyPipeFd + (notify ? 1 : 0);
    const env: Record<string, string | undefined> = {
      ...context.baseEnv,
      BATON_SERVICE: service.name,
      BATON_INSTANCE: String(this.index),
      BATON_GENERATION: String(this.generation),
    };
    // After the base environment: the user chose the name, and the index must win over an inherited value.
    if (service.instanceVar !== undefined) env[service.instanceVar] = String(this.index - 1);
    if (holdsSingleton(service, this.index)) env[SINGLETON_VARIABLE] = '1';
    if (service.user?.home !== undefined) env.HOME = service.user.home;
    if (service.user?.name !== undefined) env.USER = env.LOGNAME = service.user.name;
    // Over HOME and USER too (asked for by name), never over what follows: the config refuses those names.
    Object.assign(env, service.env);
    if (listenFd !== undefined) {
      env.LISTEN_FDS = '1';
      env.LISTEN_FDNAMES = service.name;
    }
    if (ipc) {
      env.NODE_CHANNEL_FD = String(ipcFd);
      env.NODE_CHANNEL_SERIALIZATION_MODE = 'json';
    }
    if (service.listenShim && service.listen?.kind === 'tcp') addListenShim(env, service.listen.port);
    if (service.watchdogMs !== undefined) env.WATCHDOG_USEC = String(service.watchdogMs * 1000);
    if (notify) {
      env.NOTIFY_PIPE = String(notifyPipeFd);
      try {
        this.notifySocket = context.openNotifySocket(`${service.name}.${this.index}`, {
          ...(service.user === undefined ? {} : { uid: service.user.uid, gid: service.user.gid }),
          leader: () => this.pid,
          onRefused: (sender) => this.notifyRefused(sender),
        });
        env.NOTIFY_SOCKET = this.notifySocket.path;
        this.notifySocket.onMessage((message) => this.onNotify(message));
      } catch (error) {
        this.lifecycle.spawnFailed(`cannot open its NOTIFY_SOCKET: ${(error as Error).message}`);
        return;
      }
    }

    const [file, ...args] = service.argv;
    const tag = { service: service.name, instance: this.index, generation: this.generation, pid: () => this.pid };
    // execa passes a descriptor number at index 3 through to child_process (which dup2s it
    // into the child), though its types only list numbers for the first three.
    const stdio = [
      'ignore',
      context.output.stdio(),
      context.output.stdio(),
      ...(listenFd === undefined ? [] : [listenFd]),
      ...(notify ? ['pipe' as const] : []),
      // A socket pair, as 'ipc' would be, read by readIpcChannel with its bound rather than by Node's channel.
      ...(ipc ? ['pipe' as const] : []),
    ] as unknown as readonly ['ignore', 'pipe', 'pipe', ...'pipe'[]];
    // LISTEN_PID and WATCHDOG_PID must be the instance's own pid, known only after fork: the exec step sets them.
    const step = {
      ...(listenFd === undefined ? {} : { listenPid: true }),
      ...(service.watchdogMs === undefined ? {} : { watchdogPid: true }),
    };
    const plan = planSpawn({ file, args, env, step: Object.keys(step).length === 0 ? {} : { ...step, fds: stdio.length } });
    const subprocess = execa(plan.file, plan.args, {
      env: plan.env,
      extendEnv: false,
      cwd: service.cwd,
      uid: service.user?.uid,
      gid: service.user?.gid,
      detached: plan.detached,
      stdio,
      reject: false,
      buffer: false,
      cleanup: false, // the supervisor decides when instances stop
      stripFinalNewline: false,
      forceKillAfterDelay: false,
    });
    own(subprocess);
    this.pid = subprocess.pid;

    subprocess.once('exit', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      this.lifecycle.exited({ exitCode, signal });
    });
    if (this.pid === undefined) {
      const result = await subprocess;
      this.lifecycle.spawnFailed(result.shortMessage ?? `cannot start ${file}`);
      return;
    }
    this.log.info({ pid: this.pid, argv: service.argv }, 'spawned');
    // A stalled reader of the init's output holds an exited instance up for at most its stop timeout.
    const gone = new Promise((resolve) => subprocess.once('exit', resolve));
    const written = (['stdout', 'stderr'] as const).map((name) => context.output.follow(subprocess[name], tag, name, gone, service.stopTimeoutMs));

    if (notify) {
      const pipe = subprocess.stdio[notifyPipeFd];
      if (pipe && 'on' in pipe) readNotifyPipe(pipe as NodeJS.ReadableStream, (message) => this.onNotify(message));
    }
    if (ipc) {
      const channel = subprocess.stdio[ipcFd];
      if (channel && 'on' in channel) readIpcChannel(channel as NodeJS.ReadableStream, (message) => this.onIpc(message));
    }
    this.watchReadiness();
    await Promise.all([subprocess, ...written]);
  }

  private watchReadiness(): void {
    const readiness = this.service.readiness;
    const signal = this.probe.signal;
    if (this.service.type === 'oneshot') return; // done when it exits 0
    if (readiness.kind === 'none') this.lifecycle.ready();
    else if (readiness.kind === 'tcp') waitForTcp(readiness.host, readiness.port, signal).then(() => this.lifecycle.ready(), () => undefined);
    else if (readiness.kind === 'http') waitForHttp(readiness.url, signal).then(() => this.lifecycle.ready(), () => undefined);
  }

  private onNotify(received: NotifyMessage): void {
    const message = withinSizeLimit(received);
    if (message.status !== undefined) this.lastStatus = message.status;
    if (message.error !== undefined || message.status !== undefined || message.stopping) this.notifyRecords.offer(message);
    // With another readiness (a probe), the channels are there for the watchdog alone.
    if (message.ready && this.service.readiness.kind === 'notify') this.lifecycle.ready();
    if (message.keepAlive) this.lifecycle.keepAlive();
    if (message.watchdogTrigger) this.lifecycle.watchdogTriggered();
  }

  private onIpc(message: IpcMessage): void {
    if (message === 'ready') {
      this.lifecycle.ready();
      return;
    }
    // Ignored: pm2 apps send their own messages too. Once per instance, so that a flood is not a flood of records.
    if (this.ipcOtherLogged) return;
    this.ipcOtherLogged = true;
    this.log.debug({ pid: this.pid }, "ignored an IPC message other than 'ready' (logged once)");
  }

  private logNotify(message: NotifyMessage, suppressed?: number): void {
    const fields = { pid: this.pid, ...(suppressed === undefined ? {} : { suppressed }) };
    const held = suppressed === undefined ? '' : ` (${suppressed} notify records held back before this one)`;
    if (message.error !== undefined) this.log.warn({ ...fields, message: message.raw }, `unreadable notify message: ${message.error}${held}`);
    if (message.status !== undefined) this.log.info({ ...fields, status: message.status }, `status: ${message.status}${held}`);
    if (message.stopping) this.log.info(fields, `reports it is stopping${held}`);
  }

  private signalMain(signal: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // gone already
    }
  }

  private killGroup(): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }

  private logExit(state: ExitedState): void {
    const { end } = state;
    const how = describeEnd(end);
    const fields = { pid: this.pid, exitCode: end.exitCode, signal: end.signal };
    if (state.completed) return; // its `completed` record said it
    if (state.stopRequested) this.log.info(fields, `exited (${how})`);
    else if (state.failure?.kind === 'spawn-error') this.log.error({ reason: state.failure.message }, `could not start: ${state.failure.message}`);
    else this.log.warn(fields, `exited by itself (${how})`);
  }
}
