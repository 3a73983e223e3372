// The init's own exec step. Node's spawn runs no code between fork and exec, so
// where a child needs something done in that gap (take the terminal, know its own pid
// before exec), the init spawns itself in this mode instead: it does the step through
// koffi, then execs the real command in place, keeping the pid.
import { constants } from 'node:os';
import { exitCodeForExecError } from './exit-status.ts';

/**
 * The hidden first argument that starts the exec step, its parameters as JSON after the `=`.
 * On the command line rather than in the environment: a variable would be the user's to set
 * (BATON_* is theirs, and every unknown one must stay an error), and it would have to be
 * taken out again before the command inherits the environment.
 */
export const EXEC_STEP_FLAG = '--baton-exec-step=';

/** The step's parameters when `args` starts the exec step, else undefined. */
export function execStepOf(args: readonly string[]): string | undefined {
  const [first] = args;
  return first?.startsWith(EXEC_STEP_FLAG) ? first.slice(EXEC_STEP_FLAG.length) : undefined;
}

export interface ExecStep {
  /** Make the child's process group the terminal's foreground group (interactive use). */
  foreground?: boolean;
  /** Set LISTEN_PID to the child's own pid, as systemd socket activation requires. */
  listenPid?: boolean;
  /** Set WATCHDOG_PID to the child's own pid, as systemd does: sd_watchdog_enabled() checks it. */
  watchdogPid?: boolean;
  /**
   * A Node IPC channel for the command (NODE_CHANNEL_FD and its serialization mode), carried
   * here rather than in the environment: the step is Node too, and Node takes the channel
   * named there for its own and removes the variables at start-up.
   */
  nodeChannel?: { fd: string; serialization?: string };
  /** How many descriptors, from 0, the command inherits (stdio, then any passed sockets or pipes). Default 3. */
  fds?: number;
}

export async function runExecStep(encoded: string, argv: string[]): Promise<never> {
  const sys = await import('./syscalls.ts');
  const step = JSON.parse(encoded) as ExecStep;
  const env: Record<string, string | undefined> = { ...process.env };

  sys.setOwnProcessGroup();
  if (step.foreground) {
    try {
      sys.takeTerminal(0, process.pid);
    } catch {
      // stdin is not our controlling terminal (ENOTTY): there is nothing to take
    }
  }
  if (step.listenPid) env.LISTEN_PID = String(process.pid);
  if (step.watchdogPid) env.WATCHDOG_PID = String(process.pid);
  if (step.nodeChannel) {
    env.NODE_CHANNEL_FD = step.nodeChannel.fd;
    if (step.nodeChannel.serialization !== undefined) env.NODE_CHANNEL_SERIALIZATION_MODE = step.nodeChannel.serialization;
  }
  const [file = ''] = argv;
  sys.resetSignals();
  sys.keepOnlyFds(step.fds ?? 3);
  const errno = sys.exec(file, argv, env);

  const { createLogger } = await import('../log/logger.ts');
  createLogger({ level: 'error' }).error({ command: file }, `exec ${file} failed: ${sys.strerror(errno)}`);
  process.exit(exitCodeForExecError(errno === constants.errno.ENOENT ? 'ENOENT' : 'EACCES'));
}
