// How a child's end becomes the init's exit code, as a shell reports it.
import { EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, EXIT_SIGNAL_BASE } from './exit-codes.ts';
import { signalNumber } from './signal-names.ts';

export interface ChildEnd {
  exitCode?: number | undefined;
  signal?: NodeJS.Signals | undefined;
}

/** The child's exit code, or 128+N when signal N killed it. */
export function exitCodeOf(end: ChildEnd): number {
  if (end.signal) return EXIT_SIGNAL_BASE + signalNumber(end.signal);
  return end.exitCode ?? 1;
}

/** tini's rule: a command that does not exist is 127, one that cannot be executed 126. */
export function exitCodeForExecError(code: string | undefined): number {
  return code === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}
