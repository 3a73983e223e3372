// Runs the built init for a test: as PID 1 of a fresh PID namespace (unshare), or
// as a plain process, and gives access to its output, its pid and its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { after } from 'node:test';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const INIT = `${ROOT}dist/init.js`;
export const FIXTURES = `${ROOT}test/fixtures`;

export interface StartOptions {
  /** Run as PID 1 in a new PID namespace (default true). */
  pidNamespace?: boolean;
  env?: Record<string, string | undefined>;
  /** Replace the whole environment instead of extending the test's. */
  cleanEnv?: boolean;
  node?: string;
  cwd?: string;
  /** For runInit: how long the init may take to end (default WAIT_MS). */
  timeoutMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * How long a test waits, by default, for one thing the init should do: far beyond what any
 * step takes on a busy 2-core machine, and well inside the file's own timeout, so that a
 * broken behaviour fails its own test by name rather than the whole file.
 */
export const WAIT_MS = 30_000;

export class RunningInit {
  stdout = '';
  stderr = '';
  private readonly closed: Promise<Exit>;
  private waiters: Array<() => void> = [];
  private done = false;

  constructor(readonly process: ChildProcess, private readonly inNamespace: boolean) {
    process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.wake();
    });
    process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.wake();
    });
    this.closed = once(process, 'close').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
      stdout: this.stdout,
      stderr: this.stderr,
    }));
    void this.closed.then(() => {
      this.done = true;
      this.wake();
    });
  }

  /**
   * The init's end, awaited from now for at most WAIT_MS: past that the init is killed and
   * the wait fails with its output.
   */
  get exited(): Promise<Exit> {
    return this.ended();
  }

  /** The init's end, waited for at most `timeoutMs` from now (then it is killed). */
  async ended(timeoutMs = WAIT_MS): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        this.process.kill('SIGKILL');
        reject(new Error(`the init was still running ${timeoutMs} ms after the test began to wait for its end${this.tail()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.closed, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private tail(): string {
    return `\nstdout:\n${this.stdout.slice(-4000)}\nstderr:\n${this.stderr.slice(-8000)}`;
  }

  /** Resolves with the first match of `pattern` in the output; rejects if the init exits first or at the deadline. */
  async waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = WAIT_MS): Promise<RegExpMatchArray> {
    let match: RegExpMatchArray | null = null;
    await this.waitUntil(() => (match = this[stream].match(pattern)) !== null, `${pattern} on ${stream}`, timeoutMs);
    return match as unknown as RegExpMatchArray;
  }

  /** Re-checks `condition` each time the init writes something; rejects if it exits first or at the deadline. */
  async waitUntil(condition: () => boolean, what = 'the condition', timeoutMs = WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (condition()) return;
      if (this.done) throw new Error(`init exited before ${what}.${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`waited ${timeoutMs} ms for ${what}; the init is still running.${this.tail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The init's pid as the host sees it: unshare's child when in a namespace. */
  get pid(): number {
    const outer = this.process.pid;
    if (outer === undefined) throw new Error('init did not start');
    if (!this.inNamespace) return outer;
    const children = readFileSync(`/proc/${outer}/task/${outer}/children`, 'utf8').trim().split(' ').filter(Boolean);
    const [inner] = children;
    if (inner === undefined) throw new Error('unshare has no child yet');
    return Number(inner);
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }
}

// Whatever a failed test left running is killed when the test file's tests are
// over, else its pipes would keep the file from ending. With --kill-child, killing
// unshare takes its whole PID namespace down; an init outside a namespace leaves its
// services behind when killed, so every descendant goes first, and the pipes are let go
// in case one escaped.
const running = new Set<ChildProcess>();
const killLeftovers = (): void => {
  for (const child of running) {
    if (child.pid !== undefined) {
      for (const pid of descendantsOf(child.pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
    child.kill('SIGKILL');
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
};

function descendantsOf(root: number): number[] {
  const found: number[] = [];
  for (let queue = [root], pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const task of tasks) {
      try {
        const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
        found.push(...children);
        queue.push(...children);
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return found;
}
after(killLeftovers);
process.on('exit', killLeftovers);

export function startInit(args: readonly string[], options: StartOptions = {}): RunningInit {
  const inNamespace = options.pidNamespace ?? true;
  const node = options.node ?? process.execPath;
  const command = inNamespace ? ['unshare', '--fork', '--pid', '--mount-proc', '--kill-child', node, INIT, ...args] : [node, INIT, ...args];
  const env = options.cleanEnv ? options.env : { ...process.env, ...options.env };
  const [file, ...rest] = command as [string, ...string[]];
  const child = spawn(file, rest, { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return new RunningInit(child, inNamespace);
}

/** Runs the init to its end. */
export async function runInit(args: readonly string[], options: StartOptions = {}): Promise<Exit> {
  return startInit(args, options).ended(options.timeoutMs);
}

/** Starts any command, watched as the init is (killed with the test file's leftovers). */
export function startProcess(file: string, args: readonly string[], env?: Record<string, string | undefined>): RunningInit {
  const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return new RunningInit(child, false);
}

/** Runs any command to its end (for the differential runs under tini). */
export async function run(file: string, args: readonly string[], env?: Record<string, string | undefined>): Promise<Exit> {
  return startProcess(file, args, env).exited;
}

/** The parsed JSON log records the init wrote on stderr. */
export function logRecords(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
