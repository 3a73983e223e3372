// baton's entry point, built to dist/init.js: loads the init itself (dist/baton.js, built
// from src/init.ts) through V8's code cache (code-cache.ts). This file is small enough that
// compiling it costs nothing; the bundle then comes from the cache instead of being parsed,
// and the functions start-up runs are not compiled again at each start.
import { lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debuglog } from 'node:util';
import { CodeCachedModule } from './code-cache.ts';

/** The first 16 hex digits of the bundle's SHA-256, set by scripts/build.mjs. */
declare const BATON_BUNDLE_HASH: string;

/** When the init runs longer than this, its cache is written then, not at its exit. */
const SAVE_AFTER_MS = 1000;

/** `NODE_DEBUG=baton` says what became of the cache; silent otherwise. */
const debug = debuglog('baton');

/**
 * The cache file, in a folder beside init.js when that folder can take it (an image warms
 * it at build time), else in a folder of this user's own under the temporary directory;
 * undefined when neither will do (a read-only filesystem, no /tmp) or when
 * NODE_DISABLE_COMPILE_CACHE is set. Its name holds the bundle's hash: V8 only checks that
 * a cache was made for a source of the same length, so another build of baton.js must
 * never find this one's. And the Node version and arch, so that Nodes sharing a folder
 * keep a file each.
 */
function cacheFile(): string | undefined {
  if (process.env.NODE_DISABLE_COMPILE_CACHE !== undefined) return undefined;
  const name = `baton.js-${BATON_BUNDLE_HASH}-${process.version}-${process.arch}.cache`;
  // The bundle is CommonJS: __dirname is the folder of init.js.
  for (const directory of [join(__dirname, 'init.js.cache'), join(tmpdir(), `baton-compile-cache-${process.getuid?.() ?? 'user'}`)]) {
    if (isUsable(directory)) return join(directory, name);
  }
  return undefined;
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

const filename = join(__dirname, 'baton.js');
// The build keeps the bundle ASCII (scripts/build.mjs checks): read as latin1, it is the same
// string, made without decoding UTF-8 (~0.3 ms less for 335 KB).
const bundle = new CodeCachedModule(readFileSync(filename, 'latin1'), filename, cacheFile());
debug('code cache %s: %s', bundle.state, bundle.cacheFile ?? 'no usable folder');
if (bundle.wantsSaving) {
  // Once start-up has run, so that the cache holds what it compiled; off the command's
  // way: at the init's exit, or a second in when it runs longer, whichever comes first.
  const save = (): void => {
    clearTimeout(timer);
    process.off('exit', save);
    debug('code cache %s', bundle.save() ? 'written' : 'not written');
  };
  const timer = setTimeout(save, SAVE_AFTER_MS).unref();
  process.once('exit', save);
}
bundle.run(require, module, __dirname);
