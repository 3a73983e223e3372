// The init's own log: pino records on stderr, written synchronously so that
// nothing is lost when the init exits right after logging.
import type { Logger, LevelWithSilent } from 'pino';
import type pinoModule from 'pino';
import { prettyDestination } from './pretty.ts';

export type { Logger, LevelWithSilent };

export interface LoggerOptions {
  level: LevelWithSilent;
  format?: 'json' | 'pretty';
}

export function createLogger(options: LoggerOptions): Logger {
  // A plain require, which the bundler turns into a lazy call: pino is only
  // evaluated once something is logged, keeping it off the start-up path.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pino = require('pino') as typeof pinoModule;
  const destination =
    options.format === 'pretty'
      ? prettyDestination(2, Date.now() - Math.round(process.uptime() * 1000))
      : pino.destination({ fd: 2, sync: true });
  // No base fields: the init is PID 1 and its host is the container; records about a child carry its pid.
  return pino({ level: options.level, base: undefined }, destination);
}

/** A logger that is built the first time it is asked for. */
export function lazyLogger(options: LoggerOptions): () => Logger {
  let logger: Logger | undefined;
  return () => (logger ??= createLogger(options));
}
