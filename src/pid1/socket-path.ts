// The one rule for a unix socket path the init is about to bind (control, LISTEN and
// notify sockets alike): a path is replaced only when it is a socket nobody answers on,
// the file a killed init left behind. Anything else there belongs to someone else: a
// regular file, a directory, a symlink, or a socket in use is refused and left as it is.
// And once bound, the file is removed at close only while it is still the one bound.
import { check, connectFn, lastErrno, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM, SocketPathRefused, socketFn, strerror, AF_UNIX, unixSocketAddress, type UnixAddress } from './libc.ts';
import { closeSync, lstatSync, unlinkSync } from 'node:fs';
import { constants } from 'node:os';

const { ECONNREFUSED, EPROTOTYPE, EAGAIN, ENOENT } = constants.errno;

/** What is at a path: nothing, a dead socket (safe to replace), or why it must be left alone. */
export type SocketPathState = { kind: 'absent' } | { kind: 'stale' } | { kind: 'taken'; reason: string };

/** Looks at `path` without changing anything. */
export function inspectSocketPath(path: string): SocketPathState {
  let stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'taken', reason: `cannot look at it: ${(error as Error).message}` };
  }
  if (stats.isSymbolicLink()) return { kind: 'taken', reason: 'it is a symbolic link, not a socket' };
  if (stats.isDirectory()) return { kind: 'taken', reason: 'it is a directory, not a socket' };
  if (stats.isFile()) return { kind: 'taken', reason: 'it is a regular file, not a socket' };
  if (!stats.isSocket()) return { kind: 'taken', reason: 'it exists and is not a socket' };
  let address: UnixAddress;
  try {
    address = unixSocketAddress(path);
  } catch (error) {
    return { kind: 'taken', reason: `a socket whose state cannot be told: ${(error as SocketPathRefused).reason}` };
  }
  const answer = probe(address);
  if (answer === 'refused') return { kind: 'stale' };
  if (answer === 'answers') return { kind: 'taken', reason: 'a live socket: another process is listening on it' };
  return { kind: 'taken', reason: `a socket whose state cannot be told: ${answer}` };
}

/**
 * Makes `path` free to bind, the step every socket the init binds at a path takes first:
 * refuses a path no socket can have, removes a dead socket there, and refuses anything
 * else there with SocketPathRefused (whose message names the path and why). Returns the
 * address to bind.
 */
export function claimSocketPath(path: string): UnixAddress {
  const address = unixSocketAddress(path);
  const state = inspectSocketPath(path);
  if (state.kind === 'taken') throw new SocketPathRefused(path, `${state.reason}; it is left as it is`);
  if (state.kind === 'stale') {
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return address;
}

/** The socket file this process has just bound at a path. */
export interface BoundSocketFile {
  /** Removes it, unless another file has since taken its path; gone already is fine. */
  remove(): void;
}

/** Remembers which file the bind made at `path` (call it right after the bind), so that removing it never removes someone else's. */
export function boundSocketFile(path: string): BoundSocketFile {
  const inode = lstatSync(path).ino;
  return {
    remove: () => {
      try {
        if (lstatSync(path).ino === inode) unlinkSync(path);
      } catch {
        // Already gone (someone cleaned the directory): there is nothing left to remove.
      }
    },
  };
}

/**
 * Connects to the socket: a dead one refuses. A stream socket refuses a datagram
 * connect with EPROTOTYPE and the other way round, so both types are tried. Non-blocking,
 * so a listener with a full accept queue answers EAGAIN rather than hanging the init.
 */
function probe({ address, length }: UnixAddress): 'refused' | 'answers' | string {
  for (const type of [SOCK_STREAM, SOCK_DGRAM]) {
    let fd: number;
    try {
      fd = check('socket', socketFn(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    } catch (error) {
      return (error as Error).message;
    }
    let errno = 0;
    try {
      if (connectFn(fd, address, length) === -1) errno = lastErrno();
    } finally {
      closeSync(fd);
    }
    if (errno === 0 || errno === EAGAIN) return 'answers';
    if (errno === ECONNREFUSED || errno === ENOENT) return 'refused';
    if (errno !== EPROTOTYPE) return strerror(errno);
  }
  return 'answers';
}
