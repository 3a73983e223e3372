// Reads a child's stdout or stderr pipe into one buffer shared by every pipe, instead of
// the new 64 KiB buffer Node allocates for each read of a stream. That garbage lives
// outside the V8 heap, and Node 22 and 24 let it pile up by tens of megabytes before a
// collection frees it: under a child writing at full speed the init went above 100 MB.
//
// child_process hands the pipe over as a stream only; the init takes its descriptor
// over (a duplicate, the stream itself is then closed) and reads it through a socket
// given `onread`, Node's documented way of reading into a caller's buffer. Each chunk
// is a view of the shared buffer, valid only during the `data` call.
import { closeSync } from 'node:fs';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { libc } from '../pid1/libc.ts';

const F_DUPFD_CLOEXEC = 1030;
/** A pipe read never returns more than this (libuv's own read size). */
const READ_BYTES = 64 * 1024;

const fcntlFn = libc.func('int fcntl(int fd, int cmd, int arg)');
let shared: Buffer | undefined;

export interface PipeHandlers {
  /** A chunk of the pipe, valid only during the call. */
  data(chunk: Buffer): void;
  /** The pipe ended, or could not be read any more; called once. */
  end(): void;
}

export interface PipeReader {
  pause(): void;
  resume(): void;
}

export function readChildPipe(stream: Readable, handlers: PipeHandlers): PipeReader {
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    handlers.end();
  };
  const socket = socketOnDuplicate(stream, handlers.data);
  if (socket === undefined) {
    // Not a descriptor the init can take (not Linux, or Node changed): read the stream as it is.
    stream.on('data', (chunk: Buffer) => handlers.data(chunk));
    stream.once('end', end);
    stream.once('error', end);
    return { pause: () => stream.pause(), resume: () => stream.resume() };
  }
  socket.once('end', () => {
    end();
    socket.destroy();
  });
  // A read error ends the pipe as far as the init is concerned; what was read still counts.
  socket.once('error', end);
  socket.once('close', end);
  return { pause: () => socket.pause(), resume: () => socket.resume() };
}

/**
 * A socket reading a close-on-exec duplicate of the stream's descriptor into the shared
 * buffer, the stream closed; undefined, the stream untouched, if that cannot be done.
 */
function socketOnDuplicate(stream: Readable, data: (chunk: Buffer) => void): net.Socket | undefined {
  // The descriptor of a child_process pipe is on its handle, which Node does not document.
  const fd = (stream as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  // Bytes the stream already read would be lost with it; none are, as it is taken in the tick it was created.
  if (typeof fd !== 'number' || fd < 0 || stream.readableLength > 0) return undefined;
  const copy = fcntlFn(fd, F_DUPFD_CLOEXEC, 3) as number;
  if (copy === -1) return undefined; // EMFILE and the like: the stream is still there to read
  const buffer = (shared ??= Buffer.allocUnsafe(READ_BYTES));
  // The types list onread for connect() only; Node's documentation, for the constructor too.
  const options: net.SocketConstructorOpts & { onread: net.OnReadOpts } = {
    fd: copy,
    readable: true,
    writable: false,
    onread: {
      buffer,
      callback: (bytes: number) => {
        data(buffer.subarray(0, bytes));
        return true;
      },
    },
  };
  let socket: net.Socket;
  try {
    socket = new net.Socket(options);
  } catch {
    closeSync(copy); // a descriptor Node cannot read as a socket or pipe
    return undefined;
  }
  stream.destroy();
  return socket;
}
