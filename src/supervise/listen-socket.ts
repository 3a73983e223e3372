// The listening sockets the init binds once and hands to every instance of every
// generation (BATON_<NAME>_LISTEN). Node can listen, but cannot give a child the
// listening descriptor itself, so the socket is made with koffi: socket, bind, listen.
// The init never accepts on it; it only keeps it open, so the kernel's accept queue
// lives across reloads while old and new instances accept from the same socket.
import { closeSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AF_INET, AF_INET6, AF_UNIX, bindFn, check, libc, setSocketOption, SO_REUSEADDR, SOCK_CLOEXEC, SOCK_STREAM, socketFn, SOL_SOCKET } from '../pid1/libc.ts';
import { boundSocketFile, claimSocketPath, type BoundSocketFile } from '../pid1/socket-path.ts';
import type { Listen } from '../config/types.ts';

const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;
const BACKLOG = 4096; // the kernel caps it at net.core.somaxconn

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
  const fd = check(`socket for ${address}`, socketFn(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  try {
    // Restarting the container must not wait for old connections in TIME_WAIT.
    setSocketOption(`setsockopt on ${address}`, fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (v6 && ip === '::') setSocketOption(`setsockopt on ${address}`, fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
    const sockaddr = v6 ? sockaddrIn6(ip, port) : sockaddrIn(ip, port);
    check(`bind ${address}`, bindFn(fd, sockaddr, sockaddr.length));
    check(`listen on ${address}`, listenFn(fd, BACKLOG));
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return { fd, address, close: () => closeSync(fd) };
}

function bindUnix(path: string): ListenSocket {
  const { address, length } = claimSocketPath(path);
  const fd = check(`socket for ${path}`, socketFn(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  let file: BoundSocketFile | undefined;
  try {
    check(`bind ${path}`, bindFn(fd, address, length));
    file = boundSocketFile(path);
    check(`listen on ${path}`, listenFn(fd, BACKLOG));
  } catch (error) {
    closeSync(fd);
    file?.remove();
    throw error;
  }
  const bound = file;
  return {
    fd,
    address: path,
    close: () => {
      closeSync(fd);
      bound.remove();
    },
  };
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
