// The init's own JavaScript heap: collected in full on request (the supervisor asks after
// a reload: src/supervise/reload-collection.ts says why), and its new space kept small.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface Collection {
  /** How long the collection held the event loop. */
  ms: number;
  /** V8's used heap before and after, in bytes. */
  usedBefore: number;
  usedAfter: number;
}

let gc: (() => void) | null | undefined;

/**
 * V8's gc(), taken once. Node has no call for a full collection; --expose-gc can be set on a
 * running V8 (Node documents setFlagsFromString for such flags), and then exposes gc() in
 * each context made afterwards: one throwaway context hands it over, and the init's own
 * global object stays as it was. null when this Node does not give it.
 */
function collector(): (() => void) | null {
  if (gc !== undefined) return gc;
  try {
    setFlagsFromString('--expose-gc');
    const exposed: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    gc = typeof exposed === 'function' ? (exposed as () => void) : null;
  } catch {
    gc = null;
  }
  return gc;
}

/** A full, blocking collection of the heap; undefined when this Node offers no way to ask for one. */
export function collectGarbage(): Collection | undefined {
  const collect = collector();
  if (collect === null) return undefined;
  const usedBefore = getHeapStatistics().used_heap_size;
  const began = process.hrtime.bigint();
  collect();
  const ms = Number(process.hrtime.bigint() - began) / 1e6;
  return { ms, usedBefore, usedAfter: getHeapStatistics().used_heap_size };
}

/**
 * Keeps V8's new space at the size it starts with (1 MiB a semi-space) instead of doubling it
 * whenever much survives a scavenge, up to 16 MiB a semi-space. A reload leaves much alive
 * for as long as its generation lives, so reloads grew it to its maximum, and V8 shrinks it
 * back only after seconds without allocation: 28 of the 41 MiB the init's RSS grew over 100
 * reloads back to back. The flag is one V8 reads each time it decides on growth, so it works
 * on a running heap (the maximum semi-space size does not). What survives is promoted sooner
 * instead, to the old space, which the collection after reloads empties. The init's own
 * allocations are small and few; its services run in other processes and are untouched.
 */
export function keepNewSpaceSmall(): void {
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
  } catch {
    // a Node without the flag: the new space grows as V8 decides
  }
}
