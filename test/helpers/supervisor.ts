// Starting the init in supervisor mode for a test, with a control socket of its own.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, logRecords, runInit, startInit, type Exit, type RunningInit } from './init-process.ts';

export const SERVICE = `${FIXTURES}/service.mjs`;

/** The test process's environment without any BATON_* variable. */
export function cleanBase(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('BATON_') && !key.startsWith('TINI_')));
}

export interface Supervised {
  init: RunningInit;
  controlSocket: string;
  dir: string;
  query(...args: string[]): Promise<Exit>;
  /** Waits for a log record whose msg matches and whose fields match `fields`. */
  record(msg: RegExp, fields?: Record<string, unknown>): Promise<Record<string, unknown>>;
  records(): Array<Record<string, unknown>>;
}

export function service(flags: string): string {
  return JSON.stringify([process.execPath, SERVICE, ...flags.split(' ').filter(Boolean)]);
}

export function supervise(env: Record<string, string>, options: { pidNamespace?: boolean } = {}): Supervised {
  const dir = mkdtempSync(join(tmpdir(), 'baton-test-'));
  const controlSocket = join(dir, 'control.sock');
  const init = startInit([], { env: { ...cleanBase(), BATON_CONTROL_SOCKET: controlSocket, ...env }, cleanEnv: true, pidNamespace: options.pidNamespace });
  const records = (): Array<Record<string, unknown>> => logRecords(init.stderr);
  return {
    init,
    controlSocket,
    dir,
    records,
    query: (...args) => runInit(args, { pidNamespace: false, env: { ...cleanBase(), BATON_CONTROL_SOCKET: controlSocket }, cleanEnv: true }),
    async record(msg, fields = {}) {
      const matches = (record: Record<string, unknown>): boolean =>
        msg.test(String(record.msg)) && Object.entries(fields).every(([key, value]) => record[key] === value);
      await init.waitUntil(() => records().some(matches), `a log record ${msg} ${JSON.stringify(fields)}`);
      return records().find(matches) as Record<string, unknown>;
    },
  };
}
