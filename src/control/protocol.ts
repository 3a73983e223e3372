// The control socket's protocol: one JSON request line, one JSON answer line.
import type { OutputStats } from '../log/output.ts';
import type { ReloadOutcome, StatusSnapshot } from '../supervise/supervisor.ts';

export type ControlRequest = { command: 'status' } | { command: 'health' } | { command: 'reload' };

export type ControlResponse =
  | { ok: true; command: 'status'; status: StatusSnapshot; output?: OutputStats }
  | { ok: true; command: 'health'; healthy: boolean }
  | { ok: true; command: 'reload'; outcome: ReloadOutcome }
  | { ok: false; error: string };
