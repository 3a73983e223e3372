// Configuration errors are gathered, never thrown one at a time: the user sees
// every bad variable in one run, one line each.
import type { ReporterOptions } from 'envalid';

export interface ConfigError {
  variable: string;
  message: string;
}

/** An envalid reporter that records each error instead of exiting. */
export function collectErrors(): { errors: ConfigError[]; reporter: (options: ReporterOptions<Record<string, unknown>>) => void } {
  const errors: ConfigError[] = [];
  const reporter = ({ errors: found }: ReporterOptions<Record<string, unknown>>): void => {
    for (const [variable, error] of Object.entries(found)) {
      if (error) errors.push({ variable, message: describe(variable, error) });
    }
  };
  return { errors, reporter };
}

function describe(variable: string, error: Error): string {
  // envalid reports a missing value with the message "undefined".
  if (error.name === 'EnvMissingError' || error.message === 'undefined') return `${variable}: is required but not set`;
  return `${variable}: ${error.message}`;
}
