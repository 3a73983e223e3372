// Who sent a datagram on a unix socket: with SO_PASSCRED set, the kernel attaches the
// sender's pid, uid and gid (SCM_CREDENTIALS) to each datagram, and recvmsg() reads them.
// The kernel fills them in itself, so a sender cannot claim to be another process.
import { lastErrno, libc, nativeBytes, setSocketOption, SO_PASSCRED, SOL_SOCKET, type NativeBytes } from './libc.ts';

// Structures laid out for 64-bit little-endian Linux (x64 and arm64).
const SCM_CREDENTIALS = 2;
/** struct msghdr: its size and the offsets of the fields written or read here. */
const MSGHDR = { size: 56, iov: 16, iovlen: 24, control: 32, controllen: 40, flags: 48 } as const;
const IOVEC_SIZE = 16;
const CMSG_HEADER = 16; // cmsg_len (size_t), cmsg_level, cmsg_type
/**
 * Room for the credentials only (CMSG_SPACE(sizeof(struct ucred)) is 32). Descriptors a
 * sender passes along (SCM_RIGHTS, as sd_notify's BARRIER=1 does) do not fit, and the
 * kernel closes them: that is what tells a barrier that its message was read.
 */
const CONTROL_SIZE = 32;

const recvmsgFn = libc.func('intptr_t recvmsg(int fd, void *msg, int flags)');

/** Asks the kernel to attach the sender's credentials to every datagram read from `fd`. */
export function passCredentials(fd: number): void {
  setSocketOption('setsockopt(SO_PASSCRED)', fd, SOL_SOCKET, SO_PASSCRED, 1);
}

export type Received = { size: number; pid: number | undefined } | { errno: number };

/**
 * Native memory for recvmsg(): the kernel writes through the pointers in msghdr, so they
 * must stay put, which a Node Buffer that koffi copies for the call does not.
 */
class Scratch {
  readonly msg: NativeBytes;
  readonly data: Buffer;
  readonly control: Buffer;

  constructor(readonly dataSize: number) {
    const data = nativeBytes(dataSize);
    const control = nativeBytes(CONTROL_SIZE);
    const iov = nativeBytes(IOVEC_SIZE);
    this.msg = nativeBytes(MSGHDR.size);
    this.data = data.bytes;
    this.control = control.bytes;
    iov.bytes.writeBigUInt64LE(data.address, 0);
    iov.bytes.writeBigUInt64LE(BigInt(dataSize), 8);
    const header = this.msg.bytes;
    header.fill(0);
    header.writeBigUInt64LE(iov.address, MSGHDR.iov);
    header.writeBigUInt64LE(1n, MSGHDR.iovlen);
    header.writeBigUInt64LE(control.address, MSGHDR.control);
  }
}

let scratch: Scratch | undefined;

/**
 * Reads one datagram from `fd` into `buffer` (as recv() would, `flags` included: with
 * MSG_TRUNC the real length of a longer datagram is returned) and the sender's pid, when
 * the kernel attached it.
 */
export function receiveWithSender(fd: number, buffer: Buffer, flags: number): Received {
  if (scratch === undefined || scratch.dataSize !== buffer.length) scratch = new Scratch(buffer.length);
  const { msg, data, control } = scratch;
  msg.bytes.writeBigUInt64LE(BigInt(CONTROL_SIZE), MSGHDR.controllen);
  msg.bytes.writeInt32LE(0, MSGHDR.flags);
  control.fill(0);
  const size = Number(recvmsgFn(fd, msg.pointer, flags));
  if (size === -1) return { errno: lastErrno() };
  data.copy(buffer, 0, 0, Math.min(size, buffer.length));
  const controlLength = Number(msg.bytes.readBigUInt64LE(MSGHDR.controllen));
  let pid: number | undefined;
  if (controlLength >= CMSG_HEADER + 12 && control.readInt32LE(8) === SOL_SOCKET && control.readInt32LE(12) === SCM_CREDENTIALS) {
    pid = control.readInt32LE(CMSG_HEADER);
  }
  return { size, pid };
}
