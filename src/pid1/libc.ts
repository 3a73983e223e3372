// The C library, bound once through koffi for every module that needs a system call Node
// does not have: the one place koffi is loaded, the one way of turning an errno into an
// Error, the socket constants and calls more than one module uses, and the unix socket
// address every socket bound at a path is given.
// Loaded lazily in single-command mode (see modes/single-command.ts): nothing on its
// start-up path imports this module, so koffi costs nothing there unless it is needed.
import koffi from 'koffi';

export const libc = koffi.load(null as unknown as string); // dlopen(NULL): the running process, so glibc and musl alike

const strerrorFn = libc.func('const char *strerror(int errnum)');

export function strerror(errno: number): string {
  return strerrorFn(errno);
}

/** The errno the last system call through koffi left, read before anything else can change it. */
export function lastErrno(): number {
  return koffi.errno();
}

/** A system call's result; for -1, an Error naming `call` and what its errno says (`bind 0.0.0.0:80: Address already in use`). */
export function check(call: string, result: number): number {
  if (result === -1) throw new Error(`${call}: ${strerror(koffi.errno())}`);
  return result;
}

/**
 * Memory outside V8's heap that stays put: the kernel writes through pointers into it
 * after the call that handed them over, and koffi copies a Node Buffer argument in and
 * out on every call. `bytes` reads and writes the same memory; `address` is for the
 * structures that point at it.
 */
export interface NativeBytes {
  /** What to pass to a `void *` parameter. */
  readonly pointer: unknown;
  readonly bytes: Buffer;
  readonly address: bigint;
}

export function nativeBytes(size: number): NativeBytes {
  const pointer: unknown = koffi.alloc('uint8_t', size);
  return { pointer, bytes: Buffer.from(koffi.view(pointer, size)), address: koffi.address(pointer) };
}

// Linux values, the same on x64 and arm64 (arm64 uses the generic ones).
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const SOCK_NONBLOCK = O_NONBLOCK;
/** Close-on-exec: a socket reaches a child only where it is handed over on purpose. */
export const SOCK_CLOEXEC = O_CLOEXEC;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_PASSCRED = 16;

export const socketFn = libc.func('int socket(int domain, int type, int protocol)');
export const bindFn = libc.func('int bind(int fd, void *address, uint32_t length)');
export const connectFn = libc.func('int connect(int fd, void *address, uint32_t length)');
const setsockoptFn = libc.func('int setsockopt(int fd, int level, int name, void *value, uint32_t length)');
export const sendtoFn = libc.func('intptr_t sendto(int fd, void *buffer, size_t length, int flags, void *address, uint32_t addressLength)');
const clockGettimeFn = libc.func('int clock_gettime(int clock, void *timespec)');

const CLOCK_MONOTONIC = 1;
/** struct timespec on 64-bit Linux: tv_sec and tv_nsec, two 64-bit integers. */
const timespec = Buffer.alloc(16);

/** CLOCK_MONOTONIC in microseconds: the clock systemd reads MONOTONIC_USEC= against. */
export function monotonicMicroseconds(): bigint {
  check('clock_gettime', clockGettimeFn(CLOCK_MONOTONIC, timespec));
  return timespec.readBigInt64LE(0) * 1_000_000n + timespec.readBigInt64LE(8) / 1000n;
}

/** Sets an int socket option; throws as check() does, naming `call`. */
export function setSocketOption(call: string, fd: number, level: number, name: number, value: number): void {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value);
  check(call, setsockoptFn(fd, level, name, buffer, 4));
}

/** sizeof(sun_path) in struct sockaddr_un on Linux; it holds the path and its terminating NUL. */
const SUN_PATH_SIZE = 108;
/** The longest path, in bytes, a unix socket can be bound at. */
export const UNIX_PATH_MAX_BYTES = SUN_PATH_SIZE - 1;
const SUN_PATH_OFFSET = 2; // after sa_family_t

/** A path no unix socket can have, or one that something else already holds. */
export class SocketPathRefused extends Error {
  constructor(
    readonly path: string,
    /** Why, without the path. */
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** A struct sockaddr_un and the length to pass with it. */
export interface UnixAddress {
  readonly address: Buffer;
  readonly length: number;
}

/**
 * The address of a unix socket at `path`. A path the kernel would not take as given is
 * refused rather than bound elsewhere: too long (Node's own listen() cuts it short and binds
 * the shorter path), empty (that asks for an abstract name), or holding a NUL (the kernel
 * reads up to it).
 */
export function unixSocketAddress(path: string): UnixAddress {
  if (path === '') throw new SocketPathRefused(path, 'an empty path');
  if (path.includes('\0')) throw new SocketPathRefused(path, 'the path contains a NUL byte');
  const bytes = Buffer.from(path);
  if (bytes.length > UNIX_PATH_MAX_BYTES) {
    throw new SocketPathRefused(path, `File name too long: the path is ${bytes.length} bytes, a unix socket path has at most ${UNIX_PATH_MAX_BYTES}`);
  }
  const address = Buffer.alloc(SUN_PATH_OFFSET + SUN_PATH_SIZE);
  address.writeUInt16LE(AF_UNIX, 0); // sa_family is in host order (little-endian on x64 and arm64)
  bytes.copy(address, SUN_PATH_OFFSET);
  return { address, length: SUN_PATH_OFFSET + bytes.length + 1 };
}

/**
 * The address of an abstract unix socket (Linux): `name` after a NUL first byte, with no
 * terminating NUL, the length counting exactly its bytes, as systemd's sd_notify() sends to
 * a NOTIFY_SOCKET that begins with `@`.
 */
export function abstractSocketAddress(name: string): UnixAddress {
  const bytes = Buffer.from(name);
  if (bytes.length > UNIX_PATH_MAX_BYTES) {
    throw new SocketPathRefused(`@${name}`, `the abstract name is ${bytes.length} bytes, a unix socket address holds at most ${UNIX_PATH_MAX_BYTES} after its NUL`);
  }
  const address = Buffer.alloc(SUN_PATH_OFFSET + SUN_PATH_SIZE);
  address.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(address, SUN_PATH_OFFSET + 1);
  return { address, length: SUN_PATH_OFFSET + 1 + bytes.length };
}
