// The control socket's protocol: one JSON request line, one JSON answer line, and
// what the answers hold: the status of every generation and instance, and the
// outcome of a reload.
import type { OutputStats } from '../log/output.ts';

/** `services`: the services a reload replaces (none: every one); `targets`: `web` or `web.2`. */
export type ControlRequest =
  | { command: 'status' }
  | { command: 'health' }
  | { command: 'live' }
  | { command: 'reload'; services?: string[] }
  | { command: 'signal'; signal: NodeJS.Signals; targets: string[] };

export type ControlResponse =
  | { ok: true; command: 'status'; status: StatusSnapshot; output?: OutputStats }
  | { ok: true; command: 'health'; healthy: boolean }
  | { ok: true; command: 'live'; live: boolean }
  | { ok: true; command: 'reload'; outcome: ReloadOutcome }
  | { ok: true; command: 'signal'; outcome: SignalOutcome }
  | { ok: false; error: string };

/** Why an instance ended: by itself (cleanly or not), a failed start, its watchdog, a stop on request, or replaced above MAX_MEMORY. */
export type ExitCause = 'crashed' | 'exited' | 'start-failed' | 'watchdog' | 'stopped' | 'memory';

/** A service's figures since the init started, across generations (async-container's Statistics). */
export interface ServiceCounters {
  spawned: number;
  ready: number;
  restarts: number;
  exits: Record<ExitCause, number>;
}

export interface InstanceStatus {
  service: string;
  instance: number;
  generation: number;
  pid: number | null;
  /** `queued`: a reload has yet to start it (BATON_RELOAD_PARALLEL). */
  state: 'starting' | 'ready' | 'stopping' | 'exited' | 'queued';
  /** Null while queued. */
  since: number | null;
  readySince: number | null;
  restarts: number;
  /** Restarts by why the instance before ended. */
  restartsBy: Partial<Record<ExitCause, number>>;
  /** Its last watchdog keep-alive (with a watchdog, while ready), else null. */
  lastKeepAlive: number | null;
  /** Its process group's resident bytes at the last sample (with MAX_MEMORY), else null. */
  rss: number | null;
  lastStatus: string | null;
}

export interface GenerationStatus {
  number: number;
  state: 'live' | 'starting' | 'stopping';
  startedAt: number;
  instances: InstanceStatus[];
}

export interface StatusSnapshot {
  pid: number;
  healthy: boolean;
  reload: 'idle' | 'starting' | 'committing' | 'rolling-back';
  /** Each service's figures since the init started, across generations. */
  services: Record<string, ServiceCounters>;
  generations: GenerationStatus[];
}

export type ReloadOutcome =
  | { committed: true; generation: number; ms: number }
  | { committed: false; generation: number; ms: number; reason: string; service: string; instance: number; lastStatus: string | null }
  | { committed: false; cancelled: true; reason: string };

/** Which instances a signal reached (`web.2`, with its generation and pid), and the targets that named none. */
export interface SignalOutcome {
  delivered: Array<{ instance: string; generation: number; pid: number }>;
  unknown: Array<{ target: string; reason: string }>;
}
