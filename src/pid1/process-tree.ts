// The init's descendants and process groups as /proc and kill(2) show them: what is
// left of a service once its main process is gone.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ProcessInfo {
  pid: number;
  pgid: number;
  /** The session: an instance started with setsid leads one whose id is its pid. */
  sid: number;
  /** Dead and waiting to be reaped: signalling it does nothing. */
  zombie: boolean;
}

/** Every process below `root` (children, their children ...), found through each thread's `children` list. */
export function descendantsOf(root: number): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  const seen = new Set<number>([root]);
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of childrenOf(pid)) {
      if (seen.has(child)) continue;
      seen.add(child);
      const info = processInfo(child);
      if (info === undefined) continue; // gone meanwhile, and its children came to the init: they are in a list already read, or in the next look
      found.push(info);
      queue.push(child);
    }
  }
  return found;
}

/**
 * The children of `pid`, from each of its threads' `children` list (a child belongs to the
 * thread that forked it, and an orphan to the thread the kernel picked); on kernels built
 * without CONFIG_PROC_CHILDREN, from the parent field of every process's stat.
 */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // the process ended while we looked
  }
  try {
    return tasks.flatMap((tid) => readChildren(`/proc/${pid}/task/${tid}/children`));
  } catch {
    return childrenFromStat(pid);
  }
}

function readChildren(path: string): number[] {
  try {
    return readFileSync(path, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(dirname(path))) throw error; // no such file on this kernel
    return []; // the thread ended while we looked
  }
}

function childrenFromStat(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) pids.push(Number(entry));
    } catch {
      // the process went away while we looked
    }
  }
  return pids;
}

/** A process's group, session and state; undefined when it is gone (or /proc is not mounted). */
export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgid, sid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, pgid: Number(pgid), sid: Number(sid), zombie: state === 'Z' };
  } catch {
    return undefined;
  }
}

/** Sends `signal` to process group `pgid`; false when no process is left in it. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  return signalTarget(-pgid, signal);
}

/** Sends `signal` to one process; false when it is gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  return signalTarget(pid, signal);
}

function signalTarget(target: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (error) {
    // EPERM: it exists but is not ours to signal (a setuid program): it still counts as there.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
