// Where the init keeps its runtime files: /run/baton when it can make it its own, else
// a folder of its own under the temporary directory. The client (`--status`,
// `--health`) looks in the same places.
//
// The folder holds the control socket and the notify sockets, so whoever can write in
// it could move them away or put their own in their place: it must be a real directory
// (not a symlink), owned by the init's user, and writable by nobody else. One that is
// not is refused, named in the message, rather than used or silently replaced by another,
// where `--status` would not find the init.
import { accessSync, chmodSync, constants, existsSync, lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const RUN_DIR = '/run/baton';
/**
 * Others may pass through (a service running as another user reaches its notify
 * socket, whose name it is given) but not list or change what is inside.
 */
const RUNTIME_MODE = 0o711;

export class RuntimeDirRefused extends Error {}

function fallbackDir(): string {
  return join(tmpdir(), `baton-${process.getuid?.() ?? 'user'}`);
}

/** Creates the runtime folder if needed and returns it; throws RuntimeDirRefused for one that is not safe to use. */
export function runtimeDir(): string {
  const uid = process.getuid?.() ?? 0;
  const primary = claimDir(RUN_DIR, uid);
  if (primary === 'ok') return RUN_DIR;
  // A non-root init cannot create /run/baton, and one made by root (the image, or a root run) is not its own either.
  if (primary !== 'unavailable' && !(uid !== 0 && primary === 'owned by root')) throw refused(RUN_DIR, primary);
  const fallback = fallbackDir();
  const second = claimDir(fallback, uid);
  if (second === 'ok') return fallback;
  throw refused(fallback, second === 'unavailable' ? 'it cannot be created' : second);
}

/**
 * What a start would say of the runtime directory, changing nothing (for `--check`):
 * undefined when the start would find or make one it may use, else why it would refuse.
 */
export function runtimeDirProblem(): string | undefined {
  const uid = process.getuid?.() ?? 0;
  const primary = inspectDir(RUN_DIR, uid);
  if (primary === 'ok' || (primary === 'absent' && canCreateIn(RUN_DIR))) return undefined;
  if (primary !== 'absent' && !(uid !== 0 && primary === 'owned by root')) return refused(RUN_DIR, primary).message;
  const second = inspectDir(fallbackDir(), uid);
  if (second === 'ok' || (second === 'absent' && canCreateIn(fallbackDir()))) return undefined;
  return refused(fallbackDir(), second === 'absent' ? 'it cannot be created' : second).message;
}

/** 'ok' once `dir` is safe and set to RUNTIME_MODE, 'unavailable' when it cannot be made, else what is wrong with it. */
function claimDir(dir: string, uid: number): 'ok' | 'unavailable' | string {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return 'unavailable';
  }
  const state = inspectDir(dir, uid);
  if (state === 'absent') return 'unavailable';
  if (state !== 'ok') return state;
  if ((lstatSync(dir).mode & 0o777) !== RUNTIME_MODE) chmodSync(dir, RUNTIME_MODE);
  return 'ok';
}

/** 'ok' when `dir` may be used as it is (its mode aside), 'absent', else what is wrong with it. */
function inspectDir(dir: string, uid: number): 'ok' | 'absent' | string {
  let stats;
  try {
    stats = lstatSync(dir);
  } catch {
    return 'absent';
  }
  if (stats.isSymbolicLink()) return 'it is a symbolic link';
  if (!stats.isDirectory()) return 'it is not a directory';
  if (stats.uid !== uid) return stats.uid === 0 ? 'owned by root' : `it is owned by uid ${stats.uid}, not by the init's uid ${uid}`;
  if ((stats.mode & 0o022) !== 0) return `its mode ${(stats.mode & 0o777).toString(8)} lets others write in it`;
  return 'ok';
}

function canCreateIn(dir: string): boolean {
  try {
    accessSync(dirname(dir), constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function refused(dir: string, reason: string): RuntimeDirRefused {
  return new RuntimeDirRefused(
    `runtime directory ${dir}: ${reason}; it is left as it is: remove it, or make it a directory of the init's user that only this user can write in, or set TMPDIR to another directory`,
  );
}

/** The control socket the init listens on. */
export function serverSocketPath(explicit: string | undefined, runtime: string): string {
  return explicit ?? join(runtime, 'control.sock');
}

/** The control socket a client should talk to: the explicit one, else whichever default exists. */
export function clientSocketPath(explicit: string | undefined): string {
  if (explicit) return explicit;
  const primary = join(RUN_DIR, 'control.sock');
  if (existsSync(primary)) return primary;
  const fallback = join(fallbackDir(), 'control.sock');
  return existsSync(fallback) ? fallback : primary;
}
