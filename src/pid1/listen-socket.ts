// The listening sockets the init binds once and hands to every instance of every
// generation (BATON_<NAME>_LISTEN). Node can listen, but cannot give a child the
// listening descriptor itself, so the socket is made with koffi: socket, bind, listen.
// The init never accepts on it; it only keeps it open, so the kernel's accept queue
// lives across reloads while old and new instances accept from the same socket.
import koffi from 'koffi';
import { libc, strerror } from './libc.ts';
import { closeSync, lstatSync, unlinkSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Listen } from '../config/types.ts';
import { claimSocketPath } from './socket-path.ts';


const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
// Close-on-exec: the socket reaches an instance only where it is handed over as fd 3.
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
const BACKLOG = 4096; // the kernel caps it at net.core.somaxconn

const socketFn = libc.func('int socket(int domain, int type, int protocol)');
const setsockoptFn = libc.func('int setsockopt(int fd, int level, int name, void *value, uint32_t length)');
const bindFn = libc.func('int bind(int fd, void *address, uint32_t length)');
const listenFn = libc.func('int listen(int fd, int backlog)');

export interface ListenSocket {
  fd: number;
  /** As shown in logs: `0.0.0.0:8080` or the path. */
  address: string;
  close(): void;
}

/** Binds and listens; throws an Error that says what failed and why. */
export async function openListenSocket(listen: Listen): Promise<ListenSocket> {
  if (listen.kind === 'unix') return bindUnix(listen.path);
  const ip = isIP(listen.host) === 0 ? (await lookup(listen.host)).address : listen.host;
  return bindTcp(ip, listen.port);
}

function bindTcp(ip: string, port: number): ListenSocket {
  const v6 = isIP(ip) === 6;
  const address = v6 ? `[${ip}]:${port}` : `${ip}:${port}`;
  const fd = socketFn(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd === -1) throw failure(`socket for ${address}`);
  try {
    // Restarting the container must not wait for old connections in TIME_WAIT.
    setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, address);
    if (v6 && ip === '::') setOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0, address);
    const sockaddr = v6 ? sockaddrIn6(ip, port) : sockaddrIn(ip, port);
    if (bindFn(fd, sockaddr, sockaddr.length) === -1) throw failure(`bind ${address}`);
    if (listenFn(fd, BACKLOG) === -1) throw failure(`listen on ${address}`);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return { fd, address, close: () => closeSync(fd) };
}

function bindUnix(path: string): ListenSocket {
  const bytes = Buffer.from(path);
  if (bytes.length > 107) throw new Error(`bind ${path}: the path is ${bytes.length} bytes, a unix socket path has at most 107`);
  claimSocketPath(path); // a dead socket left by a previous run goes; anything else stays and is an error
  const fd = socketFn(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd === -1) throw failure(`socket for ${path}`);
  let inode: number | undefined;
  try {
    const sockaddr = Buffer.alloc(2 + 108);
    sockaddr.writeUInt16LE(AF_UNIX, 0);
    bytes.copy(sockaddr, 2);
    if (bindFn(fd, sockaddr, 2 + bytes.length + 1) === -1) throw failure(`bind ${path}`);
    inode = lstatSync(path).ino;
    if (listenFn(fd, BACKLOG) === -1) throw failure(`listen on ${path}`);
  } catch (error) {
    closeSync(fd);
    removeIfSame(path, inode);
    throw error;
  }
  return {
    fd,
    address: path,
    close: () => {
      closeSync(fd);
      removeIfSame(path, inode);
    },
  };
}

/** Removes the socket file this init bound, never a file someone has since put at the path. */
function removeIfSame(path: string, inode: number | undefined): void {
  if (inode === undefined) return;
  try {
    if (lstatSync(path).ino === inode) unlinkSync(path);
  } catch {
    // gone already
  }
}

function setOption(fd: number, level: number, name: number, value: number, address: string): void {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value);
  if (setsockoptFn(fd, level, name, buffer, 4) === -1) throw failure(`setsockopt on ${address}`);
}

function sockaddrIn(ip: string, port: number): Buffer {
  const buffer = Buffer.alloc(16);
  buffer.writeUInt16LE(AF_INET, 0); // sa_family is in host order (little-endian on x64 and arm64)
  buffer.writeUInt16BE(port, 2);
  ip.split('.').forEach((octet, i) => buffer.writeUInt8(Number(octet), 4 + i));
  return buffer;
}

function sockaddrIn6(ip: string, port: number): Buffer {
  const buffer = Buffer.alloc(28);
  buffer.writeUInt16LE(AF_INET6, 0);
  buffer.writeUInt16BE(port, 2);
  expandIpv6(ip).forEach((group, i) => buffer.writeUInt16BE(group, 8 + i * 2));
  return buffer;
}

/** `::1` -> eight 16-bit groups. */
function expandIpv6(ip: string): number[] {
  const [head = '', tail] = ip.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function failure(what: string): Error {
  return new Error(`${what}: ${strerror(koffi.errno())}`);
}
