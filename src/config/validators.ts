// envalid validators for the value types baton's variables take.
import { EnvError, makeExactValidator, makeValidator } from 'envalid';
import { statSync, type Stats } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseSignal, STOP_SIGNALS } from '../pid1/signal-names.ts';
import { parseCommand } from './command.ts';
import { parseListen, parseReadiness } from './endpoints.ts';
import { MIN_MAX_MEMORY_BYTES, MIN_WATCHDOG_MS, type Listen, type Readiness, type RunAs } from './types.ts';
import { resolveUser, type UserDb } from './users.ts';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** setTimeout fires at once for longer delays, so a longer timeout would silently mean "no wait". */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * envalid passes a set-but-empty variable to the parser like any other value; an empty
 * value is never meant, so say so plainly rather than "\"\" is not a ...".
 */
function nonEmpty<T>(accepted: string, parse: (input: string) => T): (input: string) => T {
  return (input) => {
    if (input.trim() === '') throw new EnvError(`is set but empty (use ${accepted})`);
    return parse(input);
  };
}

/** `500ms`, `10s`, `2m`, `1h`, or plain seconds (`30`, `0.5`); in milliseconds. */
function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000));
}

const DURATION_FORMS = '500ms, 10s, 2m or plain seconds';

export const duration = makeValidator<number>(
  nonEmpty(DURATION_FORMS, (input) => {
    const ms = parseDuration(input);
    if (ms === undefined) throw new EnvError(`"${input}" is not a duration (use ${DURATION_FORMS})`);
    return ms;
  }),
);

/** A duration to wait for something: zero would mean not waiting at all. */
export const timeout = makeValidator<number>(
  nonEmpty(`a duration above 0: ${DURATION_FORMS}`, (input) => {
    const ms = parseDuration(input);
    if (ms === undefined) throw new EnvError(`"${input}" is not a duration (use ${DURATION_FORMS})`);
    if (ms <= 0) throw new EnvError(`"${input}" is not more than 0 (use a duration such as 500ms, 10s or 2m)`);
    if (ms > MAX_TIMER_MS) throw new EnvError(`"${input}" is longer than the longest timer Node allows (about 24 days)`);
    return ms;
  }),
);

/** A watchdog interval: at least MIN_WATCHDOG_MS, so that a busy moment does not fail a healthy instance. */
export const watchdog = makeValidator<number>(
  nonEmpty(`a duration of ${MIN_WATCHDOG_MS}ms or more: ${DURATION_FORMS}`, (input) => {
    const ms = parseDuration(input);
    if (ms === undefined) throw new EnvError(`"${input}" is not a duration (use ${DURATION_FORMS})`);
    if (ms < MIN_WATCHDOG_MS) throw new EnvError(`"${input}" is under ${MIN_WATCHDOG_MS}ms: the instance would fail its watchdog whenever the machine is busy for a moment (use 100ms or more, such as 10s)`);
    if (ms > MAX_TIMER_MS) throw new EnvError(`"${input}" is longer than the longest timer Node allows (about 24 days)`);
    return ms;
  }),
);

/** A comma-separated list of service names (`migrate,cache`), lower-cased as logs show them; duplicates dropped. */
export const serviceNames = makeValidator<string[]>(
  nonEmpty('service names separated by commas, such as migrate,cache', (input) => {
    const names = input.split(',').map((name) => name.trim());
    const bad = names.find((name) => !/^[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*$/.test(name));
    if (bad !== undefined) throw new EnvError(`"${bad}" is not a service name (use service names separated by commas, such as migrate,cache)`);
    return [...new Set(names.map((name) => name.toLowerCase()))];
  }),
);

/** true or false (also 1, 0, yes, no), as a shell script would write it. */
export const yesNo = makeValidator<boolean>(
  nonEmpty('true or false', (input) => {
    const word = input.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(word)) return true;
    if (['false', '0', 'no'].includes(word)) return false;
    throw new EnvError(`"${input}" is not true or false`);
  }),
);

