// How much memory process groups hold, as /proc shows it: for MAX_MEMORY, the resident
// memory of every process of an instance's group, summed.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { libc } from './libc.ts';

const getpagesize = libc.func('int getpagesize(void)');
/** stat's rss is in pages: 4 KiB on x86-64, 16 or 64 KiB on some arm64 kernels. */
const PAGE_BYTES: number = getpagesize();

/** Fields of /proc/<pid>/stat counted from the one after "(comm)": the state is 0. */
const STAT_PGRP = 2;
const STAT_RSS = 21;
/** Enough for every field up to rss: comm, the only one of free length, is at most 64 bytes. */
const STAT_BYTES = 1024;
/** One buffer for every read: a sample reads one stat per process, every second. */
const statBuffer = Buffer.alloc(STAT_BYTES);

/**
 * The resident bytes of each of `groups`, summed over its processes (as VmRSS and `ps`
 * count them: a page two processes share counts for both), in one pass over /proc for all
 * groups: one read of each process's stat, which holds both its group and its rss. A group
 * with no process left is missing from the result.
 */
export function residentBytesByGroup(groups: ReadonlySet<number>, proc = '/proc'): Map<number, number> {
  const found = new Map<number, number>();
  if (groups.size === 0) return found;
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return found; // /proc not mounted: nothing can be measured
  }
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue; // not a process: self, meminfo ...
    const stat = readStat(`${proc}/${entry}/stat`);
    if (stat === undefined) continue; // gone meanwhile
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ', STAT_RSS + 1);
    const pgrp = Number(fields[STAT_PGRP]);
    if (!groups.has(pgrp)) continue;
    found.set(pgrp, (found.get(pgrp) ?? 0) + Number(fields[STAT_RSS]) * PAGE_BYTES);
  }
  return found;
}

/** The start of a stat file, through one buffer: half the cost of readFileSync, which stats the file and allocates for each. */
function readStat(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    return statBuffer.toString('latin1', 0, readSync(fd, statBuffer, 0, STAT_BYTES, 0));
  } catch {
    return undefined; // the process ended between the open and the read (ESRCH)
  } finally {
    closeSync(fd);
  }
}

