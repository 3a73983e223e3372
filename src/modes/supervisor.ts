// Supervisor mode: the services declared in BATON_* variables, under one PID 1.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { InitFlags } from '../cli/args.ts';
import type { ConfigError } from '../config/errors.ts';
import type { GlobalConfig, SupervisorConfig } from '../config/types.ts';
import { RuntimeDirRefused, runtimeDir, serverSocketPath } from '../control/paths.ts';
import { startControlServer } from '../control/server.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { Output } from '../log/output.ts';
import { releaseSignals } from '../pid1/early-signals.ts';
import { EXIT_BAD_CONFIG, EXIT_SETUP_FAILED } from '../pid1/exit-codes.ts';
import { reapOnSigchld, reapOrphans } from '../pid1/reaper.ts';
import { FORWARDABLE_SIGNALS } from '../pid1/forwarded-signals.ts';
import { signalNumber } from '../pid1/signal-names.ts';
import * as sys from '../pid1/syscalls.ts';
import { openListenSocket, type ListenSocket } from '../supervise/listen-socket.ts';
import { descendantsOf, signalGroup, signalProcess } from '../pid1/process-tree.ts';
import { collectGarbage, keepNewSpaceSmall } from '../pid1/own-heap.ts';
import { residentBytesByGroup } from '../pid1/process-memory.ts';
import { NotifySocket } from '../readiness/notify-socket.ts';
import { NotifyPipeWriter } from '../readiness/notify-upward-pipe.ts';
import { NotifySocketSender } from '../readiness/notify-upward-socket.ts';
import { runningStatus, UpwardNotifier, type UpwardChannel } from '../readiness/notify-upward.ts';
import { monotonicMicroseconds } from '../pid1/libc.ts';
import { Instance, type InstanceContext } from '../supervise/instance.ts';
import { Leftovers } from '../supervise/leftovers.ts';
import { ReloadCollection } from '../supervise/reload-collection.ts';
import { systemClock } from '../supervise/clock.ts';
import { Supervisor, type SupervisorEvents } from '../supervise/supervisor.ts';
import { loadConfig } from './check.ts';
import { CreatedFiles } from './created-files.ts';
import { configRefusal, exitCodeOfRefusal, Refusal } from './refusal.ts';

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
const FORWARDED: NodeJS.Signals[] = ['SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];
/** Variables of the init's own that its children must not inherit (a service with WATCHDOG gets a WATCHDOG_USEC of its own). */
const NOT_INHERITED = /^(BATON_|NOTIFY_SOCKET$|NOTIFY_PIPE$|LISTEN_(FDS|PID|FDNAMES)$|WATCHDOG_(USEC|PID)$)/;

export async function runSupervisor(flags: InitFlags): Promise<number> {
  let log: Logger | undefined;
  try {
    const config = loadConfig();
    const output = new Output(config.globals.output);
    log = openLog(config.globals, output);
    setUpInit(flags);
    keepNewSpaceSmall();
    const created = new CreatedFiles();
    const runtime = takeRuntimeDir();
    const notifyDir = makeNotifyDir(runtime, created);
    const listeners = await openListeners(config, log, created);
    const leftovers = new Leftovers(systemClock, { signalGroup, signalProcess, descendants: descendantsOncePerTurn() });
    const context = instanceContext(log, output, notifyDir, listeners, leftovers);
    const upward = reportUpward(config, log);
    const supervisor = new Supervisor(config, (service, index, generation, events) => new Instance(service, index, generation, context, events), log, systemClock, {
      events: collectAfterReloads(upward.events, log),
      readResident: residentBytesByGroup,
    });
    reapOrphansOnSigchld(flags, leftovers, log);
    handleSignals(supervisor, leftovers, log);
    const controlPath = await serveControl(serverSocketPath(config.globals.controlSocket, runtime), supervisor, output, created);
    log.info({ services: config.services.map((service) => service.name), control: controlPath }, `supervising ${config.services.map((s) => `${s.name} x${s.count}`).join(', ')}`);
    const code = await supervisor.run();
    upward.close();
    await windUp(code, config.globals, leftovers, created, output, log);
    return code;
  } catch (error) {
    return exitCodeOfRefusal(error, log);
  }
}

/** The init's log, through the ordered writer of stderr; a stream that fails is said once, on the other one, which may still reach someone. */
function openLog(globals: GlobalConfig, output: Output): Logger {
  const log = createLogger({ level: globals.logLevel, format: globals.logFormat, sink: (line) => output.stderr.record(line) });
  const stdoutLog = createLogger({ level: globals.logLevel, format: globals.logFormat, sink: (line) => output.stdout.record(line) });
  output.stdout.whenBroken((reason) => log.error({ stream: 'stdout', reason }, `cannot write to stdout (${reason}): what goes there is dropped from now on, counted in --status`));
  output.stderr.whenBroken((reason) => stdoutLog.error({ stream: 'stderr', reason }, `cannot write to stderr (${reason}): what goes there is dropped from now on, counted in --status`));
  return log;
}

/** `-p`, and the subreaper bit when not PID 1 (a test, or `docker run --init`): orphans of the services should still come to us. */
function setUpInit(flags: InitFlags): void {
  try {
    if (flags.parentDeathSignal !== undefined) sys.setParentDeathSignal(signalNumber(flags.parentDeathSignal));
    if (process.pid !== 1) sys.setChildSubreaper();
  } catch (error) {
    throw new Refusal(EXIT_SETUP_FAILED, 'fatal', [{ message: (error as Error).message }]);
  }
}

function takeRuntimeDir(): string {
  try {
    return runtimeDir();
  } catch (error) {
    if (!(error instanceof RuntimeDirRefused)) throw error;
    throw new Refusal(EXIT_BAD_CONFIG, 'fatal', [{ message: error.message }]);
  }
}

/** Passable by a service running as another user, to its own socket; not listable, so the names stay secret. */
function makeNotifyDir(runtime: string, created: CreatedFiles): string {
  const notifyDir = mkdtempSync(join(runtime, 'notify-'));
  created.add(() => rmSync(notifyDir, { recursive: true, force: true }));
  chmodSync(notifyDir, 0o711);
  return notifyDir;
}

/** Binds every LISTEN socket before anything starts; one that cannot be bound is a configuration error. */
async function openListeners(config: SupervisorConfig, log: Logger, created: CreatedFiles): Promise<Map<string, ListenSocket>> {
  const listeners = new Map<string, ListenSocket>();
  const errors: ConfigError[] = [];
  for (const service of config.services) {
    if (!service.listen) continue;
    try {
      const socket = await openListenSocket(service.listen);
      created.add(() => socket.close());
      listeners.set(service.name, socket);
      log.info({ service: service.name, address: socket.address }, `listening on ${socket.address} for ${service.name}`);
    } catch (error) {
      errors.push({ variable: `BATON_${service.key}_LISTEN`, message: `BATON_${service.key}_LISTEN: cannot listen: ${(error as Error).message}` });
    }
  }
  if (errors.length > 0) throw configRefusal(errors);
  return listeners;
}

/** One walk of /proc per event-loop turn: libuv reports every instance that ended on one SIGCHLD in the same turn. */
function descendantsOncePerTurn(): () => ReturnType<typeof descendantsOf> {
  let walked: ReturnType<typeof descendantsOf> | undefined;
  return () => {
    if (walked === undefined) {
      walked = descendantsOf(process.pid);
      setImmediate(() => (walked = undefined));
    }
    return walked;
  };
}

function instanceContext(log: Logger, output: Output, notifyDir: string, listeners: Map<string, ListenSocket>, leftovers: Leftovers): InstanceContext {
  return {
    clock: systemClock,
    log,
    output,
    baseEnv: Object.fromEntries(Object.entries(process.env).filter(([key]) => !NOT_INHERITED.test(key))),
    // A random part, so that no other process can work out an instance's socket from its name.
    openNotifySocket: (name, options) => NotifySocket.open(join(notifyDir, `${name}.${randomBytes(8).toString('hex')}.sock`), options),
    listenFd: (service) => listeners.get(service.name)?.fd,
    sweepGroup: (pgid, service, instanceLog) => void leftovers.sweepGroup(pgid, service.stopSignal, service.stopTimeoutMs, instanceLog),
  };
}

function reapOrphansOnSigchld(flags: InitFlags, leftovers: Leftovers, log: Logger): void {
  reapOnSigchld(
    async () => sys,
    reapOrphans,
    (reaped) => {
      if (flags.warnOnReap) for (const pid of reaped) log.warn({ reaped: pid }, `reaped zombie process with pid=${pid}`);
      leftovers.check();
    },
  );
}

function handleSignals(supervisor: Supervisor, leftovers: Leftovers, log: Logger): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    if (STOP_SIGNALS.includes(signal)) {
      // What an instance left behind is killed with the instances, not before.
      if (supervisor.shutdown(signal) === 'killing') leftovers.killAll();
    } else if (signal === 'SIGHUP') void supervisor.reload();
    else if (FORWARDED.includes(signal)) supervisor.forward(signal);
    else log.debug({ signal }, `${signal} ignored (supervisor mode has no use for it)`);
  };
  // Every catchable signal gets a handler, those of no use included: outside PID 1 the
  // default action of SIGALRM, SIGPWR, SIGIO ... would kill the init and leave its services behind.
  // SIGPIPE among them: a reader that goes away must cost the init an EPIPE (the output
  // writers count it and stop writing to that stream), not its life.
  for (const signal of FORWARDABLE_SIGNALS) process.on(signal, () => onSignal(signal));
  for (const signal of releaseSignals()) onSignal(signal);
}

