// A process's group and session, from /proc/<pid>/stat: what tells whether it belongs to
// an instance, whose pid is the id of its own process group (and session, when detached).
import { readFileSync } from 'node:fs';

export interface ProcessIds {
  pgid: number;
  sid: number;
}

/** undefined when the process is gone (or /proc is not mounted). */
export function processIds(pid: number): ProcessIds | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses, so count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pgid = Number(fields[2]);
  const sid = Number(fields[3]);
  return Number.isInteger(pgid) && Number.isInteger(sid) ? { pgid, sid } : undefined;
}
