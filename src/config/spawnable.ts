// What spawn would refuse, found before anything starts: a program that is not there or
// cannot be run, a user the init cannot become. The variables parse fine in these cases;
// only the file system and the init's own rights tell, so this runs after parsing.
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import type { ConfigError } from './errors.ts';
import type { RunAs, ServiceConfig, SupervisorConfig } from './types.ts';

/** execvp's search path when PATH is unset (glibc's default). */
const DEFAULT_PATH = '/bin:/usr/bin';

export interface Identity {
  uid: number;
  gid: number;
}

/** One error per service whose program cannot be found or run, or whose USER the init cannot take. */
export function spawnErrors(config: SupervisorConfig, env: NodeJS.ProcessEnv, self: Identity, cwd: string): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const service of config.services) {
    const userError = service.user && userProblem(service.user, self);
    if (userError) errors.push({ variable: `BATON_${service.key}_USER`, message: `BATON_${service.key}_USER: ${userError}` });
    // The child's own PATH is the one execvp searches, so a BATON_<NAME>_ENV_PATH is the one to check.
    const path = service.env?.PATH === undefined ? { value: env.PATH } : { value: service.env.PATH, from: `BATON_${service.key}_ENV_PATH` };
    const programError = programProblem(service, path, service.cwd ?? cwd, service.user && !userError ? service.user : undefined);
    if (programError) errors.push({ variable: `BATON_${service.key}_COMMAND`, message: `BATON_${service.key}_COMMAND: ${programError}` });
  }
  return errors;
}

/** Changing user takes root (setuid/setgid); staying who it is works for anyone. */
function userProblem(user: RunAs, self: Identity): string | undefined {
  if (self.uid === 0 || (user.uid === self.uid && user.gid === self.gid)) return undefined;
  return `"${user.spec}" (uid ${user.uid}, gid ${user.gid}): the init runs as uid ${self.uid}, gid ${self.gid}, not root, and cannot change user (leave USER out, or start the init as root)`;
}

/**
 * Finds the program as execvp does: a name with a slash is a path (relative to the service's
 * CWD), anything else is looked up in each PATH directory (an empty entry is the CWD) and the
 * first executable file wins. `as` is the user the service runs as, when not the init's.
 */
function programProblem(service: ServiceConfig, path: { value: string | undefined; from?: string }, cwd: string, as: RunAs | undefined): string | undefined {
  const [program] = service.argv;
  if (program.includes('/')) {
    const full = resolve(cwd, program);
    const stats = statOf(full);
    if (stats === undefined) return `the program ${program} does not exist${program.startsWith('/') ? '' : ` (looked for ${full})`}`;
    if (!stats.isFile()) return `the program ${program} is not a file`;
    if (!executable(full, stats, as)) return `the program ${program} is not executable${as ? ` by ${as.spec}` : ''}`;
    return undefined;
  }
  const dirs = (path.value ?? DEFAULT_PATH).split(':');
  let notExecutable: string | undefined;
  for (const dir of dirs) {
    const full = resolve(cwd, dir === '' ? '.' : dir, program);
    const stats = statOf(full);
    if (stats === undefined || !stats.isFile()) continue;
    if (executable(full, stats, as)) return undefined;
    notExecutable ??= full;
  }
  if (notExecutable) return `the program ${program} is not executable (${notExecutable}${as ? `, for ${as.spec}` : ''})`;
  const searched = path.value === undefined ? `unset, so ${DEFAULT_PATH}` : path.from === undefined ? path.value : `${path.value}, from ${path.from}`;
  return `the program ${program} is not found in PATH (${searched})`;
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** As the init itself, access(2) says; as another user, the mode bits for that uid and gid (its supplementary groups are dropped). */
function executable(path: string, stats: Stats, as: RunAs | undefined): boolean {
  if (as === undefined) {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  if (as.uid === 0) return (stats.mode & 0o111) !== 0;
  if (stats.uid === as.uid) return (stats.mode & 0o100) !== 0;
  if (stats.gid === as.gid) return (stats.mode & 0o010) !== 0;
  return (stats.mode & 0o001) !== 0;
}
