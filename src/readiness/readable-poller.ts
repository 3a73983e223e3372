// Waits until any of a changing set of descriptors is readable, with a single poll() on
// one libuv threadpool thread (koffi's .async), for descriptors Node cannot watch itself
// (the notify sockets' unix datagram sockets, made through koffi).
import { closeSync, readSync, writeSync } from 'node:fs';
import { check, libc, O_CLOEXEC, O_NONBLOCK } from '../pid1/libc.ts';

const POLLIN = 0x1;
// struct pollfd { int fd; short events; short revents; }: 8 bytes, no padding.
const POLLFD_SIZE = 8;
const WAKE_BYTE = Buffer.of(1);

const pipe2Fn = libc.func('int pipe2(void *fds, int flags)');
const pollFn = libc.func('int poll(void *fds, unsigned long nfds, int timeout)');

/**
 * The poll() runs over the descriptors and a wake-up pipe. Its callback, on the main
 * thread, calls the drain of each descriptor poll() marked readable and arms the next
 * poll(). Changing the set writes to the wake-up pipe so that the pending poll() returns
 * and is re-armed with the new set; a descriptor removed meanwhile is kept open until the
 * worker thread has stopped polling it, so that the number cannot be reused under the
 * poll. With no descriptor left nothing is pending: no thread is held and the process
 * may exit.
 */
export class ReadablePoller {
  /** What to do when each fd is readable. */
  private readonly watched = new Map<number, () => void>();
  private wake: { read: number; write: number } | undefined;
  /** A poll() is running on the threadpool. */
  private polling = false;
  /** Inside the poll callback: it arms the next poll() itself once it is done. */
  private dispatching = false;
  private exiting = false;
  /** Fds removed while the worker thread may still be polling them. */
  private readonly closeAfterPoll: number[] = [];

  constructor() {
    // At exit libuv joins its threadpool threads, and one blocked in poll() would hang the exit for ever.
    process.once('exit', () => {
      this.exiting = true;
      if (this.polling) this.nudge();
    });
  }

  /** Calls `drain` whenever `fd` is readable, until remove(fd). */
  add(fd: number, drain: () => void): void {
    this.wake ??= openWakePipe();
    this.watched.set(fd, drain);
    if (this.polling) this.nudge();
    else this.arm();
  }

  /** Stops watching `fd` and closes it: at once, or once the pending poll() has let go of it. */
  remove(fd: number): void {
    this.watched.delete(fd);
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
    if (this.polling || this.dispatching || this.exiting || this.watched.size === 0 || wake === undefined) return;
    const fds = [wake.read, ...this.watched.keys()];
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
        // A descriptor removed since the poll was armed is no longer in the map: what it had to read dies with it.
        this.watched.get(fds[i] ?? -1)?.();
      }
    } finally {
      this.dispatching = false;
      this.settle();
    }
  }

  /** Polls again if any descriptor is watched; otherwise lets the wake-up pipe go too. */
  private settle(): void {
    if (this.polling || this.dispatching) return;
    if (this.watched.size > 0) {
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

function openWakePipe(): { read: number; write: number } {
  const fds = new Int32Array(2);
  check('pipe2 (the poller\'s wake-up pipe)', pipe2Fn(fds, O_CLOEXEC | O_NONBLOCK));
  return { read: fds[0] ?? -1, write: fds[1] ?? -1 };
}
