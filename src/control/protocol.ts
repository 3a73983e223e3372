// The control socket's protocol: one JSON request line, one JSON answer line, and
// what the answers hold: the status of every generation and instance, and the
// outcome of a reload.
import type { OutputStats } from '../log/output.ts';

export type ControlRequest = { command: 'status' } | { command: 'health' } | { command: 'reload' };

export type ControlResponse =
  | { ok: true; command: 'status'; status: StatusSnapshot; output?: OutputStats }
  | { ok: true; command: 'health'; healthy: boolean }
  | { ok: true; command: 'reload'; outcome: ReloadOutcome }
  | { ok: false; error: string };

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
  generations: GenerationStatus[];
}

export type ReloadOutcome =
  | { committed: true; generation: number; ms: number }
  | { committed: false; generation: number; ms: number; reason: string; service: string; instance: number; lastStatus: string | null }
  | { committed: false; cancelled: true; reason: string };
