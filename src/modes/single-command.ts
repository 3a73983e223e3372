// Single-command mode, tini's job: spawn one command, forward signals to it,
// reap every zombie, and exit with the command's status.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { isatty } from 'node:tty';
import { getSystemErrorMap } from 'node:util';
import type { SingleCommandFlags } from '../cli/args.ts';
import { EXIT_BAD_CONFIG } from '../config/errors.ts';
import { createLogger, lazyLogger, type LevelWithSilent } from '../log/logger.ts';
import { own } from '../pid1/children.ts';
import { releaseSignals } from '../pid1/early-signals.ts';
import { exitCodeForExecError, exitCodeOf } from '../pid1/exit-status.ts';
import { reapAll, reapOnSigchld } from '../pid1/reaper.ts';
import { onForwardableSignals } from '../pid1/forwarded-signals.ts';
import { signalName, signalNumber } from '../pid1/signal-names.ts';
import { planSpawn } from '../pid1/spawn.ts';

type Syscalls = typeof import('../pid1/syscalls.ts');
type ReapedEnd = import('../pid1/syscalls.ts').ReapedEnd;
const PRELOAD_SYSCALLS_AFTER_MS = 100;
const VERBOSITY_LEVELS: LevelWithSilent[] = ['error', 'warn', 'info', 'debug', 'trace'];

export async function runSingleCommand(flags: SingleCommandFlags, command: [string, ...string[]]): Promise<never> {
  // envalid is only loaded when there is something to validate.
  const { settings, errors } =
    process.env.BATON_LOG_LEVEL === undefined && process.env.BATON_LOG_FORMAT === undefined
      ? { settings: { format: 'json' as const }, errors: [] }
      : (await import('../config/globals.ts')).readLogSettings(process.env);
  if (errors.length > 0) {
    const log = createLogger({ level: 'error' });
    for (const error of errors) log.error({ variable: error.variable }, error.message);
    process.exit(EXIT_BAD_CONFIG);
  }
  const log = lazyLogger({ level: settings.level ?? verbosityLevel(flags.verbosity), format: settings.format });
  const interactive = isatty(0);
  // Not PID 1 and no -s: whether a parent made us a subreaper already decides the warning below.
  const needsSyscallsNow = flags.subreaper || flags.parentDeathSignal !== undefined || interactive || process.pid !== 1;
  let sys = needsSyscallsNow ? await import('../pid1/syscalls.ts') : undefined;

  try {
    if (flags.parentDeathSignal !== undefined) sys?.setParentDeathSignal(signalNumber(flags.parentDeathSignal));
    if (flags.subreaper) sys?.setChildSubreaper();
  } catch (error) {
    log.fatal((error as Error).message);
    process.exit(1);
  }
  // The child will own the terminal; the init, now in a background group, must still be able to write its log.
  if (interactive) sys?.ignoreTerminalStops();
  if (process.pid !== 1 && !flags.subreaper && !sys?.isChildSubreaper()) {
    log.warn(
      'baton is not running as PID 1 and is not registered as a child subreaper: orphaned processes will not be reparented to it, so zombie reaping will not work. Use -s or set TINI_SUBREAPER, or run it as PID 1.',
    );
  }

  const [file, ...args] = command;
  // Plain child_process here, not execa: the child inherits stdio, so execa's output
  // handling has nothing to do, and loading it costs ~12 ms of start-up (see README).
  const plan = planSpawn({ file, args, env: process.env, step: { foreground: interactive } });
  const child = spawn(plan.file, plan.args, { env: plan.env, detached: plan.detached, stdio: 'inherit' });
  own(child);
  // The command's end comes from libuv's 'exit' event, or from the reaper when it took the
  // command's zombie first (see reapAll); whichever comes first counts.
  let commandEnded!: (end: CommandEnd) => void;
  const ended = new Promise<CommandEnd>((resolve) => (commandEnded = resolve));
  // events.once rejects when 'error' comes first: that is a spawn that failed.
  once(child, 'exit').then(
    ([exitCode, signal]) => commandEnded({ exitCode: exitCode as number | null, signal: signal as NodeJS.Signals | null, error: undefined }),
    (error: NodeJS.ErrnoException) => commandEnded({ exitCode: null, signal: null, error }),
  );
  const pid = child.pid;

  let exited = false;
  const forward = (signal: NodeJS.Signals): void => {
    if (pid === undefined || exited) return;
    log.debug({ signal }, `forwarding ${signal} to ${flags.killProcessGroup ? 'process group' : 'child'} ${pid}`);
    try {
      process.kill(flags.killProcessGroup ? -pid : pid, signal);
    } catch {
      // the child is gone already (ESRCH): its exit is on its way
    }
  };
  const stopForwarding = onForwardableSignals(forward);
  for (const signal of releaseSignals()) forward(signal);

  const loadSyscalls = async (): Promise<Syscalls> => (sys ??= await import('../pid1/syscalls.ts'));
  // A command that outlives start-up may leave orphans later: load koffi then, off the
  // start-up path, so that the first burst of zombies is not also waiting for koffi (~5 ms).
  if (sys === undefined) setTimeout(() => void loadSyscalls(), PRELOAD_SYSCALLS_AFTER_MS).unref();
  reapOnSigchld(
    loadSyscalls,
    (syscalls) =>
      reapAll(syscalls, pid, (end) => {
        log.debug({ pid }, 'the command ended during a reaping pass: its status was taken there');
        commandEnded(commandEndOf(end));
      }),
    (reaped, ms) => {
      log.trace({ count: reaped.length, ms }, `reaped ${reaped.length} zombies`);
      if (flags.warnOnReap) for (const pid of reaped) log.warn({ reaped: pid }, `reaped zombie process with pid=${pid}`);
    },
    // When the SIGCHLD was the command's, Node has reaped it by the next turn: the init
    // exits then, and an exiting PID 1 takes every zombie with it, so koffi need not load.
    () => exited || child.exitCode !== null || child.signalCode !== null,
  );

  const { exitCode, signal, error } = await ended;
  let code: number;
  if (error !== undefined) {
    log.error({ command: file, code: error.code }, `exec ${file} failed: ${describeErrno(error.errno)}`);
    code = exitCodeForExecError(error.code);
  } else {
    code = exitCodeOf({ exitCode: exitCode ?? undefined, signal: signal ?? undefined });
    log.info({ pid, exitCode, signal }, `child ${pid} exited with status ${code}`);
  }
  exited = true;
  stopForwarding();
  if (flags.remapToZero.has(code)) code = 0;
  process.exit(code);
}

interface CommandEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  error: NodeJS.ErrnoException | undefined;
}

/** The command's end as the reaper took it: a signal number Node has no name for still gives 128+N. */
function commandEndOf(end: ReapedEnd): CommandEnd {
  if (end.signal === null) return { exitCode: end.exitCode, signal: null, error: undefined };
  const name = signalName(end.signal);
  return name === undefined ? { exitCode: 128 + end.signal, signal: null, error: undefined } : { exitCode: null, signal: name, error: undefined };
}

function describeErrno(errno: number | undefined): string {
  return (errno === undefined ? undefined : getSystemErrorMap().get(errno)?.[1]) ?? 'unknown error';
}

/** tini's verbosity: 0 fatal errors only, 1 warnings (the default), 2 info, 3 debug, 4 trace. */
function verbosityLevel(verbosity: number): LevelWithSilent {
  return VERBOSITY_LEVELS[Math.max(0, Math.min(verbosity, VERBOSITY_LEVELS.length - 1))] ?? 'warn';
}
