// Measuring helpers: medians, process start and /proc readings.
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Wall time of one run of argv, in milliseconds. */
export function timeRun(argv: string[], env?: NodeJS.ProcessEnv): number {
  const [file, ...args] = argv as [string, ...string[]];
  const start = process.hrtime.bigint();
  const result = spawnSync(file, args, { stdio: 'ignore', env: env ?? process.env, timeout: 30_000, killSignal: 'SIGKILL' });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}`);
  return elapsed;
}

export function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Waits until `pid` has a child, then returns it; the first child of unshare is the namespace's PID 1. */
export async function firstChild(pid: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [child] = children(pid);
    if (child !== undefined) return child;
    if (Date.now() > deadline) throw new Error(`process ${pid} started no child`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? NaN);
}

/** utime + stime of `pid`, in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Every process start() started that has not exited yet: killed if the bench itself is interrupted. */
export const LIVE = new Set<ChildProcess>();

export function start(argv: string[], env?: NodeJS.ProcessEnv, stdio: StdioOptions = ['ignore', 'pipe', 'inherit']): ChildProcess {
  const [file, ...args] = argv as [string, ...string[]];
  const child = spawn(file, args, { stdio, env: env ?? process.env });
  LIVE.add(child);
  child.once('exit', () => LIVE.delete(child));
  return child;
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 10 ms until it returns a value other than undefined; throws after `timeoutMs`, naming `what`. */
export async function until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Settles like `promise`, or rejects after `timeoutMs`, naming `what`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on at this moment. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP port for 127.0.0.1');
  return address.port;
}

/** The CLOCK_MONOTONIC nanoseconds written by bench/fixtures/service.mjs, one file per process: `ready-PID`, `exit-PID`. */
export function readStamps(dir: string, kind: 'ready' | 'exit'): bigint[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(`${kind}-`))
    .map((name) => readFileSync(`${dir}/${name}`, 'utf8').trim())
    .filter((text) => text !== '')
    .map((text) => BigInt(text));
}
