// The one rule for a unix socket path the init is about to bind (control, LISTEN and
// notify sockets alike): a path is replaced only when it is a socket nobody answers on,
// the file a killed init left behind. Anything else there belongs to someone else: a
// regular file, a directory, a symlink, or a socket in use is refused and left as it is.
import koffi from 'koffi';
import { libc, strerror } from './libc.ts';
import { closeSync, lstatSync, unlinkSync } from 'node:fs';
import { constants } from 'node:os';


const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SUN_PATH_SIZE = 108;
const { ECONNREFUSED, EPROTOTYPE, EAGAIN, ENOENT } = constants.errno;

const socketFn = libc.func('int socket(int domain, int type, int protocol)');
const connectFn = libc.func('int connect(int fd, void *address, uint32_t length)');

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
  const answer = probe(path);
  if (answer === 'refused') return { kind: 'stale' };
  if (answer === 'answers') return { kind: 'taken', reason: 'a live socket: another process is listening on it' };
  return { kind: 'taken', reason: `a socket whose state cannot be told: ${answer}` };
}

export class SocketPathTaken extends Error {
  constructor(
    readonly path: string,
    /** Why, without the path. */
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** Makes `path` free to bind: removes a dead socket there, throws SocketPathTaken for anything else. */
export function claimSocketPath(path: string): void {
  const state = inspectSocketPath(path);
  if (state.kind === 'taken') throw new SocketPathTaken(path, `${state.reason}; it is left as it is`);
  if (state.kind === 'stale') {
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/**
 * Connects to the socket: a dead one refuses. A stream socket refuses a datagram
 * connect with EPROTOTYPE and the other way round, so both types are tried. Non-blocking,
 * so a listener with a full accept queue answers EAGAIN rather than hanging the init.
 */
function probe(path: string): 'refused' | 'answers' | string {
  const address = Buffer.alloc(2 + SUN_PATH_SIZE);
  address.writeUInt16LE(AF_UNIX, 0);
  const bytes = Buffer.from(path);
  if (bytes.length >= SUN_PATH_SIZE) return `the path is ${bytes.length} bytes, a unix socket path has at most ${SUN_PATH_SIZE - 1}`;
  bytes.copy(address, 2);
  for (const type of [SOCK_STREAM, SOCK_DGRAM]) {
    const fd: number = socketFn(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd === -1) return `socket: ${strerror(koffi.errno())}`;
    let errno = 0;
    try {
      if (connectFn(fd, address, 2 + bytes.length + 1) === -1) errno = koffi.errno();
    } finally {
      closeSync(fd);
    }
    if (errno === 0 || errno === EAGAIN) return 'answers';
    if (errno === ECONNREFUSED || errno === ENOENT) return 'refused';
    if (errno !== EPROTOTYPE) return strerror(errno);
  }
  return 'answers';
}
