// How users and the kernel name signals: names and numbers, and which ones can ask a
// process to stop. A table with no imports of the project, so that configuration, the
// command line and pid1 all read it without depending on how signals are handled.
import { constants } from 'node:os';

type SignalName = NodeJS.Signals;

const NUMBERS = constants.signals as Record<string, number>;

/**
 * Signals that can ask a process to stop: those whose default action ends it, and SIGKILL
 * (systemd takes it as KillSignal too). Not SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU (they
 * suspend it), nor SIGCHLD, SIGCONT, SIGURG, SIGWINCH (ignored by default): a process that
 * does not handle them would never stop, and would be killed only after STOP_TIMEOUT.
 */
export const STOP_SIGNALS: readonly SignalName[] = (
  [
    'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
    'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM',
    'SIGPROF', 'SIGIO', 'SIGPWR', 'SIGSYS',
  ] as SignalName[]
).filter((name) => name in NUMBERS);

/** Accepts `TERM`, `SIGTERM`, `sigterm` or `15`; returns the canonical name, or undefined. */
export function parseSignal(text: string): SignalName | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return signalName(Number(trimmed));
  const upper = trimmed.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return name in NUMBERS ? (name as SignalName) : undefined;
}

export function signalNumber(name: SignalName): number {
  const number = NUMBERS[name];
  if (number === undefined) throw new Error(`unknown signal ${name}`);
  return number;
}

export function signalName(number: number): SignalName | undefined {
  // SIGIOT/SIGABRT and SIGPOLL/SIGIO share numbers: the first listed is the usual name.
  for (const [name, value] of Object.entries(NUMBERS)) if (value === number) return name as SignalName;
  return undefined;
}
