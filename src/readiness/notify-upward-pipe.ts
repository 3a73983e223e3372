// The init's own NOTIFY_PIPE, upward: one JSON line per message on the descriptor the
// manager (async-container, or a baton above this one) handed it, in async-container's form.
import { Socket } from 'node:net';
import { closeOnExec } from '../pid1/syscalls.ts';
import { pipeLine, type UpwardChannel, type UpwardMessage } from './notify-upward.ts';

/**
 * What may wait unwritten for a manager that does not read. Messages are a few dozen
 * bytes and come seldom (a keep-alive each half watchdog interval): this much pending
 * means the reader is stuck, and what comes after it is dropped.
 */
const MAX_PENDING_BYTES = 64 * 1024;

export class NotifyPipeWriter implements UpwardChannel {
  readonly name: string;
  private broken: string | undefined;

  private constructor(private readonly socket: Socket, descriptor: string) {
    this.name = `NOTIFY_PIPE=${descriptor}`;
    socket.on('error', (error: Error) => {
      this.broken ??= error.message;
    });
  }

  /** Throws, saying why, when `descriptor` is not the number of an open pipe or socket. */
  static open(descriptor: string): NotifyPipeWriter {
    if (!/^\d+$/.test(descriptor)) throw new Error('not a file descriptor number');
    const fd = Number(descriptor);
    if (fd <= 2) throw new Error('a standard stream, not a pipe of its own');
    // libuv writes to it without blocking, queueing what the pipe cannot take at once.
    const socket = new Socket({ fd, readable: false, writable: true });
    // Only the init reports on it: its services have channels of their own.
    closeOnExec(fd);
    socket.unref();
    return new NotifyPipeWriter(socket, descriptor);
  }

  send(message: UpwardMessage): string | undefined {
    if (this.broken !== undefined) return this.broken;
    if (this.socket.writableLength > MAX_PENDING_BYTES) return `the reader has not taken the last ${this.socket.writableLength} bytes: dropping messages`;
    this.socket.write(pipeLine(message));
    return undefined;
  }

  close(): void {
    this.socket.destroy();
  }
}
