// Single-command mode, tini's job: spawn one command, forward signals to it,
// reap every zombie, and exit with the command's status.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { isatty } from 'node:tty';
import { getSystemErrorMap } from 'node:util';
import type { InitFlags } from '../cli/args.ts';
import type { ConfigError } from '../config/errors.ts';
import { createLogger, lazyLogger, type LazyLogger, type LevelWithSilent } from '../log/logger.ts';
import { own } from '../pid1/children.ts';
import { releaseSignals } from '../pid1/early-signals.ts';
import { EXIT_BAD_CONFIG, EXIT_OK, EXIT_SETUP_FAILED, EXIT_SIGNAL_BASE } from '../pid1/exit-codes.ts';
import { exitCodeForExecError, exitCodeOf } from '../pid1/exit-status.ts';
import { reapAll, reapOnSigchld } from '../pid1/reaper.ts';
import { onForwardableSignals } from '../pid1/forwarded-signals.ts';
import { signalName, signalNumber } from '../pid1/signal-names.ts';
import { planSpawn } from '../pid1/spawn.ts';
import { deferred, type Deferred } from '../util/deferred.ts';
import { exitCodeOfRefusal, Refusal } from './refusal.ts';

type Syscalls = typeof import('../pid1/syscalls.ts');
type ReapedEnd = import('../pid1/syscalls.ts').ReapedEnd;
const PRELOAD_SYSCALLS_AFTER_MS = 100;
const VERBOSITY_LEVELS: LevelWithSilent[] = ['error', 'warn', 'info', 'debug', 'trace'];

/** The steps of tini's main, in its order; the command's exit code, or 128+N, or 126/127. */
export async function runSingleCommand(flags: InitFlags, command: [string, ...string[]]): Promise<number> {
  const { settings, errors } = await readLogSettings();
  if (errors.length > 0) return reportBadLogSettings(errors);
  const log = lazyLogger({ level: settings.level ?? verbosityLevel(flags.verbosity), format: settings.format });
  const interactive = isatty(0);
  const syscalls = new LazySyscalls(needsSyscallsNow(flags, interactive) ? await import('../pid1/syscalls.ts') : undefined);
  try {
    configureInit(flags, syscalls.loaded);
  } catch (error) {
    return exitCodeOfRefusal(error, log);
  }
  // The child will own the terminal; the init, now in a background group, must still be able to write its log.
  if (interactive) syscalls.loaded?.ignoreTerminalStops();
  warnUnlessReaping(flags, syscalls.loaded, log);
  const running = spawnCommand(command, interactive);
  const stopForwarding = forwardSignals(running, flags, log);
  reapZombies(running, syscalls, flags, log);
  const code = exitCodeFor(await running.end.promise, running, log);
  running.over = true;
  stopForwarding();
  return flags.remapToZero.has(code) ? EXIT_OK : code;
}

/** envalid is only loaded when there is something to validate. */
async function readLogSettings(): Promise<ReturnType<typeof import('../config/globals.ts').readLogSettings>> {
  if (process.env.BATON_LOG_LEVEL === undefined && process.env.BATON_LOG_FORMAT === undefined) return { settings: { format: 'json' }, errors: [] };
  return (await import('../config/globals.ts')).readLogSettings(process.env);
}

function reportBadLogSettings(errors: readonly ConfigError[]): number {
  const log = createLogger({ level: 'error' });
  for (const error of errors) log.error({ variable: error.variable }, error.message);
  return EXIT_BAD_CONFIG;
}

/** Not PID 1 and no -s: whether a parent made us a subreaper already decides the warning of warnUnlessReaping. */
function needsSyscallsNow(flags: InitFlags, interactive: boolean): boolean {
  return flags.subreaper || flags.parentDeathSignal !== undefined || interactive || process.pid !== 1;
}

/**
 * koffi's system calls: loaded up front when start-up needs them; else a command that
 * outlives start-up may leave orphans later, and koffi loads then, off the start-up path,
 * so that the first burst of zombies is not also waiting for it (~5 ms).
 */
class LazySyscalls {
  constructor(public loaded: Syscalls | undefined) {}

  /** Once the command runs: loads if need be, off the start-up path, then `then`. */
  preloadSoon(then: () => void): void {
    setTimeout(() => void this.load().then(then), PRELOAD_SYSCALLS_AFTER_MS).unref();
  }

  async load(): Promise<Syscalls> {
    return (this.loaded ??= await import('../pid1/syscalls.ts'));
  }
}

/** `-p` and `-s`, as tini sets them up before spawning. */
function configureInit(flags: InitFlags, sys: Syscalls | undefined): void {
  try {
    if (flags.parentDeathSignal !== undefined) sys?.setParentDeathSignal(signalNumber(flags.parentDeathSignal));
    if (flags.subreaper) sys?.setChildSubreaper();
  } catch (error) {
    throw new Refusal(EXIT_SETUP_FAILED, 'fatal', [{ message: (error as Error).message }]);
  }
}

/** tini's reaper_check. */
function warnUnlessReaping(flags: InitFlags, sys: Syscalls | undefined, log: LazyLogger): void {
  if (process.pid !== 1 && !flags.subreaper && !sys?.isChildSubreaper()) {
    log.warn(
      'baton is not running as PID 1 and is not registered as a child subreaper: orphaned processes will not be reparented to it, so zombie reaping will not work. Use -s or set TINI_SUBREAPER, or run it as PID 1.',
    );
  }
}

