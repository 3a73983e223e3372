// baton's entry point, built to dist/init.js: turns on V8's compile cache, then loads the
// init itself (dist/baton.js, built from src/init.ts). The cache must be on before Node
// compiles the bundle, hence two files: this one is small enough that compiling it costs
// nothing, and the bundle then comes from the cache instead of being parsed again.
import { lstatSync, mkdirSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Node 22.1+; @types/node for Node 20 does not declare it. */
type EnableCompileCache = (directory: string) => { status: number };
/** module.constants.compileCacheStatus: FAILED 0, ENABLED 1, ALREADY_ENABLED 2, DISABLED 3. */
const FAILED = 0;

/**
 * Beside init.js when that folder can take it (an image warms it at build time), else a
 * folder of this user's own under the temporary directory. Never throws and never prints:
 * a read-only filesystem or a missing /tmp only means no cache.
 */
function enableCompileCache(): void {
  const enable = (nodeModule as unknown as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (enable === undefined) return; // Node 20 and 22.0: no compile cache
  // The bundle is CommonJS: __dirname is the folder of init.js.
  for (const directory of [join(__dirname, 'init.js.cache'), join(tmpdir(), `baton-compile-cache-${process.getuid?.() ?? 'user'}`)]) {
    if (!isUsable(directory)) continue;
    try {
      if (enable(directory).status !== FAILED) return;
    } catch {
      // a Node that changed the call's shape: go without a cache
      return;
    }
  }
}

/**
 * Creates `directory` (its parent must exist) and says whether the cache may go there.
 * Node's own recursive mkdir never returns on some filesystems (under /proc), so it only
 * ever gets a folder that exists. Code read from the cache runs as this process: a folder
 * another user could have made or could write to (a shared /tmp) is not used.
 */
function isUsable(directory: string): boolean {
  try {
    mkdirSync(directory, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
  }
  try {
    const stat = lstatSync(directory);
    return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

enableCompileCache();
// The init's bundle, beside this file (scripts/build.mjs marks it external).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after the cache is on, synchronously
require('./baton.js');
