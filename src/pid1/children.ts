// The pids Node itself spawned. libuv reaps those and reports their exit status;
// the reaper must never take one of them, or the status is lost.
import type { ChildProcess } from 'node:child_process';

const owned = new Set<number>();

export function own(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return; // spawn failed: there is no process
  owned.add(pid);
  child.once('exit', () => owned.delete(pid));
}

export function isOwned(pid: number): boolean {
  return owned.has(pid);
}
