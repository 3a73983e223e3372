// systemd's NOTIFY_SOCKET: a unix datagram socket per instance, to which the instance
// (or systemd-notify, or any sd_notify(3) client) sends READY=1 and friends.
//
// Node has no unix datagram sockets, so the socket itself is made through koffi;
// everything Node can do on a plain fd or path (close, chmod, chown, unlink, the
// wake-up pipe's reads and writes) is left to Node.
import koffi from 'koffi';
import { libc, strerror } from '../pid1/libc.ts';
import { chmodSync, chownSync, closeSync, lstatSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { constants } from 'node:os';
import { passCredentials, receiveWithSender } from '../pid1/datagram-credentials.ts';
import { claimSocketPath, SocketPathTaken } from '../pid1/socket-path.ts';
import { parseSystemdText, type NotifyMessage } from './messages.ts';
import { mayNotify } from './notify-access.ts';


// Linux values, the same on x64 and arm64 (arm64 uses the generic ones).
const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const SOCK_NONBLOCK = O_NONBLOCK;
const SOCK_CLOEXEC = O_CLOEXEC;
const MSG_TRUNC = 0x20; // recv then returns the datagram's real length, so truncation shows
const POLLIN = 0x1;
const { EINTR, ENAMETOOLONG } = constants.errno;

const SUN_PATH_SIZE = 108;
const SUN_PATH_OFFSET = 2; // after sa_family_t
/** sun_path must also hold the terminating NUL. */
const MAX_PATH_BYTES = SUN_PATH_SIZE - 1;

/** Both owner and group may send: the instance's user and group when they are given. */
const SOCKET_MODE = 0o660;

/**
 * sd_notify messages are at most 4096 bytes (systemd drops longer ones); a larger
 * buffer lets a longer one be reported as such rather than cut silently.
 */
const RECEIVE_BUFFER_SIZE = 64 * 1024;
/** Datagrams read from one socket per wake-up, so that one chatty instance cannot starve the others; poll() reports the rest at once. */
const MAX_DATAGRAMS_PER_WAKE = 256;
const EXCERPT = 200;

// struct pollfd { int fd; short events; short revents; }: 8 bytes, no padding.
const POLLFD_SIZE = 8;

// Anonymous, so that no other binding of sockaddr_un elsewhere collides with its name.
const SockaddrUn = koffi.struct({ sun_family: 'uint16_t', sun_path: koffi.array('char', SUN_PATH_SIZE) });

const socketFn = libc.func('int socket(int domain, int type, int protocol)');
const bindFn = libc.func('bind', 'int', ['int', koffi.pointer(SockaddrUn), 'uint32_t']);
const pipe2Fn = libc.func('int pipe2(void *fds, int flags)');
const pollFn = libc.func('int poll(void *fds, unsigned long nfds, int timeout)');

// Every datagram is read and parsed on the main thread before the next is read, so one buffer serves all sockets.
const receiveBuffer = Buffer.alloc(RECEIVE_BUFFER_SIZE);

export interface NotifySocketOptions {
  /** The instance's user and group, when it runs as another user than the init. */
  uid?: number;
  gid?: number;
  /**
   * When given, only datagrams from this process's group or session count (see
   * notify-access.ts): it returns the instance's pid, undefined before the spawn.
   * Others are dropped and reported to `onRefused` with the sender's pid.
   */
  leader?: () => number | undefined;
  onRefused?: (sender: number | undefined) => void;
}

type Listener = (m: NotifyMessage) => void;

export class NotifySocket {
  private readonly listeners: Listener[] = [];
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    /** The socket file's inode, so that close() never removes a file someone else has since put at the path. */
    private readonly inode: number,
    private readonly options: NotifySocketOptions,
  ) {}

  /**
   * Creates the socket file at `path` and starts receiving on it. A stale socket file
   * (one nobody receives on any more) is replaced; a live one, or a file that is not a
   * socket, is left alone and the bind fails. Messages are always delivered from a later
   * event-loop turn, so listeners added right after open miss nothing.
   */
  static open(path: string, options: NotifySocketOptions = {}): NotifySocket {
    const address = socketAddress(path);
    const length = SUN_PATH_OFFSET + Buffer.byteLength(path) + 1;
    try {
      claimSocketPath(path);
    } catch (error) {
      throw bindError(path, error instanceof SocketPathTaken ? error.reason : (error as Error).message, error);
    }
    const fd: number = socketFn(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd === -1) throw bindError(path, `socket: ${strerror(koffi.errno())}`);
    let inode: number;
    try {
      const errno = passCredentials(fd);
      if (errno !== 0) throw bindError(path, `setsockopt(SO_PASSCRED): ${strerror(errno)}`);
      if (bindFn(fd, address, length) === -1) throw bindError(path, strerror(koffi.errno()));
      try {
        if (options.uid !== undefined || options.gid !== undefined) chownSync(path, options.uid ?? -1, options.gid ?? -1);
        chmodSync(path, SOCKET_MODE);
        inode = lstatSync(path).ino;
      } catch (error) {
        unlinkSync(path);
        throw bindError(path, (error as Error).message, error);
      }
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    const socket = new NotifySocket(path, fd, inode, options);
    poller.add(fd, () => socket.drain());
    return socket;
  }

  onMessage(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Stops receiving, closes the socket and removes its file. Safe to call again. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.length = 0;
    try {
      if (lstatSync(this.path).ino === this.inode) unlinkSync(this.path);
    } catch {
      // Already gone (someone cleaned the directory): there is nothing left to remove.
    }
    poller.remove(this.fd);
  }

  /** Reads every datagram waiting on the socket; called when poll() says there are some. */
  private drain(): void {
    for (let count = 0; count < MAX_DATAGRAMS_PER_WAKE && !this.closed; count++) {
      const received = receiveWithSender(this.fd, receiveBuffer, MSG_TRUNC);
      if ('errno' in received) {
        if (received.errno === EINTR) continue;
        return; // EAGAIN: nothing left. Anything else, poll() reports again.
      }
      const { size } = received;
      const { leader } = this.options;
      if (leader !== undefined && !mayNotify(received.pid, leader())) {
        this.options.onRefused?.(received.pid);
        continue;
      }
      const message: NotifyMessage =
        size > receiveBuffer.length
          ? { error: `message of ${size} bytes, longer than ${receiveBuffer.length}`, raw: receiveBuffer.toString('utf8', 0, EXCERPT) }
          : parseSystemdText(receiveBuffer.toString('utf8', 0, size));
      for (const listener of [...this.listeners]) listener(message);
    }
  }
}

/**
 * Waits for datagrams on every open notify socket at once: a single poll() runs on one
 * libuv threadpool thread (koffi's .async), over the sockets and a wake-up pipe. Its
 * callback, on the main thread, drains the sockets poll() marked readable and arms the
 * next poll(). Changing the set of sockets writes to the wake-up pipe so that the
 * pending poll() returns and is re-armed with the new set; a socket closed meanwhile
 * keeps its fd open until the worker thread has stopped polling it, so that the
 * number cannot be reused under the poll. With no socket open nothing is pending:
 * no thread is held and the process may exit.
 */
class Poller {
  /** What to do when each socket's fd is readable. */
  private readonly sockets = new Map<number, () => void>();
  private wake: { read: number; write: number } | undefined;
  /** A poll() is running on the threadpool. */
  private polling = false;
  /** Inside the poll callback: it arms the next poll() itself once it is done. */
  private dispatching = false;
  private exiting = false;
  /** Fds of sockets closed while the worker thread may still be polling them. */
  private readonly closeAfterPoll: number[] = [];

  constructor() {
    // At exit libuv joins its threadpool threads, and one blocked in poll() would hang the exit for ever.
    process.once('exit', () => {
      this.exiting = true;
      if (this.polling) this.nudge();
    });
  }

  add(fd: number, drain: () => void): void {
    this.wake ??= openWakePipe();
    this.sockets.set(fd, drain);
    if (this.polling) this.nudge();
    else this.arm();
  }

  remove(fd: number): void {
    this.sockets.delete(fd);
    if (this.polling) {
      this.closeAfterPoll.push(fd);
      this.nudge();
    } else {
      closeSync(fd);
      this.settle();
    }
  }

  private arm(): void {
    const wake = this.wake;
    if (this.polling || this.dispatching || this.exiting || this.sockets.size === 0 || wake === undefined) return;
    const fds = [wake.read, ...this.sockets.keys()];
    // Typed-array views use the machine's byte order, as the kernel does.
    const pollfds = new ArrayBuffer(fds.length * POLLFD_SIZE);
    const ints = new Int32Array(pollfds);
    const shorts = new Int16Array(pollfds);
    fds.forEach((fd, i) => {
      ints[i * 2] = fd;
      shorts[i * 4 + 2] = POLLIN;
    });
    this.polling = true;
    // koffi passes the typed array's memory itself, so the kernel's revents land in `shorts`.
    pollFn.async(ints, fds.length, -1, (error: unknown) => this.returned(error, fds, shorts));
  }

  private returned(error: unknown, fds: number[], shorts: Int16Array): void {
    this.polling = false;
    // The worker thread has left poll(): only now may these numbers be reused.
    for (const fd of this.closeAfterPoll.splice(0)) closeSync(fd);
    if (error) {
      this.settle();
      throw error; // koffi could not make the call at all: a bug, not a condition to wait out
    }
    this.drainWakePipe();
    // A poll() that failed (EINTR) leaves every revents 0, and is simply armed again.
    this.dispatching = true;
    try {
      for (let i = 1; i < fds.length; i++) {
        if (shorts[i * 4 + 3] === 0) continue;
        // A socket closed since the poll was armed is no longer in the map: its messages die with it.
        this.sockets.get(fds[i] ?? -1)?.();
      }
    } finally {
      this.dispatching = false;
      this.settle();
    }
  }

  /** Polls again if any socket is open; otherwise lets the wake-up pipe go too. */
  private settle(): void {
    if (this.polling || this.dispatching) return;
    if (this.sockets.size > 0) {
      this.arm();
    } else if (this.wake !== undefined) {
      closeSync(this.wake.read);
      closeSync(this.wake.write);
      this.wake = undefined;
    }
  }

  private nudge(): void {
    if (this.wake === undefined) return;
    try {
      writeSync(this.wake.write, WAKE_BYTE);
    } catch (error) {
      // EAGAIN: the pipe is full of wake-ups already, and poll() will return for them.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }

  private drainWakePipe(): void {
    if (this.wake === undefined) return;
    const scratch = Buffer.alloc(64);
    try {
      while (readSync(this.wake.read, scratch) > 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

const WAKE_BYTE = Buffer.of(1);
const poller = new Poller();

function openWakePipe(): { read: number; write: number } {
  const fds = new Int32Array(2);
  if (pipe2Fn(fds, O_CLOEXEC | O_NONBLOCK) === -1) throw new Error(`notify sockets: pipe2 failed: ${strerror(koffi.errno())}`);
  return { read: fds[0] ?? -1, write: fds[1] ?? -1 };
}

function socketAddress(path: string): { sun_family: number; sun_path: string } {
  // sd_notify(3) clients accept only an absolute path (or an abstract name, which has no file to create).
  if (!isAbsolute(path)) throw bindError(path, 'not an absolute path');
  if (path.includes('\0')) throw bindError(path, 'the path contains a NUL byte');
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_PATH_BYTES) {
    throw bindError(path, `${strerror(ENAMETOOLONG)}: ${bytes} bytes, a unix socket path has at most ${MAX_PATH_BYTES}`);
  }
  return { sun_family: AF_UNIX, sun_path: path };
}

function bindError(path: string, reason: string, cause?: unknown): Error {
  return new Error(`cannot open notify socket ${path}: ${reason}`, cause === undefined ? undefined : { cause });
}