/**
 * The init's own readiness, told to whatever runs it: systemd or podman through the
 * NOTIFY_SOCKET, async-container or another baton through the NOTIFY_PIPE it was given,
 * and keep-alives when it was given a WATCHDOG_USEC of its own. A channel that cannot be
 * used is said once, as a warning: the services run all the same.
 */
function reportUpward(config: SupervisorConfig, log: Logger): { events: SupervisorEvents | undefined; close(): void } {
  const channels: UpwardChannel[] = [];
  const { NOTIFY_SOCKET: socket, NOTIFY_PIPE: pipe, WATCHDOG_USEC: watchdogUsec, WATCHDOG_PID: watchdogPid } = process.env;
  const open = (variable: string, value: string, make: (value: string) => UpwardChannel): void => {
    try {
      channels.push(make(value));
    } catch (error) {
      log.warn({ variable, value }, `${variable}=${value}: cannot report readiness there (${(error as Error).message}); carrying on without`);
    }
  };
  if (socket !== undefined && socket !== '') open('NOTIFY_SOCKET', socket, NotifySocketSender.open);
  if (pipe !== undefined && pipe !== '') open('NOTIFY_PIPE', pipe, NotifyPipeWriter.open);
  if (channels.length === 0) return { events: undefined, close: () => undefined };

  const notifier = new UpwardNotifier(channels, (channel, reason) => log.warn({ channel, reason }, `${channel}: cannot report readiness (${reason}); the services run on, and this is said once`));
  const services = config.services;
  const events: SupervisorEvents = {
    running: (generation) => notifier.send({ kind: 'ready', status: runningStatus(generation, services) }),
    reloading: (generation) => notifier.send({ kind: 'reloading', status: `reloading: generation ${generation} starting`, monotonicUsec: monotonicMicroseconds() }),
    reloaded: (outcome, live) => {
      const running = runningStatus(live, services);
      const status = outcome.committed || 'cancelled' in outcome ? running : `reload to generation ${outcome.generation} rolled back (${outcome.reason}): ${running}`;
      notifier.send({ kind: 'ready', status });
    },
    stopping: () => notifier.send({ kind: 'stopping', status: 'stopping' }),
  };
  const interval = keepAliveInterval(watchdogUsec, watchdogPid, log);
  const timer = interval === undefined ? undefined : setInterval(() => notifier.send({ kind: 'keep-alive' }), interval);
  timer?.unref();
  return {
    events,
    close: () => {
      clearInterval(timer);
      notifier.close();
    },
  };
}

