// systemd's NOTIFY_SOCKET: a unix datagram socket per instance, to which the instance
// (or systemd-notify, or any sd_notify(3) client) sends READY=1 and friends.
//
// Node has no unix datagram sockets, so the socket itself is made through koffi;
// everything Node can do on a plain fd or path (close, chmod, chown, unlink) is left to Node.
import { chmodSync, chownSync, closeSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { constants } from 'node:os';
import { AF_UNIX, bindFn, check, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, socketFn, SocketPathRefused } from '../pid1/libc.ts';
import { passCredentials, receiveWithSender } from '../pid1/datagram-credentials.ts';
import { boundSocketFile, claimSocketPath, type BoundSocketFile } from '../pid1/socket-path.ts';
import { parseSystemdText, type NotifyMessage } from './messages.ts';
import { mayNotify } from './notify-access.ts';
import { ReadablePoller } from './readable-poller.ts';

const MSG_TRUNC = 0x20; // recv then returns the datagram's real length, so truncation shows
const { EINTR } = constants.errno;

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

// Every datagram is read and parsed on the main thread before the next is read, so one buffer serves all sockets.
const receiveBuffer = Buffer.alloc(RECEIVE_BUFFER_SIZE);
/** One poll() waits for datagrams on every open notify socket at once. */
const poller = new ReadablePoller();

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
    private readonly file: BoundSocketFile,
    private readonly options: NotifySocketOptions,
  ) {}

  /**
   * Creates the socket file at `path` and starts receiving on it. A stale socket file
   * (one nobody receives on any more) is replaced; a live one, or a file that is not a
   * socket, is left alone and the bind fails. Messages are always delivered from a later
   * event-loop turn, so listeners added right after open miss nothing.
   */
  static open(path: string, options: NotifySocketOptions = {}): NotifySocket {
    // sd_notify(3) clients accept only an absolute path (or an abstract name, which has no file to create).
    if (!isAbsolute(path)) throw bindError(path, 'not an absolute path');
    let fd: number | undefined;
    let file: BoundSocketFile | undefined;
    try {
      const { address, length } = claimSocketPath(path);
      fd = check('socket', socketFn(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      passCredentials(fd);
      check('bind', bindFn(fd, address, length));
      file = boundSocketFile(path);
      if (options.uid !== undefined || options.gid !== undefined) chownSync(path, options.uid ?? -1, options.gid ?? -1);
      chmodSync(path, SOCKET_MODE);
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      file?.remove();
      throw bindError(path, error instanceof SocketPathRefused ? error.reason : (error as Error).message, error);
    }
    const socket = new NotifySocket(path, fd, file, options);
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
    this.file.remove();
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

function bindError(path: string, reason: string, cause?: unknown): Error {
  return new Error(`cannot open notify socket ${path}: ${reason}`, cause === undefined ? undefined : { cause });
}
