// Which BATON_* variables exist and what each belongs to: a global, a key or a variable
// (BATON_<NAME>_ENV_<VAR>) of a declared service, or nothing (an error: a typo silently
// ignored would be a setting silently lost).
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
  'MAX_MEMORY',
  'INSTANCE_VAR',
] as const;
export type ServiceKey = (typeof SERVICE_KEYS)[number];

/** Set by baton in its children's environment: a nested init sees them and must not choke. */
const CHILD_VARIABLES: readonly string[] = ['BATON_SERVICE', 'BATON_INSTANCE', 'BATON_GENERATION', 'BATON_SINGLETON'];

const PREFIX = 'BATON_';
const NAME = /^[A-Z0-9]+(?:_[A-Z0-9]+)*$/;
const COMMAND_SUFFIX = '_COMMAND';
/**
 * BATON_<NAME>_ENV_<VAR>: the NAME is everything before the first _ENV_. No service name has ENV
 * as a word, so no other split can name a service, and no _COMMAND variable with _ENV_ in it is
 * a declaration: BATON_WEB_ENV_GIT_SSH_COMMAND is web's GIT_SSH_COMMAND, never a service web_env_git_ssh.
 */
const ENV_INFIX = '_ENV_';
const RESERVED_WORD = 'ENV';
/** POSIX's portable names; lower case too, since some are conventionally lower-case (http_proxy). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Set by baton for each instance (or stripped from the init's environment): a service cannot set them. */
const BATON_SET: readonly string[] = ['NOTIFY_SOCKET', 'NOTIFY_PIPE', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE'];

export interface DeclaredService {
  /** `JOB_RUNNER` */
  key: string;
  /** `job_runner` */
  name: string;
  /** The service's variables by key (`COUNT`), as envalid is given them. */
  values: Partial<Record<ServiceKey, string>>;
  /** Its BATON_<NAME>_ENV_<VAR> variables, by VAR. */
  env: Record<string, string>;
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

  for (const variable of names.filter((name) => name.endsWith(COMMAND_SUFFIX) && envSplit(name) === undefined)) {
    const key = variable.slice(PREFIX.length, -COMMAND_SUFFIX.length);
    if (isServiceName(key)) {
      services.set(key, { key, name: key.toLowerCase(), values: {}, env: {} });
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
    const split = envSplit(variable);
    if (split !== undefined) {
      const service = services.get(split.owner);
      const problem = service === undefined ? undeclaredOwner(variable, split.owner) : envNameProblem(split.name);
      if (problem !== undefined) errors.push({ variable, message: `${variable}: ${problem}` });
      else if (service !== undefined) service.env[split.name] = env[variable] ?? '';
      continue;
    }
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

function isServiceName(key: string): boolean {
  return NAME.test(key) && !key.split('_').includes(RESERVED_WORD);
}

/** The service and the variable a BATON_<NAME>_ENV_<VAR> names; undefined when the variable has no _ENV_ after a name. */
function envSplit(variable: string): { owner: string; name: string } | undefined {
  const at = variable.indexOf(ENV_INFIX, PREFIX.length);
  if (at <= PREFIX.length) return undefined;
  return { owner: variable.slice(PREFIX.length, at), name: variable.slice(at + ENV_INFIX.length) };
}

function envNameProblem(name: string): string | undefined {
  if (name === '') return 'no variable name after _ENV_ (use BATON_<NAME>_ENV_<VAR>, e.g. BATON_WEB_ENV_NODE_OPTIONS)';
  if (!ENV_NAME.test(name)) return `"${name}" is not an environment variable name (use letters, digits and underscores, not starting with a digit)`;
  if (name.startsWith(PREFIX)) return `${name} cannot be set per service: BATON_* names are baton's own, and the init passes none to its children but BATON_SERVICE, BATON_INSTANCE and BATON_GENERATION`;
  if (BATON_SET.includes(name)) return `${name} cannot be set per service: baton sets it (or leaves it out) for each instance`;
  return undefined;
}

function undeclaredOwner(variable: string, owner: string): string {
  if (!isServiceName(owner)) return badName(owner);
  // Spelled like a declaration of a service whose name has the word ENV, which no service name can have.
  const notDeclaration = variable.endsWith(COMMAND_SUFFIX) ? `; it does not declare a service ${variable.slice(PREFIX.length, -COMMAND_SUFFIX.length).toLowerCase()}: a service name cannot have ENV as a word` : '';
  return `sets ${variable.slice(PREFIX.length + owner.length + ENV_INFIX.length)} for service ${owner.toLowerCase()}, but no service ${owner.toLowerCase()} is declared (${PREFIX}${owner}${COMMAND_SUFFIX} is not set)${notDeclaration}`;
}

function isServiceKey(text: string): text is ServiceKey {
  return (SERVICE_KEYS as readonly string[]).includes(text);
}

function badName(key: string): string {
  if (key === '') return 'declares a service without a name (use BATON_<NAME>_COMMAND, e.g. BATON_WEB_COMMAND)';
  if (NAME.test(key)) {
    return `"${key}" is not a service name: ENV cannot be one of its words, since BATON_<NAME>_ENV_<VAR> sets VAR for service NAME (rename the service, e.g. ${key.split('_').map((word) => (word === RESERVED_WORD ? 'ENVIRONMENT' : word)).join('_')})`;
  }
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
    return `${variable}: not a known variable of service ${owner.toLowerCase()} (known: ${SERVICE_KEYS.join(', ')}, ENV_<VAR>)${hint}`;
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
