// Which signals an init forwards, and listening for them. Their names and numbers are
// signal-names.ts's.
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

/** Calls `onSignal` for every forwardable signal the init receives; returns the function that stops listening. */
export function onForwardableSignals(onSignal: (signal: SignalName) => void): () => void {
  const listeners = FORWARDABLE_SIGNALS.map((signal) => {
    const listener = (): void => onSignal(signal);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