/**
 * Half the WATCHDOG_USEC the manager gave the init, as sd_watchdog_enabled(3) advises;
 * none when it was meant for another process (WATCHDOG_PID) or cannot be read.
 */
function keepAliveInterval(usec: string | undefined, pid: string | undefined, log: Logger): number | undefined {
  if (usec === undefined || usec === '') return undefined;
  if (pid !== undefined && pid !== '' && pid !== String(process.pid)) return undefined;
  const micros = /^\d+$/.test(usec) ? Number(usec) : NaN;
  if (!Number.isSafeInteger(micros) || micros === 0) {
    log.warn({ variable: 'WATCHDOG_USEC', value: usec }, `WATCHDOG_USEC=${usec} is not a positive number of microseconds: no keep-alives are sent`);
    return undefined;
  }
  // setInterval takes at most 2^31-1 ms (about 24 days), and would fire at once beyond.
  return Math.min(Math.max(1, Math.floor(micros / 2000)), 2 ** 31 - 1);
}

/** The init's own garbage collected after reloads (src/supervise/reload-collection.ts says when and why), logged with what it freed. */
function collectAfterReloads(events: SupervisorEvents | undefined, log: Logger): SupervisorEvents {
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  const collection = new ReloadCollection(systemClock, () => {
    const done = collectGarbage();
    if (done === undefined) return;
    const ms = Math.round(done.ms * 10) / 10;
    log.debug({ ms, usedHeapBefore: done.usedBefore, usedHeapAfter: done.usedAfter }, `collected the init's garbage after a reload in ${ms} ms: used heap ${mib(done.usedBefore)} -> ${mib(done.usedAfter)} MiB`);
  });
  return {
    running: (generation) => events?.running(generation),
    reloading: (generation) => events?.reloading(generation),
    reloaded: (outcome, live) => {
      events?.reloaded(outcome, live);
      collection.reloadEnded();
    },
    stopping: () => {
      collection.stop();
      events?.stopping();
    },
  };
}

