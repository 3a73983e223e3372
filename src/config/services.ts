// Supervisor mode's configuration: every BATON_* variable validated at once, so that a bad
// setup is refused before anything is spawned, with every problem listed.
import { cleanEnv, type ReporterOptions } from 'envalid';
import { availableParallelism } from 'node:os';
import { autoCount, CpuCountError, type AutoCount } from './cpu-count.ts';
import { collectErrors, type ConfigError } from './errors.ts';
import { readLogSettings } from './globals.ts';
import type { OutputMode } from '../log/output.ts';
import {
  DEFAULT_MAX_RESTARTS,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  defaultReloadParallel,
  type GlobalConfig,
  type Listen,
  type ReloadMode,
  type RestartPolicy,
  type ServiceConfig,
  type ServiceType,
  type SupervisorConfig,
} from './types.ts';
import { socketPathErrors } from './socket-paths.ts';
import { loadUserDb, type UserDb } from './users.ts';
import { startOrderErrors } from './start-order.ts';
import { absolutePath, command, countOrAll, directory, duration, instanceCount, instanceVar, listen, memorySize, nonNegativeInt, oneOf, readiness, runAs, serviceNames, signal, timeout, watchdog, yesNo } from './validators.ts';
import { byCodeUnit, sortVariables, type DeclaredService, type ServiceKey } from './variables.ts';

export { formatPlan } from './plan.ts';

const OUTPUT_MODES = ['inherit', 'prefix', 'json'] as const satisfies readonly OutputMode[];
const RESTART_POLICIES = ['always', 'on-failure', 'never'] as const satisfies readonly RestartPolicy[];
const RELOAD_MODES = ['replace', 'restart', 'signal'] as const satisfies readonly ReloadMode[];
const SERVICE_TYPES = ['service', 'oneshot'] as const satisfies readonly ServiceType[];
/**
 * What a oneshot has no use for: it is done when it exits 0, runs again on every reload, and is
 * never restarted; and it ends for good each time it completes, which ESSENTIAL would make the end of everything.
 */
const NOT_FOR_ONESHOTS = ['READY', 'RESTART', 'RELOAD', 'WATCHDOG', 'ESSENTIAL', 'MAX_MEMORY'] as const satisfies readonly ServiceKey[];
const MAX_COUNT = 256;

/**
 * The supervisor's configuration from the environment. `files` holds the text of
 * /etc/passwd and /etc/group (for tests); by default the real files are read, and only
 * when a BATON_<NAME>_USER is set. `files.root` is where /proc and /sys are read for
 * COUNT=auto (a fixture tree in tests), only when a COUNT is auto. `config` is set only
 * when `errors` is empty.
 */
export function readSupervisorConfig(
  env: NodeJS.ProcessEnv,
  files: { passwd?: string; group?: string; root?: string } = {},
): { config?: SupervisorConfig; errors: ConfigError[] } {
  const { services: declared, errors } = sortVariables(env);
  const globals = readGlobals(env, errors);
  let db: UserDb | undefined;
  const users = (): UserDb => (db ??= loadUserDb(files));
  // Once for every service: they all share the container's CPUs.
  let cpus: AutoCount | undefined;
  const autoCpus = (): AutoCount => (cpus ??= autoCount(files.root ?? '/', MAX_COUNT));
  const timeouts = globals ?? { readyTimeoutMs: DEFAULT_READY_TIMEOUT_MS, stopTimeoutMs: DEFAULT_STOP_TIMEOUT_MS };

  const services: ServiceConfig[] = [];
  const listens: { service: DeclaredService; listen: Listen }[] = [];
  for (const service of declared) {
    const read = readService(service, timeouts, users, autoCpus, errors);
    if (read.config) services.push(read.config);
    if (read.listen) listens.push({ service, listen: read.listen });
  }
  errors.push(...listenConflicts(listens));
  // Only once every service read: an AFTER may name one whose other variables are wrong.
  if (services.length === declared.length) errors.push(...startOrderErrors(services));
  const control = globals?.controlSocket === undefined ? undefined : { variable: 'BATON_CONTROL_SOCKET', path: globals.controlSocket };
  errors.push(...socketPathErrors(control, unixListens(listens)));
  if (declared.length === 0) {
    errors.push({
      variable: 'BATON_<NAME>_COMMAND',
      message:
        'BATON_<NAME>_COMMAND: no service is declared; declare each service with BATON_<NAME>_COMMAND ' +
        '(e.g. BATON_WEB_COMMAND="node web.js"), or run a single command with node /init.js -- COMMAND',
    });
  }

  // By variable, so that one service's problems are listed together; sort is stable within a variable.
  errors.sort((a, b) => byCodeUnit(a.variable, b.variable));
  if (errors.length > 0 || globals === undefined) return { errors };
  return { config: { globals, services }, errors };
}