/**
 * A size in bytes: a whole number of bytes, or a number with a 1024-based unit as systemd's
 * MemoryMax= and Docker's --memory read it (K, M, G, T), also spelled KiB ... TiB or, as
 * Kubernetes writes them, Ki ... Ti. KB, MB, GB and TB are refused: some read them as
 * 1000-based, others as 1024-based, and a limit should not depend on which.
 */
const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
const SIZE_FORMS = 'bytes, or a number with K, M, G or T (1024-based), such as 512M, 1.5G or 256MiB';

export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim());
  if (!match) return undefined;
  const [, number = '', unit = ''] = match;
  const base = /^([kmgt])(i|ib)?$/i.exec(unit)?.[1] ?? (unit === '' || /^b$/i.test(unit) ? unit : undefined);
  if (base === undefined) return undefined;
  const factor = SIZE_UNITS[base.toLowerCase()] as number;
  if (factor === 1 && number.includes('.')) return undefined; // a fraction of a byte
  return Math.floor(Number(number) * factor);
}

/** A memory limit: at least MIN_MAX_MEMORY_BYTES, and a whole number of bytes a Number holds exactly. */
export const memorySize = makeValidator<number>(
  nonEmpty(`a size of 1M or more: ${SIZE_FORMS}`, (input) => {
    if (/^\s*\d+(?:\.\d+)?\s*[kmgt]b\s*$/i.test(input)) {
      throw new EnvError(`"${input}" is ambiguous (1000- or 1024-based?): use K, M, G or T, which are 1024-based, such as 512M or 1G`);
    }
    const bytes = parseSize(input);
    if (bytes === undefined) throw new EnvError(`"${input}" is not a size (use ${SIZE_FORMS})`);
    if (bytes < MIN_MAX_MEMORY_BYTES) throw new EnvError(`"${input}" is under 1M: a process would be over it as soon as it starts (use 1M or more, such as 512M)`);
    if (!Number.isSafeInteger(bytes)) throw new EnvError(`"${input}" is more bytes than baton can count exactly (use 8191T or less)`);
    return bytes;
  }),
);

/** A signal that asks a process to stop (STOP_SIGNALS): SIGSTOP or SIGCHLD would never end it. */
export const signal = makeValidator<NodeJS.Signals>(
  nonEmpty('TERM, SIGINT or a number', (input) => {
    const name = parseSignal(input);
    if (name === undefined) throw new EnvError(`"${input}" is not a signal (use TERM, SIGINT or a number)`);
    if (!STOP_SIGNALS.includes(name)) throw new EnvError(`"${input}" (${name}) cannot ask a process to stop (use one whose default action ends a process, such as TERM, INT, QUIT, HUP, USR1, or KILL)`);
    return name;
  }),
);

export const nonNegativeInt = makeValidator<number>(
  nonEmpty('a whole number of at least 0', (input) => {
    if (!/^\d+$/.test(input.trim())) throw new EnvError(`"${input}" is not a whole number of at least 0`);
    return Number(input);
  }),
);

/** A whole number of at least 1, or `all` (Infinity). */
export const countOrAll = makeValidator<number>(
  nonEmpty('a whole number of at least 1, or all', (input) => {
    const text = input.trim();
    if (text === 'all') return Infinity;
    if (!/^\d+$/.test(text) || Number(text) < 1) throw new EnvError(`"${input}" is not a whole number of at least 1, or all`);
    return Number(text);
  }),
);

/** A whole number from `min` to `max`, both included. */
export function intInRange(min: number, max: number) {
  const accepted = `a whole number from ${min} to ${max}`;
  return makeExactValidator<number>(
    nonEmpty(accepted, (input) => {
      const value = Number(input.trim());
      if (!/^\d+$/.test(input.trim()) || value < min || value > max) throw new EnvError(`"${input}" is not ${accepted}`);
      return value;
    }),
  );
}

/** An instance count from 1 to `max`, or `auto`: resolved from the CPUs the container may use once every variable is read. */
export function instanceCount(max: number) {
  const accepted = `a whole number from 1 to ${max}, or auto`;
  return makeExactValidator<number | 'auto'>(
    nonEmpty(accepted, (input) => {
      const text = input.trim();
      if (text === 'auto') return 'auto';
      if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new EnvError(`"${input}" is not ${accepted}`);
      return Number(text);
    }),
  );
}

