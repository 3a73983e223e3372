// Who sent a datagram on a unix socket: with SO_PASSCRED set, the kernel attaches the
// sender's pid, uid and gid (SCM_CREDENTIALS) to each datagram, and recvmsg() reads them.
// The kernel fills them in itself, so a sender cannot claim to be another process.
import koffi from 'koffi';
import { libc } from './libc.ts';


// Linux values, the same on x64 and arm64; structures laid out for 64-bit little-endian.
const SOL_SOCKET = 1;
const SO_PASSCRED = 16;
const SCM_CREDENTIALS = 2;
const MSGHDR_SIZE = 56; // name, namelen(+pad), iov, iovlen, control, controllen, flags(+pad)
const MSG_IOV = 16;
const MSG_IOVLEN = 24;
const MSG_CONTROL = 32;
const MSG_CONTROLLEN = 40;
const MSG_FLAGS = 48;
const IOVEC_SIZE = 16;
const CMSG_HEADER = 16; // cmsg_len (size_t), cmsg_level, cmsg_type
/**
 * Room for the credentials only (CMSG_SPACE(sizeof(struct ucred)) is 32). Descriptors a
 * sender passes along (SCM_RIGHTS, as sd_notify's BARRIER=1 does) do not fit, and the
 * kernel closes them: that is what tells a barrier that its message was read.
 */
const CONTROL_SIZE = 32;

const setsockoptFn = libc.func('int setsockopt(int fd, int level, int name, void *value, uint32_t length)');
const recvmsgFn = libc.func('intptr_t recvmsg(int fd, void *msg, int flags)');

/** Asks the kernel to attach the sender's credentials to every datagram read from `fd`; the errno on failure, else 0. */
export function passCredentials(fd: number): number {
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  return setsockoptFn(fd, SOL_SOCKET, SO_PASSCRED, one, 4) === -1 ? koffi.errno() : 0;
}

export type Received = { size: number; pid: number | undefined } | { errno: number };

/**
 * Native memory for recvmsg(): the kernel writes through the pointers in msghdr, so they
 * must stay put, which a Node Buffer that koffi copies for the call does not.
 */
class Scratch {
  readonly msg: unknown;
  readonly msgView: Buffer;
  readonly data: Buffer;
  readonly control: Buffer;

  constructor(readonly dataSize: number) {
    const data = koffi.alloc('uint8_t', dataSize);
    const control = koffi.alloc('uint8_t', CONTROL_SIZE);
    const iov = koffi.alloc('uint8_t', IOVEC_SIZE);
    this.msg = koffi.alloc('uint8_t', MSGHDR_SIZE);
    this.data = Buffer.from(koffi.view(data, dataSize));
    this.control = Buffer.from(koffi.view(control, CONTROL_SIZE));
    const iovView = Buffer.from(koffi.view(iov, IOVEC_SIZE));
    iovView.writeBigUInt64LE(koffi.address(data), 0);
    iovView.writeBigUInt64LE(BigInt(dataSize), 8);
    this.msgView = Buffer.from(koffi.view(this.msg, MSGHDR_SIZE));
    this.msgView.fill(0);
    this.msgView.writeBigUInt64LE(koffi.address(iov), MSG_IOV);
    this.msgView.writeBigUInt64LE(1n, MSG_IOVLEN);
    this.msgView.writeBigUInt64LE(koffi.address(control), MSG_CONTROL);
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
  const { msg, msgView, data, control } = scratch;
  msgView.writeBigUInt64LE(BigInt(CONTROL_SIZE), MSG_CONTROLLEN);
  msgView.writeInt32LE(0, MSG_FLAGS);
  control.fill(0);
  const size = Number(recvmsgFn(fd, msg, flags));
  if (size === -1) return { errno: koffi.errno() };
  data.copy(buffer, 0, 0, Math.min(size, buffer.length));
  const controlLength = Number(msgView.readBigUInt64LE(MSG_CONTROLLEN));
  let pid: number | undefined;
  if (controlLength >= CMSG_HEADER + 12 && control.readInt32LE(8) === SOL_SOCKET && control.readInt32LE(12) === SCM_CREDENTIALS) {
    pid = control.readInt32LE(CMSG_HEADER);
  }
  return { size, pid };
}
