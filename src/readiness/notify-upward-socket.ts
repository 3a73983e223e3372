// The init's own NOTIFY_SOCKET, upward: one datagram per message to the unix socket
// the manager (systemd, podman --sdnotify=container) gave it, as sd_notify(3) sends it.
//
// Node has no unix datagram sockets: the socket and sendto() are libc's, through koffi.
import { closeSync } from 'node:fs';
import { abstractSocketAddress, AF_UNIX, check, lastErrno, sendtoFn, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, socketFn, strerror, unixSocketAddress, type UnixAddress } from '../pid1/libc.ts';
import { systemdText, type UpwardChannel, type UpwardMessage } from './notify-upward.ts';

/**
 * The address NOTIFY_SOCKET names, as sd_notify(3) reads it: an absolute path, or an
 * abstract name after `@`. Anything else is refused with the reason.
 */
export function notifySocketAddress(target: string): UnixAddress {
  if (target.startsWith('@')) return abstractSocketAddress(target.slice(1));
  if (!target.startsWith('/')) throw new Error('not an absolute path nor an abstract name (@name)');
  return unixSocketAddress(target);
}

export class NotifySocketSender implements UpwardChannel {
  readonly name: string;
  private closed = false;

  private constructor(
    private readonly fd: number,
    private readonly address: UnixAddress,
    target: string,
  ) {
    this.name = `NOTIFY_SOCKET=${target}`;
  }

  /** Throws, saying why, when `target` is no address or no socket can be made. */
  static open(target: string): NotifySocketSender {
    const address = notifySocketAddress(target);
    // Non-blocking: a manager whose queue is full loses a message rather than stalling the init.
    const fd = check('socket', socketFn(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    return new NotifySocketSender(fd, address, target);
  }

  send(message: UpwardMessage): string | undefined {
    if (this.closed) return 'closed';
    const datagram = Buffer.from(systemdText(message));
    const sent = Number(sendtoFn(this.fd, datagram, datagram.length, 0, this.address.address, this.address.length));
    return sent === -1 ? `sendto: ${strerror(lastErrno())}` : undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
