// The few Linux process and signal system calls Node does not expose, bound through koffi.
// Loaded lazily in single-command mode: at start only for -s, -p or a terminal, else
// off the start-up path (see modes/single-command.ts).
import { check, lastErrno, libc, nativeBytes, strerror } from './libc.ts';
import { readdirSync } from 'node:fs';
import { constants } from 'node:os';

const P_ALL = 0;
const WNOHANG = 1;
const WEXITED = 4;
const WNOWAIT = 0x01000000;
const PR_SET_PDEATHSIG = 1;
const PR_SET_CHILD_SUBREAPER = 36;
const SIG_BLOCK = 0;
const SIG_SETMASK = 2;
const SIGINFO_SIZE = 128;
const SIGINFO_PID_OFFSET = 16; // si_signo, si_errno, si_code, padding, then si_pid on 64-bit Linux
const SIGSET_SIZE = 128;
const SIG_DFL = 0;
const SIG_IGN = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

const waitidFn = libc.func('int waitid(int idtype, int id, void *info, int options)');
// The status pointer as an integer: koffi converts a number faster than it checks a pointer
// object, and waitpid is called once per zombie (see waitStatusAddress).
const waitpidFn = libc.func('int waitpid(int pid, intptr_t status, int options)');
const prctlFn = libc.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)');
const setpgidFn = libc.func('int setpgid(int pid, int pgid)');
const tcsetpgrpFn = libc.func('int tcsetpgrp(int fd, int pgrp)');
// The handler as an integer: SIG_DFL is 0 and SIG_IGN is 1, no JavaScript function is ever installed.
const signalFn = libc.func('intptr_t signal(int sig, intptr_t handler)');
const sigprocmaskFn = libc.func('int sigprocmask(int how, void *set, void *oldset)');
const sigemptysetFn = libc.func('int sigemptyset(void *set)');
const sigaddsetFn = libc.func('int sigaddset(void *set, int sig)');
const execvpeFn = libc.func('int execvpe(const char *file, const char **argv, const char **envp)');
const fcntlFn = libc.func('int fcntl(int fd, int cmd, int arg)');

export { strerror };

// One buffer for every waitid peek (once per reaping pass, so koffi copying it costs nothing that counts).
const siginfo = Buffer.alloc(SIGINFO_SIZE);
// waitpid's status word, in native memory: koffi copies a Buffer argument in and out on
// every call, which made reaping a burst of 10,000 zombies ~40% slower. Its address is a
// user-space address, well under 2^53, so a number holds it exactly.
const waitStatus = nativeBytes(4);
const waitStatusAddress = Number(waitStatus.address);

/** The pid of some child that is a zombie now, without reaping it; 0 when there is none, -1 when there are no children. */
export function peekZombie(): number {
  siginfo.fill(0, SIGINFO_PID_OFFSET, SIGINFO_PID_OFFSET + 4);
  const result = waitidFn(P_ALL, 0, siginfo, WEXITED | WNOHANG | WNOWAIT);
  if (result === -1) return -1;
  return siginfo.readInt32LE(SIGINFO_PID_OFFSET);
}

/** How a reaped child ended: its exit code, or the number of the signal that killed it. */
export interface ReapedEnd {
  exitCode: number | null;
  signal: number | null;
}

/**
 * Reaps some child that is a zombie, whichever it is; its pid, or 0 when none is (or there
 * are no children). How it ended is read from lastReapedEnd(), only when wanted.
 */
export function reapAnyZombie(): number {
  const pid = waitpidFn(-1, waitStatusAddress, WNOHANG);
  return pid > 0 ? pid : 0;
}

/** How the child that the last reapAnyZombie() or reapPid() took ended (the wait status word decoded). */
export function lastReapedEnd(): ReapedEnd {
  const status = waitStatus.bytes.readInt32LE(0);
  const signal = status & 0x7f;
  return signal === 0 ? { exitCode: (status >> 8) & 0xff, signal: null } : { exitCode: null, signal };
}

