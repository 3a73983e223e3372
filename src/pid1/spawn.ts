// How a child gets a process group of its own, so that a signal can reach its whole tree.
// This module only plans the spawn; the caller runs it (execa in supervisor mode,
// child_process in single-command mode, see src/modes/single-command.ts).
import { EXEC_STEP_FLAG, type ExecStep } from './exec-step.ts';

export interface SpawnRequest {
  file: string;
  args: readonly string[];
  env: Record<string, string | undefined>;
  step: ExecStep;
}

export interface SpawnPlan {
  file: string;
  args: string[];
  env: Record<string, string | undefined>;
  /** A new session is also a new process group whose id is the child's pid. */
  detached: boolean;
}

// The bundle runs as the main script: Node sets argv[1] to its absolute path.
const INIT_SCRIPT = process.argv[1] ?? '/init.js';

/**
 * A child that needs nothing between fork and exec starts in a new session (setsid,
 * which Node does for `detached`). One that must take the terminal, or learn its pid
 * before exec, runs the init's exec step first (see exec-step.ts), which calls
 * setpgid itself and then execs the command in place.
 */
export function planSpawn(request: SpawnRequest): SpawnPlan {
  const needsStep = request.step.foreground === true || request.step.listenPid === true || request.step.watchdogPid === true;
  if (!needsStep) return { file: request.file, args: [...request.args], env: request.env, detached: true };
  const { NODE_CHANNEL_FD: fd, NODE_CHANNEL_SERIALIZATION_MODE: serialization, ...env } = request.env;
  const step: ExecStep = fd === undefined ? request.step : { ...request.step, nodeChannel: { fd, ...(serialization === undefined ? {} : { serialization }) } };
  return {
    file: process.execPath,
    args: [INIT_SCRIPT, `${EXEC_STEP_FLAG}${JSON.stringify(step)}`, request.file, ...request.args],
    env: fd === undefined ? request.env : env,
    detached: false,
  };
}
