// Why the init will not go on, thrown by the step that finds out and caught by its mode,
// which logs it and returns the exit code: only src/init.ts exits. A throw, not a return
// value, so that the steps in between (reading the configuration, binding sockets, taking
// the runtime directory) read as a list of calls.
import type { ConfigError } from '../config/errors.ts';
import { createLogger } from '../log/logger.ts';
import { EXIT_BAD_CONFIG } from '../pid1/exit-codes.ts';

type LevelMethod = (fields: object | string, message?: string) => void;
/** pino's logger, or single-command mode's lazy one. */
type RefusalLog = Record<RefusalLevel, LevelMethod>;

export interface RefusalLine {
  /** The record's fields, e.g. `{ variable }` naming what to fix. */
  readonly fields?: Record<string, unknown>;
  readonly message: string;
}

/**
 * `error`: a report of bad configuration, one line per error; `fatal`: the init's own
 * set-up failed. The level of the records, and the mode's cue for which log they go to.
 */
export type RefusalLevel = 'error' | 'fatal';

export class Refusal extends Error {
  constructor(
    readonly code: number,
    readonly level: RefusalLevel,
    readonly lines: readonly RefusalLine[],
  ) {
    super(lines.map((line) => line.message).join('; '));
    this.name = 'Refusal';
  }
}

/** Configuration errors, one line each naming the variable: exit 2. */
export function configRefusal(errors: readonly ConfigError[]): Refusal {
  return new Refusal(
    EXIT_BAD_CONFIG,
    'error',
    errors.map((error) => ({ fields: { variable: error.variable }, message: error.message })),
  );
}

/** Logs each line at the refusal's level; a line without fields is a bare message, as pino prints it. */
export function logRefusal(refusal: Refusal, log: RefusalLog): void {
  for (const line of refusal.lines) {
    if (line.fields === undefined) log[refusal.level](line.message);
    else log[refusal.level](line.fields, line.message);
  }
}

/**
 * The exit code of a refusal, once logged. A configuration report goes to a logger of its
 * own at level error, shown whatever BATON_LOG_LEVEL says (the level may be what is wrong,
 * and none is read yet); a failed set-up goes to `log`, the init's log, when it is up.
 * Anything but a refusal is a bug, and goes on up to init.ts.
 */
export function exitCodeOfRefusal(error: unknown, log?: RefusalLog): number {
  if (!(error instanceof Refusal)) throw error;
  logRefusal(error, error.level === 'fatal' && log !== undefined ? log : reportLogger());
  return error.code;
}

function reportLogger(): RefusalLog {
  return createLogger({ level: 'error', format: process.env.BATON_LOG_FORMAT === 'pretty' ? 'pretty' : 'json' });
}
