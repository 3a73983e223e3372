// The socket paths the configuration names (BATON_CONTROL_SOCKET, unix LISTEN paths),
// looked at before anything runs: the init binds only where nothing is, or where a dead
// socket was left behind (see pid1/socket-path.ts). `--check` reports the rest, as the
// start would, and nothing is touched.
import { inspectSocketPath } from '../pid1/socket-path.ts';
import type { ConfigError } from './errors.ts';

export interface NamedSocketPath {
  /** The variable that names it. */
  variable: string;
  /** Absolute and normalised. */
  path: string;
}

/** `control` is BATON_CONTROL_SOCKET's path; two LISTEN variables on one path are reported with the port clashes, not here. */
export function socketPathErrors(control: NamedSocketPath | undefined, listens: readonly NamedSocketPath[]): ConfigError[] {
  const errors: ConfigError[] = [];
  const seen = new Set<string>();
  for (const { variable, path } of control === undefined ? listens : [control, ...listens]) {
    if (control !== undefined && variable !== control.variable && path === control.path) {
      errors.push({ variable, message: `${variable}: ${path} is the control socket (${control.variable}); give each socket its own path` });
      continue;
    }
    if (seen.has(path)) continue;
    seen.add(path);
    const state = inspectSocketPath(path);
    if (state.kind === 'taken') {
      errors.push({ variable, message: `${variable}: cannot bind ${path}: ${state.reason}; it is left as it is, choose another path or remove it` });
    }
  }
  return errors;
}
