// The init's own log: pino records on stderr. Supervisor mode hands them to the
// ordered writer of stderr (fd-writer.ts) through `sink`; otherwise they are written
// synchronously, so that nothing is lost when the init exits right after logging.
import type { Logger, LevelWithSilent } from 'pino';
import type pinoModule from 'pino';
import { prettyDestination } from './pretty.ts';

export type { Logger, LevelWithSilent };

export interface LoggerOptions {
  level: LevelWithSilent;
  format?: 'json' | 'pretty';
  /** Where each record goes, one line at a time; fd 2, synchronously, when unset. */
  sink?: (line: string) => void;
}

export function createLogger(options: LoggerOptions): Logger {
  const pino = loadPino();
  const { sink } = options;
  const destination =
    options.format === 'pretty'
      ? prettyDestination(Date.now() - Math.round(process.uptime() * 1000), sink)
      : sink !== undefined
        ? { write: sink }
        : pino.destination({ fd: 2, sync: true });
  // No base fields: the init is PID 1 and its host is the container; records about a child carry its pid.
  return pino({ level: options.level, base: undefined }, destination);
}

/**
 * pino, evaluated only once something is logged, to keep it off the start-up path. An
 * import statement would evaluate it when this module is; inside the bundle (CommonJS,
 * see scripts/build.mjs) the literal require() is what esbuild turns into a require of
 * baton-pino.js, and as an ES module (tests run the sources under tsx) there is no require,
 * so one is made for this file. node:module is fetched only then: an import of it would load
 * it, and with it Node's ES module loader, at every start of the bundle (~0.5 ms).
 */
function loadPino(): typeof pinoModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (typeof require === 'function') return require('pino') as typeof pinoModule;
  const { createRequire } = process.getBuiltinModule('node:module');
  return createRequire(import.meta.url)('pino') as typeof pinoModule;
}

/** pino's standard level values, to drop a record below the level without loading pino. */
const LEVEL_VALUES: Record<LevelWithSilent, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

type LevelName = Exclude<LevelWithSilent, 'silent'>;
export type LazyLogger = Record<LevelName, (fields: object | string, message?: string) => void>;

/**
 * A logger that loads pino with its first record at or above the level: single-command
 * mode logs nothing at its default level, and its start-up and exit should not pay for pino.
 */
export function lazyLogger(options: LoggerOptions): LazyLogger {
  let logger: Logger | undefined;
  const threshold = LEVEL_VALUES[options.level];
  const method =
    (level: LevelName) =>
    (fields: object | string, message?: string): void => {
      if (LEVEL_VALUES[level] < threshold) return;
      logger ??= createLogger(options);
      if (typeof fields === 'string') logger[level](fields);
      else logger[level](fields, message);
    };
  return { trace: method('trace'), debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error'), fatal: method('fatal') };
}