/** Variables baton sets in an instance's environment itself: an index under one of these names would be lost or would break a protocol. */
const BATON_SET_PREFIXES = ['BATON_', 'NOTIFY_', 'LISTEN_', 'WATCHDOG_'];
const BATON_SET_NAMES = ['HOME', 'USER', 'LOGNAME', 'PORT'];

/** A variable name for the instance's 0-based index (NODE_APP_INSTANCE), not one that baton sets itself. */
export const instanceVar = makeExactValidator<string>(
  nonEmpty('a variable name such as NODE_APP_INSTANCE', (input) => {
    const name = input.trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new EnvError(`"${input}" is not a variable name (use letters, digits and underscores, not starting with a digit, such as NODE_APP_INSTANCE)`);
    const prefix = BATON_SET_PREFIXES.find((candidate) => name.startsWith(candidate));
    if (prefix !== undefined || BATON_SET_NAMES.includes(name)) {
      throw new EnvError(`"${name}" is a variable baton sets itself (${BATON_SET_PREFIXES.map((p) => `${p}*`).join(', ')}, ${BATON_SET_NAMES.join(', ')}); choose another name, such as NODE_APP_INSTANCE`);
    }
    return name;
  }),
);

/**
 * One of a few words. envalid's own `choices` check runs after parsing and reports
 * `Value "x" not in choices [a,b]`; this says the same in the words of the other messages.
 */
export function oneOf<const T extends string>(choices: readonly T[]) {
  const accepted = choices.join(', ');
  return makeExactValidator<T>(
    nonEmpty(`one of ${accepted}`, (input) => {
      const word = input.trim();
      if (!(choices as readonly string[]).includes(word)) throw new EnvError(`"${input}" is not one of ${accepted}`);
      return word as T;
    }),
  );
}

export const absolutePath = makeExactValidator<string>(
  nonEmpty('an absolute path such as /run/baton.sock', (input) => {
    const path = input.trim();
    if (!isAbsolute(path)) throw new EnvError(`"${input}" is not an absolute path (use a path starting with /)`);
    return resolve(path); // normalised, so that two spellings of one path compare equal
  }),
);

/** An existing directory, checked now so that a typo fails at start rather than at the first spawn. */
export const directory = makeExactValidator<string>(
  nonEmpty('an absolute path to an existing directory', (input) => {
    const path = input.trim();
    if (!isAbsolute(path)) throw new EnvError(`"${input}" is not an absolute path (use an existing directory starting with /)`);
    let stats: Stats | undefined;
    try {
      stats = statSync(path, { throwIfNoEntry: false });
    } catch (error) {
      // stat fails beyond "no such file" when a file sits on the way (ENOTDIR) or a parent is unreadable (EACCES).
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOTDIR' ? 'a part of the path is a file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
      throw new EnvError(`"${path}" cannot be used as a directory (${reason}; use an existing directory)`);
    }
    if (stats === undefined) throw new EnvError(`"${path}" does not exist (use an existing directory)`);
    if (!stats.isDirectory()) throw new EnvError(`"${path}" is not a directory (use an existing directory)`);
    return path;
  }),
);

export const command = makeExactValidator<[string, ...string[]]>(
  nonEmpty('a JSON array of strings such as ["node","web.js"], or words separated by spaces', parseCommand),
);

export const readiness = makeExactValidator<Readiness>(
  nonEmpty('none, notify, tcp:PORT, tcp:HOST:PORT or an http:// URL', parseReadiness),
);

export const listen = makeExactValidator<Listen>(
  nonEmpty('PORT, HOST:PORT or an absolute unix socket path', parseListen),
);

/** `users` is called only when a USER variable is set, so /etc/passwd is read only then. */
export function runAs(users: () => UserDb) {
  return makeExactValidator<RunAs>(
    nonEmpty('name, uid, name:group, uid:gid, name:gid or uid:group', (input) => resolveUser(input, users())),
  );
}
