// The npm package as a user gets it: `npm pack` of the built repository, and that tarball
// installed into an empty folder with no network (test/e2e/package.test.ts, and the
// Dockerfile of the README's Install section in test/docker/package.test.ts).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './init-process.ts';

const execFileAsync = promisify(execFile);

/** npm's own deadline: a pack or an offline install is a few seconds even on a busy machine. */
const NPM_TIMEOUT_MS = 120_000;

export interface Packed {
  /** The tarball's absolute path. */
  tarball: string;
  /** Its size in bytes, and the size of what it holds. */
  size: number;
  unpackedSize: number;
  /** Every file in it, relative to the package's root. */
  files: string[];
}

/**
 * Without the npm_* variables of an enclosing `npm test`: they are npm's configuration,
 * and a nested npm would take them as its own.
 */
function npmEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

async function npm(args: readonly string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync('npm', args, { cwd, env: npmEnv(), timeout: NPM_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} (in ${cwd}) failed: ${failed.message}\nstdout: ${failed.stdout ?? ''}\nstderr: ${failed.stderr ?? ''}`);
  }
}

/**
 * Packs the repository as it is built now into `destination`. The scripts are skipped:
 * prepack would rebuild dist/, which the tests running beside this one are using.
 */
export async function pack(destination: string): Promise<Packed> {
  const stdout = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', destination], ROOT);
  const [report] = JSON.parse(stdout) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>;
  if (report === undefined) throw new Error(`npm pack reported nothing: ${stdout}`);
  return {
    tarball: join(destination, report.filename),
    size: report.size,
    unpackedSize: report.unpackedSize,
    files: report.files.map((file) => file.path).sort(),
  };
}

/**
 * `npm install --offline` of the tarball into a new empty folder, with an npm cache as
 * empty as the folder: anything npm would have to fetch fails the install (ENOTCACHED).
 * Returns the folder.
 */
export async function installOffline(tarball: string): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'baton-install-'));
  const app = join(root, 'app');
  mkdirSync(app);
  await npm(['install', '--offline', '--no-audit', '--no-fund', '--cache', join(root, 'npm-cache'), tarball], app);
  return app;
}
