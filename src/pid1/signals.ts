// Which signals an init forwards, and how users may name them.
import { constants } from 'node:os';

type SignalName = NodeJS.Signals;

/**
 * Every signal the init can catch and pass on, as tini does: not SIGCHLD (the init's own),
 * not the synchronous ones (SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS),
 * not SIGTTIN/SIGTTOU, and SIGKILL/SIGSTOP cannot be caught. Node cannot install
 * handlers for the real-time signals, so those are not forwarded (see the README).
 */
const CANDIDATES: SignalName[] = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM',
  'SIGSTKFLT', 'SIGCONT', 'SIGTSTP', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF',
  'SIGWINCH', 'SIGIO', 'SIGPWR',
];

export const FORWARDABLE_SIGNALS: readonly SignalName[] = CANDIDATES.filter((name) => name in constants.signals);

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
).filter((name) => name in constants.signals);

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

/** Calls `onSignal` for every forwardable signal the init receives; returns the function that stops listening. */
export function onForwardableSignals(onSignal: (signal: SignalName) => void, only: readonly SignalName[] = FORWARDABLE_SIGNALS): () => void {
  const listeners = only.map((signal) => {
    const listener = (): void => onSignal(signal);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