interface CommandEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  error: NodeJS.ErrnoException | undefined;
}

interface RunningCommand {
  readonly file: string;
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  /**
   * The command's end, from libuv's 'exit' event or from the reaper when it took the
   * command's zombie first (see reapAll); whichever comes first counts.
   */
  readonly end: Deferred<CommandEnd>;
  /** Its end is taken: nothing more is forwarded, and the init is about to exit. */
  over: boolean;
}

function spawnCommand([file, ...args]: [string, ...string[]], interactive: boolean): RunningCommand {
  // Plain child_process here, not execa: the child inherits stdio, so execa's output
  // handling has nothing to do, and loading it costs ~12 ms of start-up (see README).
  const plan = planSpawn({ file, args, env: process.env, step: { foreground: interactive } });
  const child = spawn(plan.file, plan.args, { env: plan.env, detached: plan.detached, stdio: 'inherit' });
  own(child);
  const end = deferred<CommandEnd>();
  // events.once rejects when 'error' comes first: that is a spawn that failed.
  once(child, 'exit').then(
    ([exitCode, signal]) => end.resolve({ exitCode: exitCode as number | null, signal: signal as NodeJS.Signals | null, error: undefined }),
    (error: NodeJS.ErrnoException) => end.resolve({ exitCode: null, signal: null, error }),
  );
  return { file, child, pid: child.pid, end, over: false };
}

/** Every signal the init can catch goes to the command (or its group, -g), those held during start-up first. */
function forwardSignals(command: RunningCommand, flags: InitFlags, log: LazyLogger): () => void {
  const { pid } = command;
  const target = pid === undefined ? undefined : flags.killProcessGroup ? -pid : pid;
  const to = `${flags.killProcessGroup ? 'process group' : 'child'} ${pid ?? ''}`;
  const forward = (signal: NodeJS.Signals): void => {
    if (target === undefined || command.over) return;
    // The signal goes before its record: at debug level that record is a synchronous write
    // to stderr, which took longer than the forwarding itself and could stall on a full pipe.
    let gone = false;
    try {
      process.kill(target, signal);
    } catch {
      gone = true; // ESRCH: the child is gone already, and its exit is on its way
    }
    log.debug({ signal }, gone ? `could not forward ${signal} to ${to}: gone already` : `forwarded ${signal} to ${to}`);
  };
  const stop = onForwardableSignals(forward);
  for (const signal of releaseSignals()) forward(signal);
  return stop;
}

function reapZombies(command: RunningCommand, syscalls: LazySyscalls, flags: InitFlags, log: LazyLogger): void {
  const { pid, child } = command;
  const reapNow = reapOnSigchld(
    () => syscalls.load(),
    (sys) =>
      reapAll(sys, pid, (end) => {
        log.debug({ pid }, 'the command ended during a reaping pass: its status was taken there');
        command.end.resolve(commandEndOf(end));
      }),
    (reaped, ms) => {
      log.trace({ count: reaped.length, ms }, `reaped ${reaped.length} zombies`);
      if (flags.warnOnReap) for (const pid of reaped) log.warn({ reaped: pid }, `reaped zombie process with pid=${pid}`);
    },
    // When the SIGCHLD was the command's, Node has reaped it by the next turn: the init
    // exits then, and an exiting PID 1 takes every zombie with it, so koffi need not load.
    () => command.over || child.exitCode !== null || child.signalCode !== null,
    // Loaded: each SIGCHLD reaps at once. The pass may then take the command's zombie
    // before libuv does; reapAll hands its end over.
    () => syscalls.loaded,
  );
  // One pass as soon as koffi is loaded, while nothing is waiting on it: the first burst
  // then finds the pass's code compiled and koffi's first call (~60 µs) made.
  syscalls.preloadSoon(reapNow);
}

/** The command's end as the reaper took it: a signal number Node has no name for still gives 128+N. */
function commandEndOf(end: ReapedEnd): CommandEnd {
  if (end.signal === null) return { exitCode: end.exitCode, signal: null, error: undefined };
  const name = signalName(end.signal);
  return name === undefined ? { exitCode: EXIT_SIGNAL_BASE + end.signal, signal: null, error: undefined } : { exitCode: null, signal: name, error: undefined };
}

/** The exit code, as a shell reports it: the command's, 128+N, or 127/126 when it could not be executed. */
function exitCodeFor({ exitCode, signal, error }: CommandEnd, command: RunningCommand, log: LazyLogger): number {
  if (error !== undefined) {
    log.error({ command: command.file, code: error.code }, `exec ${command.file} failed: ${describeErrno(error.errno)}`);
    return exitCodeForExecError(error.code);
  }
  const code = exitCodeOf({ exitCode: exitCode ?? undefined, signal: signal ?? undefined });
  log.info({ pid: command.pid, exitCode, signal }, `child ${command.pid} exited with status ${code}`);
  return code;
}

function describeErrno(errno: number | undefined): string {
  return (errno === undefined ? undefined : getSystemErrorMap().get(errno)?.[1]) ?? 'unknown error';
}

/** tini's verbosity: 0 fatal errors only, 1 warnings (the default), 2 info, 3 debug, 4 trace. */
function verbosityLevel(verbosity: number): LevelWithSilent {
  return VERBOSITY_LEVELS[Math.max(0, Math.min(verbosity, VERBOSITY_LEVELS.length - 1))] ?? 'warn';
}
