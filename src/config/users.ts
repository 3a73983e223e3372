// BATON_<NAME>_USER: user and group names resolved through /etc/passwd and /etc/group,
// read as text because Node has no getpwnam and the images baton runs in have no NSS
// beyond these files.
import { EnvError } from 'envalid';
import { readFileSync } from 'node:fs';
import type { RunAs } from './types.ts';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface UserDb {
  users: PasswdEntry[];
  groups: { name: string; gid: number }[];
}

const PASSWD_PATH = '/etc/passwd';
const GROUP_PATH = '/etc/group';

const FORMS = 'use name, uid, name:group, uid:gid, name:gid or uid:group';
/** uid_t is 32 bits, but Node's spawn takes the uid and gid as a signed 32-bit integer: a larger id fails only at spawn. */
const MAX_ID = 2_147_483_647;
const ID = /^\d+$/;

/** The text of the files when given (tests), else the real files; a file that cannot be read knows no one. */
export function loadUserDb(files: { passwd?: string; group?: string } = {}): UserDb {
  return {
    users: parsePasswd(files.passwd ?? readOrEmpty(PASSWD_PATH)),
    groups: parseGroup(files.group ?? readOrEmpty(GROUP_PATH)),
  };
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // A distroless image may have no /etc/passwd: then only numeric ids work, and names are "unknown".
    return '';
  }
}

/** `name:password:uid:gid:gecos:home:shell`; lines that do not fit are skipped, as libc does. */
function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const fields of records(text)) {
    const [name, , uid, gid, , home] = fields;
    if (name && uid !== undefined && gid !== undefined && ID.test(uid) && ID.test(gid)) {
      entries.push({ name, uid: Number(uid), gid: Number(gid), home: home ?? '' });
    }
  }
  return entries;
}

/** `name:password:gid:members`. */
function parseGroup(text: string): { name: string; gid: number }[] {
  const entries: { name: string; gid: number }[] = [];
  for (const [name, , gid] of records(text)) {
    if (name && gid !== undefined && ID.test(gid)) entries.push({ name, gid: Number(gid) });
  }
  return entries;
}

function records(text: string): string[][] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

/** `name`, `uid`, `name:group`, `uid:gid`, `name:gid` or `uid:group`, as `docker run --user` takes them. */
export function resolveUser(input: string, db: UserDb): RunAs {
  const spec = input.trim();
  const parts = spec.split(':');
  const [userPart, groupPart] = parts;
  if (parts.length > 2 || userPart === undefined || userPart === '' || groupPart === '') {
    throw new EnvError(`"${input}" is not a user; ${FORMS}`);
  }
  // The first entry wins, as with getpwnam/getpwuid.
  const entry = ID.test(userPart) ? db.users.find((user) => user.uid === Number(userPart)) : db.users.find((user) => user.name === userPart);
  if (entry === undefined && !ID.test(userPart)) throw new EnvError(`"${input}": unknown user "${userPart}" (not in ${PASSWD_PATH}); ${FORMS}`);
  const uid = entry?.uid ?? id(input, userPart, 'uid');
  // A uid unknown to passwd has no primary group; gid = uid keeps it out of group root (0).
  const gid = groupPart === undefined ? (entry?.gid ?? uid) : resolveGroup(input, groupPart, db);
  const known = entry ? { name: entry.name, ...(entry.home ? { home: entry.home } : {}) } : {};
  return { uid, gid, spec, ...known };
}

function resolveGroup(input: string, group: string, db: UserDb): number {
  if (ID.test(group)) return id(input, group, 'gid');
  const entry = db.groups.find((candidate) => candidate.name === group);
  if (entry === undefined) throw new EnvError(`"${input}": unknown group "${group}" (not in ${GROUP_PATH}); ${FORMS}`);
  return entry.gid;
}

function id(input: string, text: string, what: 'uid' | 'gid'): number {
  const value = Number(text);
  if (value > MAX_ID) throw new EnvError(`"${input}": ${what} ${text} is above ${MAX_ID}; ${FORMS}`);
  return value;
}
