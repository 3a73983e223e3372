// Inits in supervisor mode (baton, pm2) as PID 1 of a PID namespace of their own: their
// log, their reload commands, and the temporary folders they work in.
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { request } from '../src/control/client.ts';
import { firstChild, start, stop, withTimeout } from './measure.ts';
import { AS_PID1, PM2, ROOT } from './peers.ts';

const execFileP = promisify(execFile);

export const INIT_JS = `${ROOT}dist/init.js`;
/** The service the stop and reload scenarios run: ready after BENCH_READY_DELAY_MS, exits at once on SIGTERM/SIGINT. */
export const SERVICE = `${ROOT}bench/fixtures/service.mjs`;
export const WEB = `${ROOT}examples/web.mjs`;
/** Where the init logs of the last run of each scenario are kept, to see afterwards what happened. */
export const LOG_DIR = join(tmpdir(), 'baton-bench-logs');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'baton-bench-'));
}

/** One line of baton's JSON log (pm2's lines are kept as text, with no fields). */
export interface LogRecord {
  msg?: string;
  generation?: number;
  ms?: number;
  [field: string]: unknown;
}

/** argv run as PID 1 of a new PID namespace, its stderr read line by line; killing it kills everything in the namespace. */
export class Namespace {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly records: LogRecord[] = [];
  /** CLOCK_MONOTONIC nanoseconds at which the namespace's PID 1 was seen to exit. */
  exitedAt: bigint | undefined;
  readonly exited: Promise<void>;
  private readonly onLine = new Set<() => void>();

  constructor(argv: string[], env: NodeJS.ProcessEnv) {
    this.child = start([...AS_PID1, ...argv], env, ['ignore', 'ignore', 'pipe']);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', () => {
        this.exitedAt = process.hrtime.bigint();
        resolve();
      }),
    );
    const stderr = this.child.stderr;
    if (stderr === null) throw new Error('no stderr pipe');
    createInterface({ input: stderr }).on('line', (line) => {
      this.lines.push(line);
      try {
        const record: unknown = JSON.parse(line);
        if (typeof record === 'object' && record !== null) this.records.push(record as LogRecord);
      } catch {
        // not a JSON record
      }
      for (const listener of this.onLine) listener();
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The host pid of the namespace's PID 1. */
  pid1(): Promise<number> {
    return firstChild(this.child.pid ?? -1);
  }

  /** The first log record that matches, waiting for it up to `timeoutMs`. */
  async record(match: (record: LogRecord) => boolean, timeoutMs: number, what: string): Promise<LogRecord> {
    const found = this.records.find(match);
    if (found) return found;
    let listener: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<LogRecord>((resolve, reject) => {
        listener = () => {
          const record = this.records.find(match);
          if (record) resolve(record);
        };
        this.onLine.add(listener);
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last log lines:\n${this.lines.slice(-10).join('\n')}`)), timeoutMs);
        void this.exited.then(() => reject(new Error(`the init exited while waiting for ${what}; last log lines:\n${this.lines.slice(-10).join('\n')}`)));
      });
    } finally {
      if (listener) this.onLine.delete(listener);
      clearTimeout(timer);
    }
  }

  /** SIGKILL to unshare, which (--kill-child) kills PID 1 and so the whole namespace. */
  async kill(): Promise<void> {
    await stop(this.child);
  }

  saveLog(name: string): void {
    mkdirSync(LOG_DIR, { recursive: true });
    writeFileSync(join(LOG_DIR, `${name}.log`), `${this.lines.join('\n')}\n`);
  }
}

/** baton's environment in supervisor mode: BATON_<NAME>_<KEY> for each service, and its control socket. */
export function batonEnv(services: Record<string, Record<string, string>>, controlSocket: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, BATON_CONTROL_SOCKET: controlSocket, BATON_LOG_FORMAT: 'json' };
  for (const [name, keys] of Object.entries(services)) for (const [key, value] of Object.entries(keys)) env[`BATON_${name}_${key}`] = value;
  return env;
}

export interface BatonReload {
  committed: boolean;
  generation?: number;
  /** Request to commit, as the init measured it. */
  ms?: number;
  /** Wall time of the `--reload` command, in milliseconds. */
  wallMs: number;
  detail: string;
}

/** `node dist/init.js --reload --json`: asks the init on `controlSocket` to reload and waits for the outcome. */
export async function batonReload(controlSocket: string, timeoutMs = 60_000): Promise<BatonReload> {
  const began = process.hrtime.bigint();
  const wallMs = (): number => Number(process.hrtime.bigint() - began) / 1e6;
  let stdout: string;
  try {
    ({ stdout } = await execFileP(process.execPath, [INIT_JS, '--reload', '--json'], { env: { ...process.env, BATON_CONTROL_SOCKET: controlSocket }, timeout: timeoutMs }));
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return { committed: false, wallMs: wallMs(), detail: (failed.stdout || failed.stderr || failed.message).trim() };
  }
  const outcome = JSON.parse(stdout) as { committed: boolean; generation?: number; ms?: number };
  return { committed: outcome.committed, generation: outcome.generation, ms: outcome.ms, wallMs: wallMs(), detail: stdout.trim() };
}

/**
 * A reload asked on the control socket from the bench itself, as `--reload` asks it (the
 * same client, src/control/client.ts) without starting a Node process for each: for the
 * scenarios that count reloads, not time a command.
 */
export async function socketReload(controlSocket: string, timeoutMs = 60_000): Promise<BatonReload> {
  const began = process.hrtime.bigint();
  const response = await withTimeout(request(controlSocket, { command: 'reload' }), timeoutMs, `the outcome of a reload from ${controlSocket}`);
  const wallMs = Number(process.hrtime.bigint() - began) / 1e6;
  if (!response.ok || response.command !== 'reload') return { committed: false, wallMs, detail: JSON.stringify(response) };
  const { outcome } = response;
  const figures = 'cancelled' in outcome ? {} : { generation: outcome.generation, ms: outcome.ms };
  return { committed: outcome.committed, ...figures, wallMs, detail: JSON.stringify(outcome) };
}

/**
 * A PM2_HOME of its own under `dir`. The `touch` file marks it as used before: without it
 * pm2's first command asks version.pm2.io for the latest version (a request off this
 * machine); PM2_DISABLE_VERSION_CHECK stops the daemon's daily check.
 */
export function pm2Env(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = join(dir, 'pm2');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'touch'), String(Date.now()));
  return { ...process.env, ...extra, PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: 'true' };
}

/** One pm2 command with this Node; resolves with its wall time in milliseconds, rejects if it fails. */
export async function pm2(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<number> {
  const began = process.hrtime.bigint();
  await execFileP(process.execPath, [PM2.cli, ...args], { env, timeout: timeoutMs });
  return Number(process.hrtime.bigint() - began) / 1e6;
}
