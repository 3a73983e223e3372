// Which BATON_* variables exist and what each belongs to: a global, a key of a declared
// service, or nothing (an error: a typo silently ignored would be a setting silently lost).
import type { ConfigError } from './errors.ts';

const GLOBAL_VARIABLES = [
  'BATON_READY_TIMEOUT',
  'BATON_STOP_TIMEOUT',
  'BATON_LOG_LEVEL',
  'BATON_LOG_FORMAT',
  'BATON_OUTPUT',
  'BATON_MAX_RESTARTS',
  'BATON_RELOAD_PARALLEL',
  'BATON_CONTROL_SOCKET',
  'BATON_SHUTDOWN_DELAY',
] as const;

const SERVICE_KEYS = [
  'COMMAND',
  'COUNT',
  'READY',
  'READY_TIMEOUT',
  'STOP_SIGNAL',
  'STOP_TIMEOUT',
  'RESTART',
  'USER',
  'CWD',
  'RELOAD',
  'LISTEN',
  'LISTEN_SHIM',
  'WATCHDOG',
  'TYPE',
  'AFTER',
  'ESSENTIAL',
] as const;
export type ServiceKey = (typeof SERVICE_KEYS)[number];

/** Set by baton in its children's environment: a nested init sees them and must not choke. */
const CHILD_VARIABLES: readonly string[] = ['BATON_SERVICE', 'BATON_INSTANCE', 'BATON_GENERATION'];

const PREFIX = 'BATON_';
const NAME = /^[A-Z0-9]+(?:_[A-Z0-9]+)*$/;
const COMMAND_SUFFIX = '_COMMAND';

export interface DeclaredService {
  /** `JOB_RUNNER` */
  key: string;
  /** `job_runner` */
  name: string;
  /** The service's variables by key (`COUNT`), as envalid is given them. */
  values: Partial<Record<ServiceKey, string>>;
}

/** The declared services in the order of their names, and one error per variable that belongs to nothing. */
export function sortVariables(env: NodeJS.ProcessEnv): { services: DeclaredService[]; errors: ConfigError[] } {
  const names = Object.keys(env)
    .filter((variable) => variable.startsWith(PREFIX) && env[variable] !== undefined)
    .filter((variable) => !(GLOBAL_VARIABLES as readonly string[]).includes(variable) && !CHILD_VARIABLES.includes(variable))
    .sort();
  const errors: ConfigError[] = [];
  const services = new Map<string, DeclaredService>();
  const badDeclarations = new Set<string>();

  for (const variable of names.filter((name) => name.endsWith(COMMAND_SUFFIX))) {
    const key = variable.slice(PREFIX.length, -COMMAND_SUFFIX.length);
    if (NAME.test(key)) {
      services.set(key, { key, name: key.toLowerCase(), values: {} });
    } else {
      badDeclarations.add(variable);
      errors.push({ variable, message: `${variable}: ${badName(key)}` });
    }
  }

  // Longest first, so that an unknown key is blamed on the closest service: BATON_JOB_RUNNER_CONUT on
  // job_runner, not job. (Which service a known key belongs to is never ambiguous: no key is another
  // key with a word in front, so at most one owner leaves a known key.)
  const keys = [...services.keys()].sort((a, b) => b.length - a.length || byCodeUnit(a, b));
  for (const variable of names.filter((name) => !badDeclarations.has(name))) {
    const owners = keys.filter((key) => variable.startsWith(`${PREFIX}${key}_`));
    // Every owner is tried: with WEB and WEB_READY declared, BATON_WEB_READY_TIMEOUT is WEB's READY_TIMEOUT.
    const owner = owners.find((key) => isServiceKey(variable.slice(`${PREFIX}${key}_`.length)));
    if (owner !== undefined) {
      const service = services.get(owner);
      if (service) service.values[variable.slice(`${PREFIX}${owner}_`.length) as ServiceKey] = env[variable];
      continue;
    }
    errors.push({ variable, message: unknownMessage(variable, owners[0], [...services.values()]) });
  }

  return { services: [...services.values()].sort((a, b) => byCodeUnit(a.name, b.name)), errors };
}

/** Not localeCompare: the order must not depend on the image's locale. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isServiceKey(text: string): text is ServiceKey {
  return (SERVICE_KEYS as readonly string[]).includes(text);
}

function badName(key: string): string {
  if (key === '') return 'declares a service without a name (use BATON_<NAME>_COMMAND, e.g. BATON_WEB_COMMAND)';
  return `"${key}" is not a service name (use upper-case letters and digits, words joined by single underscores, e.g. BATON_JOB_RUNNER_COMMAND)`;
}

function unknownMessage(variable: string, owner: string | undefined, services: DeclaredService[]): string {
  const candidates = [...GLOBAL_VARIABLES, ...services.flatMap((service) => SERVICE_KEYS.map((key) => `${PREFIX}${service.key}_${key}`))];
  const hint = suggestion(variable, candidates);
  // A declared owner cannot match here (it would have taken the variable), so BATON_WEB_API_COUNT
  // with only WEB declared is about a missing WEB_API, not a strange key of WEB.
  for (const key of SERVICE_KEYS) {
    const name = variable.slice(PREFIX.length, -(key.length + 1));
    if (variable.endsWith(`_${key}`) && NAME.test(name)) {
      return `${variable}: no service ${name.toLowerCase()} is declared (${PREFIX}${name}${COMMAND_SUFFIX} is not set)${hint}`;
    }
  }
  if (owner !== undefined) {
    return `${variable}: not a known variable of service ${owner.toLowerCase()} (known: ${SERVICE_KEYS.join(', ')})${hint}`;
  }
  return `${variable}: not a baton variable (globals: ${GLOBAL_VARIABLES.join(', ')}; services are declared with BATON_<NAME>_COMMAND)${hint}`;
}

/** `; did you mean X?` for the one closest candidate within two edits, else nothing. */
function suggestion(variable: string, candidates: readonly string[]): string {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(variable, candidate);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best ? `; did you mean ${best.candidate}?` : '';
}

/** Levenshtein distance: a typo or a swap of neighbours (CONUT for COUNT) is at most two edits. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i];
    if (row === undefined) continue;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
    }
  }
  return at(a.length, b.length);
}
