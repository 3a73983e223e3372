// `--check`, and the checks the start makes the same way: the configuration (with what spawn
// would refuse) and the runtime directory. Each throws a Refusal listing what is wrong.
import { readSupervisorConfig, formatPlan } from '../config/services.ts';
import { spawnErrors } from '../config/spawnable.ts';
import type { SupervisorConfig } from '../config/types.ts';
import { runtimeDirProblem } from '../control/paths.ts';
import { EXIT_BAD_CONFIG, EXIT_OK } from '../pid1/exit-codes.ts';
import { configRefusal, exitCodeOfRefusal, Refusal } from './refusal.ts';

/** Validates the configuration and prints the plan; nothing is made or changed. */
export function runCheck(): number {
  try {
    const plan = loadConfig();
    checkRuntimeDir();
    process.stdout.write(formatPlan(plan));
    return EXIT_OK;
  } catch (error) {
    return exitCodeOfRefusal(error);
  }
}

/** Reads and validates the configuration; every error at once, one line each (exit 2). */
export function loadConfig(): SupervisorConfig {
  const { config, errors } = readSupervisorConfig(process.env);
  if (config && errors.length === 0) {
    const refused = spawnErrors(config, process.env, { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 }, process.cwd());
    if (refused.length === 0) return config;
    errors.push(...refused);
  }
  throw configRefusal(errors);
}

/** A runtime directory the start would refuse, found by looking only (exit 2). */
export function checkRuntimeDir(): void {
  const problem = runtimeDirProblem();
  if (problem !== undefined) throw new Refusal(EXIT_BAD_CONFIG, 'error', [{ message: problem }]);
}
