// The inits compared, each as it is invoked in front of a command.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Init {
  name: string;
  /** argv that runs `command` under this init; undefined when the init is not installed. */
  argv?: (command: string[]) => string[];
}

function installed(path: string): boolean {
  return existsSync(path);
}

export const INITS: Init[] = [
  { name: 'baton', argv: (command) => [process.execPath, `${ROOT}dist/init.js`, '--', ...command] },
  { name: 'tini', argv: installed('/usr/bin/tini') ? (command) => ['/usr/bin/tini', '--', ...command] : undefined },
  { name: 'dumb-init', argv: installed('/usr/bin/dumb-init') ? (command) => ['/usr/bin/dumb-init', '--', ...command] : undefined },
  { name: 'catatonit', argv: installed('/usr/bin/catatonit') ? (command) => ['/usr/bin/catatonit', '--', ...command] : undefined },
];

/** Prefix that makes the first word PID 1 of a new PID namespace. */
export const AS_PID1 = ['unshare', '--fork', '--pid', '--mount-proc', '--kill-child'];

/**
 * pm2 (a dev dependency, run from node_modules/.bin with this Node): a peer only where
 * several services run under one init (pm2-runtime) and for reloads (pm2 cluster mode).
 */
export const PM2 = {
  cli: `${ROOT}node_modules/.bin/pm2`,
  runtime: `${ROOT}node_modules/.bin/pm2-runtime`,
};
export const PM2_INSTALLED = installed(PM2.cli) && installed(PM2.runtime);

/** The peer columns of the table, in order: the single-command inits, then pm2. */
export const PEERS: string[] = [...INITS.filter((init) => init.name !== 'baton').map((init) => init.name), 'pm2'];
