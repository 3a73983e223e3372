// The BATON_* variables that apply to the whole init, validated with envalid.
import { cleanEnv, str } from 'envalid';
import type { LevelWithSilent } from 'pino';
import { collectErrors, type ConfigError } from './errors.ts';

const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogSettings {
  /** Undefined when BATON_LOG_LEVEL is not set: the mode picks its own default. */
  level?: LevelWithSilent;
  format: LogFormat;
}

/** BATON_LOG_LEVEL and BATON_LOG_FORMAT; the errors name the variable. */
export function readLogSettings(env: NodeJS.ProcessEnv): { settings: LogSettings; errors: ConfigError[] } {
  const { errors, reporter } = collectErrors();
  const clean = cleanEnv(
    env,
    {
      BATON_LOG_LEVEL: str({ choices: LOG_LEVELS, default: undefined }),
      BATON_LOG_FORMAT: str({ choices: LOG_FORMATS, default: 'json' }),
    },
    { reporter },
  );
  // envalid throws when a variable that failed validation is read: read none then.
  if (errors.length > 0) return { settings: { format: 'json' }, errors };
  return {
    settings: { level: clean.BATON_LOG_LEVEL as LevelWithSilent | undefined, format: clean.BATON_LOG_FORMAT as LogFormat },
    errors,
  };
}
