// Reaps zombies that were reparented to the init without losing the exit status of a
// child Node spawned.
import { isOwned } from './children.ts';
import { childrenOf } from './process-tree.ts';
import type { ReapedEnd } from './syscalls.ts';

type Syscalls = typeof import('./syscalls.ts');

/**
 * Supervisor mode's reaping: every zombie child that Node did not spawn; returns their pids.
 *
 * waitpid(-1) would take Node's own children (the instances) too, and libuv would never learn how
 * they ended. So: waitid(WNOWAIT) first says, without reaping, whether any child is a
 * zombie at all (one cheap call when there is nothing to do). If one is, the list of
 * children is read from /proc and each that Node does not own is reaped by pid: one
 * system call per zombie, however many arrive in a burst. Then look again, since
 * more may have died meanwhile.
 */
export function reapOrphans(sys: Syscalls): number[] {
  const reaped: number[] = [];
  for (;;) {
    const zombie = sys.peekZombie();
    if (zombie <= 0) return reaped;
    const before = reaped.length;
    if (!isOwned(zombie) && sys.reapPid(zombie)) reaped.push(zombie);
    for (const pid of childrenOf(process.pid)) {
      if (pid !== zombie && !isOwned(pid) && sys.reapPid(pid)) reaped.push(pid);
    }
    // Only Node's own zombies are left, which libuv reaps on this same SIGCHLD.
    if (reaped.length === before) return reaped;
  }
}

/**
 * Single-command mode's reaping, tini's way: one waitpid(-1) per zombie, whichever child
 * it is, and no list of children to read (for a burst of 10,000 orphans that list alone
 * takes ~8 ms). Node owns one child there, the command. libuv usually reaps it first; if
 * it ends after libuv looked, its end is taken here and handed to `onCommandEnd` (libuv
 * then finds it gone, which it tolerates). Returns the orphans' pids.
 */
export function reapAll(sys: Syscalls, commandPid: number | undefined, onCommandEnd: (end: ReapedEnd) => void): number[] {
  // Looked up once: in the bundle, each property of the module is a getter.
  const { reapAnyZombie } = sys;
  const reaped: number[] = [];
  for (let pid = reapAnyZombie(); pid > 0; pid = reapAnyZombie()) {
    if (pid === commandPid) onCommandEnd(sys.lastReapedEnd());
    else reaped.push(pid);
  }
  return reaped;
}

type Reap = (sys: Syscalls) => number[];

/**
 * Reaps on every SIGCHLD with `reap`. `load` gives the system calls (koffi loads on first
 * need); `skip` lets the caller stand down, for instance an init about to exit.
 *
 * By default the pass runs on the event loop's next turn, so that a burst of SIGCHLDs is
 * one pass (supervisor mode's pass reads /proc: worth coalescing). Once `loaded()` gives
 * the system calls, the pass runs inside the SIGCHLD listener itself: for single-command
 * mode, whose pass finds no zombie in one system call, a pass per signal costs less than
 * the wait for the next turn, which the first time in a process was ~0.5 ms (code
 * compiled on first use; issue 17's profile). Returns a function that runs a pass now if
 * `loaded()` has the system calls.
 */
export function reapOnSigchld(
  load: () => Promise<Syscalls>,
  reap: Reap,
  onReaped: (pids: number[], ms: number) => void,
  skip: () => boolean = () => false,
  loaded: () => Syscalls | undefined = () => undefined,
): () => void {
  const pass = (sys: Syscalls): void => {
    const began = performance.now();
    const reaped = reap(sys);
    onReaped(reaped, performance.now() - began);
  };
  let scheduled = false;
  process.on('SIGCHLD', () => {
    const sys = loaded();
    if (sys !== undefined) {
      if (!skip()) pass(sys);
      return;
    }
    if (scheduled) return;
    scheduled = true;
    setImmediate(async () => {
      scheduled = false;
      if (skip()) return;
      pass(await load());
    });
  });
  return () => {
    const sys = loaded();
    if (sys !== undefined && !skip()) pass(sys);
  };
}