/** The control socket of `--status`, `--health` and `--reload`; one that cannot be bound is exit 2. */
async function serveControl(controlPath: string, supervisor: Supervisor, output: Output, created: CreatedFiles): Promise<string> {
  try {
    const control = await startControlServer(controlPath, async (request) => {
      if (request.command === 'health') return { ok: true, command: 'health', healthy: supervisor.healthy };
      if (request.command === 'live') return { ok: true, command: 'live', live: !supervisor.stopping };
      if (request.command === 'reload') return { ok: true, command: 'reload', outcome: await supervisor.reload(request.services) };
      if (request.command === 'signal') return { ok: true, command: 'signal', outcome: supervisor.signal(request.signal, request.targets) };
      return { ok: true, command: 'status', status: supervisor.status(), output: output.stats() };
    });
    created.add(() => control.close());
    return controlPath;
  } catch (error) {
    const message = `BATON_CONTROL_SOCKET: cannot listen: ${(error as Error).message}; set BATON_CONTROL_SOCKET to another path`;
    throw new Refusal(EXIT_BAD_CONFIG, 'fatal', [{ fields: { variable: 'BATON_CONTROL_SOCKET' }, message }]);
  }
}

/** After the last service: nothing of theirs outlives the init, and their output is written out before it exits. */
async function windUp(code: number, globals: GlobalConfig, leftovers: Leftovers, created: CreatedFiles, output: Output, log: Logger): Promise<void> {
  // In subreaper mode nothing else would stop what the services left behind.
  await leftovers.sweepAll(globals.stopTimeoutMs, log);
  created.removeAll();
  // Every child is gone: a reader that stopped reading must not keep the init from exiting.
  const drainDeadline = Date.now() + globals.stopTimeoutMs;
  if (!(await output.drain(globals.stopTimeoutMs))) {
    const { stdout, stderr } = output.stats();
    log.warn({ stdoutPendingBytes: stdout.pendingBytes, stderrPendingBytes: stderr.pendingBytes }, `output not written out ${globals.stopTimeoutMs} ms after the last child exited: the rest is dropped`);
  }
  reportDropped(output, log);
  log.info({ exitCode: code }, `exiting with ${code}`);
  // What the deadline leaves no time for is written at exit, as far as the descriptor takes it without blocking.
  await output.drain(Math.max(0, drainDeadline - Date.now()));
}

function reportDropped(output: Output, log: Logger): void {
  for (const [stream, stats] of Object.entries(output.stats())) {
    if (stats.droppedLines > 0) log.warn({ stream, droppedLines: stats.droppedLines, droppedBytes: stats.droppedBytes }, `dropped ${stats.droppedLines} lines (${stats.droppedBytes} bytes) that could not be written to ${stream}`);
  }
}