function readGlobals(env: NodeJS.ProcessEnv, errors: ConfigError[]): GlobalConfig | undefined {
  const log = readLogSettings(env);
  const { errors: found, reporter } = collectErrors();
  const clean = cleanEnv(
    env,
    {
      BATON_READY_TIMEOUT: timeout({ default: DEFAULT_READY_TIMEOUT_MS }),
      BATON_STOP_TIMEOUT: timeout({ default: DEFAULT_STOP_TIMEOUT_MS }),
      BATON_OUTPUT: oneOf(OUTPUT_MODES)({ default: 'inherit' }),
      BATON_MAX_RESTARTS: nonNegativeInt({ default: DEFAULT_MAX_RESTARTS }),
      BATON_RELOAD_PARALLEL: countOrAll({ default: defaultReloadParallel(availableParallelism()) }),
      BATON_CONTROL_SOCKET: absolutePath({ default: undefined }),
      BATON_SHUTDOWN_DELAY: duration({ default: 0 }),
    },
    { reporter },
  );
  errors.push(...log.errors, ...found);
  // envalid throws when a variable that failed validation is read: read none then.
  if (log.errors.length > 0 || found.length > 0) return undefined;
  return {
    readyTimeoutMs: clean.BATON_READY_TIMEOUT,
    stopTimeoutMs: clean.BATON_STOP_TIMEOUT,
    // Unlike single-command mode, the supervisor has no -v flags to derive a level from.
    logLevel: log.settings.level ?? 'info',
    logFormat: log.settings.format,
    output: clean.BATON_OUTPUT,
    maxRestarts: clean.BATON_MAX_RESTARTS,
    reloadParallel: clean.BATON_RELOAD_PARALLEL,
    shutdownDelayMs: clean.BATON_SHUTDOWN_DELAY,
    ...(clean.BATON_CONTROL_SOCKET === undefined ? {} : { controlSocket: clean.BATON_CONTROL_SOCKET }),
  };
}

function serviceSpec(timeouts: { readyTimeoutMs: number; stopTimeoutMs: number }, users: () => UserDb) {
  return {
    COMMAND: command(),
    COUNT: instanceCount(MAX_COUNT)({ default: 1 }),
    READY: readiness({ default: { kind: 'none' } }),
    READY_TIMEOUT: timeout({ default: timeouts.readyTimeoutMs }),
    STOP_SIGNAL: signal({ default: 'SIGTERM' }),
    STOP_TIMEOUT: timeout({ default: timeouts.stopTimeoutMs }),
    RESTART: oneOf(RESTART_POLICIES)({ default: 'always' }),
    USER: runAs(users)({ default: undefined }),
    CWD: directory({ default: undefined }),
    RELOAD: oneOf(RELOAD_MODES)({ default: 'replace' }),
    LISTEN: listen({ default: undefined }),
    LISTEN_SHIM: yesNo({ default: false }),
    WATCHDOG: watchdog({ default: undefined }),
    TYPE: oneOf(SERVICE_TYPES)({ default: 'service' }),
    AFTER: serviceNames({ default: [] }),
    ESSENTIAL: yesNo({ default: false }),
    MAX_MEMORY: memorySize({ default: undefined }),
    INSTANCE_VAR: instanceVar({ default: undefined }),
  } satisfies Record<ServiceKey, unknown>;
}

/**
 * One service's variables, given to envalid by key (`COUNT`) so that the spec is typed, and
 * renamed back to the full variable in the errors. `listen` is returned even when another
 * key is bad, so that a port clash is reported in the same run.
 */
