// The code cache of the init's bundle (src/start.ts, src/code-cache.ts), on Node 20, 22 and
// 24: beside init.js when that folder is writable, else a folder of the user's own under
// TMPDIR, never one others could write to; written once, when missing or refused, never
// again while V8 takes it; without a writable place the init runs as before and says
// nothing. `NODE_DEBUG=baton` says what became of the cache.
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, run, type Exit } from '../helpers/init-process.ts';

const NODES: Array<[string, string]> = [
  [`Node ${process.versions.node}`, process.execPath],
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
function runInit(node: string, dir: string, env: Record<string, string>, readOnly: string[] = [], command = 'echo ran; exit 3'): Promise<Exit> {
  const mounts = readOnly.map((path) => `mount --bind '${path}' '${path}' && mount -o remount,bind,ro '${path}' && `).join('');
  const script = `${mounts}exec "$0" "$1" -- sh -c "$2"`;
  return run('unshare', ['--mount', '--fork', '--pid', '--mount-proc', 'sh', '-c', script, node, join(dir, 'init.js'), command], env);
}

/** What the command itself did, which the cache must never change. */
function assertRanAsUsual(exit: Exit, stderr = ''): void {
  assert.deepEqual([exit.code, exit.stdout, exit.stderr], [3, 'ran\n', stderr]);
}

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/** The one cache file under `dir`, for this Node. */
function cacheFileOf(dir: string, node: string): string {
  const files = filesUnder(dir).filter((file) => file.includes(`-${nodeVersion(node)}-`));
  assert.equal(files.length, 1, `one cache file for ${nodeVersion(node)} in ${dir}: ${filesUnder(dir).join(', ')}`);
  return files[0] ?? '';
}

function nodeVersion(node: string): string {
  return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
}

const DEBUG = { NODE_DEBUG: 'baton' };
const ACCEPTED = /code cache accepted: \S+\/baton\.js-[0-9a-f]{16}-v[\d.]+-\w+\.cache\n/;
const WRITTEN = /code cache written\n/;

for (const [name, node] of NODES) {
  test(`on ${name} the init writes its code cache beside init.js once, then compiles baton.js from it and writes nothing`, async () => {
    await withDist(async (dir, tmp) => {
      assertRanAsUsual(await runInit(node, dir, { TMPDIR: tmp }));
      const file = cacheFileOf(join(dir, 'init.js.cache'), node);
      assert.deepEqual(filesUnder(tmp), []);
      const written = statSync(file);
      assert.equal(written.mode & 0o777, 0o600);
      const second = await runInit(node, dir, { TMPDIR: tmp, ...DEBUG });
      assert.equal(second.code, 3, second.stderr);
      assert.match(second.stderr, ACCEPTED);
      assert.doesNotMatch(second.stderr, WRITTEN);
      const after = statSync(file);
      assert.deepEqual([after.ino, after.mtimeMs], [written.ino, written.mtimeMs], 'a cache that was taken is not written again');
      assert.deepEqual(filesUnder(join(dir, 'init.js.cache')), [file], 'no temporary file left');
    });
  });

  test(`on ${name} an init that runs on writes its cache while the command runs, not only at its exit`, async () => {
    await withDist(async (dir, tmp) => {
      // The command itself waits for the cache to appear (30 s at most), then exits 0.
      const waitForCache = `for i in $(seq 300); do if [ -n "$(ls '${join(dir, 'init.js.cache')}' 2>/dev/null)" ]; then exit 0; fi; sleep 0.1; done; echo 'no code cache after 30 s' >&2; exit 1`;
      const exit = await runInit(node, dir, { TMPDIR: tmp }, [], waitForCache);
      assert.deepEqual([exit.code, exit.stderr], [0, '']);
      cacheFileOf(join(dir, 'init.js.cache'), node);
    });
  });

  for (const [what, damage] of [
    ['corrupt', (file: string) => writeFileSync(file, Buffer.alloc(statSync(file).size, 0x5a))],
    ['truncated', (file: string) => writeFileSync(file, readFileSync(file).subarray(0, 1000))],
  ] as const) {
    test(`on ${name} a ${what} code cache is refused: the command runs as usual, and the cache is compiled and written anew`, async () => {
      await withDist(async (dir, tmp) => {
        assert.equal((await runInit(node, dir, { TMPDIR: tmp })).code, 3);
        const file = cacheFileOf(join(dir, 'init.js.cache'), node);
        damage(file);
        const damaged = readFileSync(file);
        assertRanAsUsual(await runInit(node, dir, { TMPDIR: tmp }));
        assert.notDeepEqual(readFileSync(file), damaged, 'written anew');
        const next = await runInit(node, dir, { TMPDIR: tmp, ...DEBUG });
        assert.equal(next.code, 3, next.stderr);
        assert.match(next.stderr, ACCEPTED);
      });
    });
  }

  test(`on ${name} a cache warmed beside init.js is read from a read-only filesystem`, async () => {
    await withDist(async (dir, tmp) => {
      assert.equal((await runInit(node, dir, { TMPDIR: tmp })).code, 3);
      const exit = await runInit(node, dir, { TMPDIR: tmp, ...DEBUG }, [dir, tmp]);
      assert.equal(exit.code, 3, exit.stderr);
      assert.match(exit.stderr, ACCEPTED);
    });
  });

  test(`on ${name} the init runs and prints nothing of the cache when neither init.js's folder nor TMPDIR is writable`, async () => {
    await withDist(async (dir, tmp) => {
      assertRanAsUsual(await runInit(node, dir, { TMPDIR: tmp }, [dir, tmp]));
      assert.deepEqual([...filesUnder(join(dir, 'init.js.cache')), ...filesUnder(tmp)], []);
      // A TMPDIR that does not exist at all.
      assertRanAsUsual(await runInit(node, dir, { TMPDIR: join(tmp, 'missing') }, [dir]));
    });
  });

  test(`on ${name} a cache folder that exists but cannot be written is left alone, and the init prints nothing`, async () => {
    await withDist(async (dir, tmp) => {
      mkdirSync(join(dir, 'init.js.cache'), { mode: 0o700 });
      assertRanAsUsual(await runInit(node, dir, { TMPDIR: tmp }, [join(dir, 'init.js.cache')]));
      assert.deepEqual([...filesUnder(join(dir, 'init.js.cache')), ...filesUnder(tmp)], []);
    });
  });

  test(`on ${name} the cache goes to a folder of the user's own under TMPDIR when init.js's folder is read-only`, async () => {
    await withDist(async (dir, tmp) => {
      assertRanAsUsual(await runInit(node, dir, { TMPDIR: tmp }, [dir]));
      cacheFileOf(join(tmp, `baton-compile-cache-${process.getuid?.()}`), node);
      const again = await runInit(node, dir, { TMPDIR: tmp, ...DEBUG }, [dir]);
      assert.match(again.stderr, ACCEPTED);
    });
  });

  test(`on ${name} a cache folder under TMPDIR that others can write to is not used`, async () => {
    await withDist(async (dir, tmp) => {
      const shared = join(tmp, `baton-compile-cache-${process.getuid?.()}`);
      mkdirSync(shared);
      chmodSync(shared, 0o777);
      assertRanAsUsual(await runInit(node, dir, { TMPDIR: tmp }, [dir]));
      assert.deepEqual(filesUnder(shared), []);
    });
  });

  test(`on ${name} NODE_DISABLE_COMPILE_CACHE turns the cache off`, async () => {
    await withDist(async (dir, tmp) => {
      assertRanAsUsual(await runInit(node, dir, { TMPDIR: tmp, NODE_DISABLE_COMPILE_CACHE: '1' }));
      assert.deepEqual([...filesUnder(join(dir, 'init.js.cache')), ...filesUnder(tmp)], []);
    });
  });
}

test('Nodes of different versions sharing a folder keep a cache file each, and each takes its own', async () => {
  await withDist(async (dir, tmp) => {
    for (const [, node] of NODES) assert.equal((await runInit(node, dir, { TMPDIR: tmp })).code, 3);
    for (const [, node] of NODES) cacheFileOf(join(dir, 'init.js.cache'), node);
    for (const [, node] of NODES) {
      const exit = await runInit(node, dir, { TMPDIR: tmp, ...DEBUG });
      assert.match(exit.stderr, ACCEPTED);
      assert.doesNotMatch(exit.stderr, WRITTEN);
    }
  });
});
