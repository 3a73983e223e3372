// The compile cache (src/start.ts): beside init.js when that folder is writable, else a
// folder of the user's own under TMPDIR, never one others could write to; without a
// writable place the init runs as before and says nothing. Node 22 and 24 have the cache,
// Node 20 does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, run, type Exit } from '../helpers/init-process.ts';

const CACHED_NODES: Array<[string, string]> = [
  ['Node 22', `${ROOT}.cache/node-22/bin/node`],
  ['Node 24', `${ROOT}.cache/node-24/bin/node`],
];

/** A copy of dist/ without any cache in a folder of its own, plus a TMPDIR beside it; removed after `fn`. */
async function withDist(fn: (dir: string, tmp: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'baton-cache-'));
  const dir = join(root, 'dist');
  const tmp = join(root, 'tmp');
  cpSync(`${ROOT}dist`, dir, { recursive: true, filter: (path) => !path.includes('init.js.cache') });
  mkdirSync(tmp);
  try {
    await fn(dir, tmp);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * `node DIR/init.js -- sh -c 'echo ran; exit 3'` as PID 1 of a new PID namespace (so the
 * init has nothing to warn about), in a mount namespace where `readOnly` folders are
 * read-only bind mounts.
 */
function runInit(node: string, dir: string, env: Record<string, string>, readOnly: string[] = []): Promise<Exit> {
  const mounts = readOnly.map((path) => `mount --bind '${path}' '${path}' && mount -o remount,bind,ro '${path}' && `).join('');
  const script = `${mounts}exec "$0" "$1" -- sh -c 'echo ran; exit 3'`;
  return run('unshare', ['--mount', '--fork', '--pid', '--mount-proc', 'sh', '-c', script, node, join(dir, 'init.js')], env);
}

/** The cache files under `dir`: one per compiled module, in a folder per Node version. */
function cacheFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/** Node's own trace of the cache (NODE_DEBUG_NATIVE=COMPILE_CACHE) says it compiled baton.js from it. */
const READ_FROM_CACHE = /cache for (CommonJS )?\S*\/baton\.js was accepted/;

for (const [name, node] of CACHED_NODES) {
  test(`on ${name} the init writes its compile cache beside init.js and compiles baton.js from it on the next run`, async () => {
    await withDist(async (dir, tmp) => {
      const first = await runInit(node, dir, { TMPDIR: tmp });
      assert.deepEqual([first.code, first.stdout, first.stderr], [3, 'ran\n', '']);
      assert.equal(cacheFiles(join(dir, 'init.js.cache')).length, 1, 'one cache file, for baton.js');
      assert.deepEqual(cacheFiles(tmp), []);
      const second = await runInit(node, dir, { TMPDIR: tmp, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' });
      assert.equal(second.code, 3, second.stderr);
      assert.match(second.stderr, READ_FROM_CACHE);
    });
  });

  test(`on ${name} a cache warmed beside init.js is read from a read-only filesystem`, async () => {
    await withDist(async (dir, tmp) => {
      assert.equal((await runInit(node, dir, { TMPDIR: tmp })).code, 3);
      const exit = await runInit(node, dir, { TMPDIR: tmp, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' }, [dir, tmp]);
      assert.equal(exit.code, 3, exit.stderr);
      assert.match(exit.stderr, READ_FROM_CACHE);
    });
  });

  test(`on ${name} the init runs and prints nothing of the cache when neither init.js's folder nor TMPDIR is writable`, async () => {
    await withDist(async (dir, tmp) => {
      const exit = await runInit(node, dir, { TMPDIR: tmp }, [dir, tmp]);
      assert.deepEqual([exit.code, exit.stdout, exit.stderr], [3, 'ran\n', '']);
      assert.deepEqual([...cacheFiles(join(dir, 'init.js.cache')), ...cacheFiles(tmp)], []);
      // A TMPDIR that does not exist at all.
      const missing = await runInit(node, dir, { TMPDIR: join(tmp, 'missing') }, [dir]);
      assert.deepEqual([missing.code, missing.stdout, missing.stderr], [3, 'ran\n', '']);
    });
  });

  test(`on ${name} the cache goes to a folder of the user's own under TMPDIR when init.js's folder is read-only`, async () => {
    await withDist(async (dir, tmp) => {
      const exit = await runInit(node, dir, { TMPDIR: tmp }, [dir]);
      assert.deepEqual([exit.code, exit.stderr], [3, '']);
      assert.equal(cacheFiles(join(tmp, `baton-compile-cache-${process.getuid?.()}`)).length, 1);
      const again = await runInit(node, dir, { TMPDIR: tmp, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' }, [dir]);
      assert.match(again.stderr, READ_FROM_CACHE);
    });
  });

  test(`on ${name} a cache folder under TMPDIR that others can write to is not used`, async () => {
    await withDist(async (dir, tmp) => {
      const shared = join(tmp, `baton-compile-cache-${process.getuid?.()}`);
      mkdirSync(shared);
      chmodSync(shared, 0o777);
      const exit = await runInit(node, dir, { TMPDIR: tmp }, [dir]);
      assert.deepEqual([exit.code, exit.stderr], [3, '']);
      assert.deepEqual(cacheFiles(shared), []);
    });
  });
}

// The suite's own Node: 20 has no compile cache, and there the init must make no folder for one.
const HAS_CACHE = 'enableCompileCache' in nodeModule;
test(`on Node ${process.versions.node} the init writes a cache only if this Node has one (${HAS_CACHE ? 'it has' : 'it has not'})`, async () => {
  await withDist(async (dir, tmp) => {
    const exit = await runInit(process.execPath, dir, { TMPDIR: tmp });
    assert.deepEqual([exit.code, exit.stdout, exit.stderr], [3, 'ran\n', '']);
    assert.deepEqual([existsSync(join(dir, 'init.js.cache')), readdirSync(tmp)], [HAS_CACHE, []]);
  });
});