function readService(
  service: DeclaredService,
  timeouts: { readyTimeoutMs: number; stopTimeoutMs: number },
  users: () => UserDb,
  autoCpus: () => AutoCount,
  errors: ConfigError[],
): { config?: ServiceConfig; listen?: Listen } {
  const { errors: found, reporter } = collectErrors();
  const failed = new Set<string>();
  const renamed = ({ errors: byKey, env }: ReporterOptions<Record<string, unknown>>): void => {
    for (const key of Object.keys(byKey)) if (byKey[key]) failed.add(key);
    const byVariable = Object.fromEntries(Object.entries(byKey).map(([key, error]) => [variableOf(service, key), error]));
    reporter({ errors: byVariable, env });
  };
  const clean = cleanEnv(service.values, serviceSpec(timeouts, users), { reporter: renamed });
  errors.push(...found);
  if (!failed.has('TYPE') && clean.TYPE === 'oneshot') {
    for (const key of NOT_FOR_ONESHOTS.filter((key) => service.values[key] !== undefined)) {
      failed.add(key);
      const variable = variableOf(service, key);
      errors.push({ variable, message: `${variable}: ${service.name} is a oneshot (BATON_${service.key}_TYPE=oneshot): it is done when it exits 0, runs again on every reload and is never restarted, so ${key} does not apply; remove it` });
    }
  }
  if (!failed.has('INSTANCE_VAR') && clean.INSTANCE_VAR !== undefined && Object.hasOwn(service.env, clean.INSTANCE_VAR)) {
    failed.add('INSTANCE_VAR');
    const variable = variableOf(service, 'INSTANCE_VAR');
    errors.push({ variable, message: `${variable}: ${clean.INSTANCE_VAR} is also set by BATON_${service.key}_ENV_${clean.INSTANCE_VAR}; one of the two would be lost: keep one` });
  }
  const count = failed.has('COUNT') ? undefined : resolveCount(service, clean.COUNT, autoCpus, errors);
  if (count === undefined) failed.add('COUNT');
  const listen = failed.has('LISTEN') ? undefined : clean.LISTEN;
  if (!failed.has('LISTEN_SHIM') && clean.LISTEN_SHIM && !failed.has('LISTEN') && listen?.kind !== 'tcp') {
    failed.add('LISTEN_SHIM');
    const variable = variableOf(service, 'LISTEN_SHIM');
    const why = listen === undefined ? `${variableOf(service, 'LISTEN')} is not set` : `${variableOf(service, 'LISTEN')} is a unix socket, which has no port`;
    errors.push({ variable, message: `${variable}: the listen shim hands over the socket of a TCP LISTEN to a listen on its PORT, and ${why}; set a TCP LISTEN (PORT or HOST:PORT) or remove it` });
  }
  if (!failed.has('LISTEN_SHIM') && clean.LISTEN_SHIM && Object.hasOwn(service.env, 'PORT')) {
    failed.add('LISTEN_SHIM');
    const variable = variableOf(service, 'LISTEN_SHIM');
    errors.push({ variable, message: `${variable}: the listen shim sets PORT to the LISTEN port, and BATON_${service.key}_ENV_PORT sets it too; remove BATON_${service.key}_ENV_PORT` });
  }
  if (failed.size > 0 || count === undefined) return listen ? { listen } : {};
  const config: ServiceConfig = {
    name: service.name,
    key: service.key,
    type: clean.TYPE,
    argv: clean.COMMAND,
    count: count.count,
    readiness: clean.READY,
    readyTimeoutMs: clean.READY_TIMEOUT,
    stopSignal: clean.STOP_SIGNAL,
    stopTimeoutMs: clean.STOP_TIMEOUT,
    restart: clean.RESTART,
    reload: clean.RELOAD,
    after: clean.AFTER,
    essential: clean.ESSENTIAL,
    ...definedOnly({
      countAuto: count.auto,
      instanceVar: clean.INSTANCE_VAR,
      user: clean.USER,
      cwd: clean.CWD,
      env: Object.keys(service.env).length === 0 ? undefined : service.env,
      listen,
      listenShim: clean.LISTEN_SHIM ? (true as const) : undefined,
      watchdogMs: clean.WATCHDOG,
      maxMemoryBytes: clean.MAX_MEMORY,
    }),
  };
  return listen ? { config, listen } : { config };
}

/** COUNT as a number; `auto` resolved from the container's CPUs, or an error naming the file that could not be understood. */
function resolveCount(service: DeclaredService, count: number | 'auto', autoCpus: () => AutoCount, errors: ConfigError[]): { count: number; auto?: string } | undefined {
  if (count !== 'auto') return { count };
  try {
    const resolved = autoCpus();
    return { count: resolved.count, auto: resolved.reason };
  } catch (error) {
    if (!(error instanceof CpuCountError)) throw error;
    const variable = variableOf(service, 'COUNT');
    errors.push({ variable, message: `${variable}: auto cannot tell how many CPUs the container may use: ${error.message}; set a number instead` });
    return undefined;
  }
}

function variableOf(service: DeclaredService, key: string): string {
  return `BATON_${service.key}_${key}`;
}

function unixListens(listens: { service: DeclaredService; listen: Listen }[]): { variable: string; path: string }[] {
  return listens.flatMap(({ service, listen }) => (listen.kind === 'unix' ? [{ variable: variableOf(service, 'LISTEN'), path: listen.path }] : []));
}

/** Two services cannot bind the same port or socket path; the later one in name order is the error. */
function listenConflicts(listens: { service: DeclaredService; listen: Listen }[]): ConfigError[] {
  const errors: ConfigError[] = [];
  const taken = new Map<string, DeclaredService>();
  for (const { service, listen } of listens) {
    // By port alone: 0.0.0.0:8080 clashes with any other host on 8080, and two services on one port is a mistake anyway.
    const slot = listen.kind === 'tcp' ? `port ${listen.port}` : `socket ${listen.path}`;
    const first = taken.get(slot);
    if (first === undefined) {
      taken.set(slot, service);
      continue;
    }
    const variable = variableOf(service, 'LISTEN');
    errors.push({
      variable,
      message: `${variable}: ${slot} is already taken by service ${first.name} (${variableOf(first, 'LISTEN')}); give each service its own port or socket path`,
    });
  }
  return errors;
}

/** The fields whose value is set: an optional field of the configuration is absent, never undefined. */
function definedOnly<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
