// The control socket's protocol: one JSON request line, one JSON answer line.
import type { StatusSnapshot } from '../supervise/supervisor.ts';

export type ControlRequest = { command: 'status' } | { command: 'health' };

export type ControlResponse =
  | { ok: true; command: 'status'; status: StatusSnapshot }
  | { ok: true; command: 'health'; healthy: boolean }
  | { ok: false; error: string };