/** Reaps `pid` if it is a zombie; true when it did. */
export function reapPid(pid: number): boolean {
  return waitpidFn(pid, waitStatusAddress, WNOHANG) === pid;
}

export function setChildSubreaper(): void {
  check('prctl(PR_SET_CHILD_SUBREAPER)', prctlFn(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

export function setParentDeathSignal(signal: number): void {
  check('prctl(PR_SET_PDEATHSIG)', prctlFn(PR_SET_PDEATHSIG, signal, 0, 0, 0));
}

export function setOwnProcessGroup(): void {
  check('setpgid', setpgidFn(0, 0));
}

/** Makes process group `pgrp` the foreground group of the terminal on `fd`. SIGTTOU is blocked meanwhile, as a background group asking for the terminal would otherwise be stopped. */
export function takeTerminal(fd: number, pgrp: number): void {
  const set = Buffer.alloc(SIGSET_SIZE);
  const old = Buffer.alloc(SIGSET_SIZE);
  sigemptysetFn(set);
  sigaddsetFn(set, constants.signals.SIGTTOU);
  sigprocmaskFn(SIG_BLOCK, set, old);
  try {
    check('tcsetpgrp', tcsetpgrpFn(fd, pgrp));
  } finally {
    sigprocmaskFn(SIG_SETMASK, old, null);
  }
}

/** Every signal back to its default action and none blocked, as a freshly exec'd program expects: Node ignores SIGPIPE and SIGXFSZ, and ignored signals survive exec. */
export function resetSignals(): void {
  for (let sig = 1; sig < 32; sig++) {
    if (sig === constants.signals.SIGKILL || sig === constants.signals.SIGSTOP) continue; // SIGKILL and SIGSTOP cannot be changed
    signalFn(sig, SIG_DFL);
  }
  const empty = Buffer.alloc(SIGSET_SIZE);
  sigemptysetFn(empty);
  sigprocmaskFn(SIG_SETMASK, empty, null);
}

/**
 * Decides which descriptors the exec'd command inherits: exactly 0 to keep-1.
 * Node marks even stdio close-on-exec, and its own descriptors (libuv's signal
 * pipe, the event loop) must not leak into the command.
 */
export function keepOnlyFds(keep: number): void {
  for (const entry of readdirSync('/proc/self/fd')) {
    const fd = Number(entry);
    fcntlFn(fd, F_SETFD, fd < keep ? 0 : FD_CLOEXEC);
  }
}

/** Marks an inherited descriptor close-on-exec, so that it stops at this process. */
export function closeOnExec(fd: number): void {
  check('fcntl', fcntlFn(fd, F_SETFD, FD_CLOEXEC));
}

/** Replaces this process with `file` (looked up in PATH). Returns only on failure, with the errno. */
export function exec(file: string, argv: string[], env: Record<string, string | undefined>): number {
  const envp = Object.entries(env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${value}`);
  execvpeFn(file, [...argv, null], [...envp, null]);
  return lastErrno();
}

/**
 * Ignores SIGTTOU and SIGTTIN. Once the child owns the terminal the init is a
 * background process: with `stty tostop` its log writes would stop it.
 */
export function ignoreTerminalStops(): void {
  signalFn(constants.signals.SIGTTOU, SIG_IGN);
  signalFn(constants.signals.SIGTTIN, SIG_IGN);
}

const PR_GET_CHILD_SUBREAPER = 37;
const prctlGetIntFn = libc.func('int prctl(int option, _Out_ int *value, unsigned long arg3, unsigned long arg4, unsigned long arg5)');

/** Whether this process is a child subreaper already: the bit survives exec, so a parent may have set it for us (tini checks it too). */
export function isChildSubreaper(): boolean {
  const value = [0];
  check('prctl(PR_GET_CHILD_SUBREAPER)', prctlGetIntFn(PR_GET_CHILD_SUBREAPER, value, 0, 0, 0));
  return value[0] !== 0;
}
