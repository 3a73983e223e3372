// Signals that arrive while the init is still loading. PID 1 gets no signal its
// handlers do not catch: a `docker stop` right after `docker run` would be lost and
// the container killed after the grace period. They are held from the first line of
// the entrypoint and handed to the mode once it can act on them.
import { FORWARDABLE_SIGNALS } from './forwarded-signals.ts';

const held: NodeJS.Signals[] = [];
const listeners = new Map<NodeJS.Signals, () => void>();

export function holdSignals(): void {
  for (const signal of FORWARDABLE_SIGNALS) {
    const listener = (): void => void held.push(signal);
    listeners.set(signal, listener);
    process.on(signal, listener);
  }
}

/** Stops holding and returns what arrived meanwhile, in order. Call it right after installing the real handlers. */
export function releaseSignals(): NodeJS.Signals[] {
  for (const [signal, listener] of listeners) process.off(signal, listener);
  listeners.clear();
  return held.splice(0);
}
