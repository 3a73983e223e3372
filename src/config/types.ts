// The resolved configuration of supervisor mode: what the BATON_* variables mean
// once validated. Everything above src/config/ works from these types only.
import type { OutputMode } from '../log/output.ts';

export type Readiness =
  | { kind: 'none' }
  | { kind: 'notify' }
  /** A Node IPC channel: process.send('ready'), as pm2's wait_ready. */
  | { kind: 'ipc' }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'http'; url: string };

export type RestartPolicy = 'always' | 'on-failure' | 'never';

/** `service`: runs until stopped, ready when it says so; `oneshot`: a task that runs to completion, done when it exits 0. */
export type ServiceType = 'service' | 'oneshot';

/** What a reload (SIGHUP) does to a service. */
export type ReloadMode = 'replace' | 'restart' | 'signal';

export type Listen = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export interface RunAs {
  uid: number;
  gid: number;
  /** As written in BATON_<NAME>_USER, for messages. */
  spec: string;
  /** From /etc/passwd when the user is known there. */
  home?: string;
  name?: string;
}

export interface ServiceConfig {
  /** Lower-case, as logs show it: BATON_WEB_COMMAND declares `web`, BATON_JOB_RUNNER_COMMAND `job_runner`. */
  name: string;
  /** The NAME part of the variables, upper-case: `WEB`. */
  key: string;
  type: ServiceType;
  argv: [string, ...string[]];
  count: number;
  /** Set when COUNT=auto: how the count was found (the cgroup CPU quota, the affinity mask), for --check. */
  countAuto?: string;
  /** INSTANCE_VAR: also exports the instance's 0-based index under this name (NODE_APP_INSTANCE). */
  instanceVar?: string;
  readiness: Readiness;
  readyTimeoutMs: number;
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
  restart: RestartPolicy;
  user?: RunAs;
  cwd?: string;
  /** BATON_<NAME>_ENV_<VAR>, by VAR: set for this service's instances over the init's environment; unset: none. */
  env?: Readonly<Record<string, string>>;
  reload: ReloadMode;
  listen?: Listen;
  /** LISTEN_SHIM: a listen on PORT takes the LISTEN socket (a preload through NODE_OPTIONS); only with a TCP LISTEN. */
  listenShim?: true;
  /** Once ready, the instance must send a keep-alive within each of these (WATCHDOG=1); unset: no watchdog. */
  watchdogMs?: number;
  /** The services (by name) that must be ready, or completed for a oneshot, before this one starts. */
  after: string[];
  /** When an instance ends for good, everything stops and the init exits with its code. */
  essential: boolean;
  /** Resident memory of an instance's process group above which it is replaced; unset: no limit. */
  maxMemoryBytes?: number;
}

export interface GlobalConfig {
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  logFormat: 'json' | 'pretty';
  output: OutputMode;
  maxRestarts: number;
  /** How many new instances a reload starts at once; Infinity: all of them. */
  reloadParallel: number;
  controlSocket?: string;
  /** On the first SIGTERM/SIGINT: --health turns 1 at once, and the services keep running this long before they are stopped. */
  shutdownDelayMs: number;
}

export interface SupervisorConfig {
  globals: GlobalConfig;
  /** In the order of their names, so that logs and --check are stable. */
  services: ServiceConfig[];
}

export const DEFAULT_READY_TIMEOUT_MS = 30_000;
export const DEFAULT_STOP_TIMEOUT_MS = 8_000;
export const DEFAULT_MAX_RESTARTS = 5;
/** A shorter watchdog would fail a healthy instance whenever the machine is busy for a moment. */
export const MIN_WATCHDOG_MS = 100;
/** Below this, a Node process would be over its limit as soon as it starts. */
export const MIN_MAX_MEMORY_BYTES = 1024 * 1024;

/** Half the CPUs, at least one: the other half is left to the generation that keeps serving during a reload. */
export function defaultReloadParallel(cpus: number): number {
  return Math.max(1, Math.floor(cpus / 2));
}
