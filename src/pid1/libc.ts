// The C library, bound once through koffi for every module that needs a system call Node
// does not have, and the one way of turning an errno into words.
import koffi from 'koffi';

export const libc = koffi.load(null as unknown as string); // dlopen(NULL): the running process, so glibc and musl alike

const strerrorFn = libc.func('const char *strerror(int errnum)');

export function strerror(errno: number): string {
  return strerrorFn(errno);
}
