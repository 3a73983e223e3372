// The bundle's code cache (src/code-cache.ts), on a small module of its own in a temporary folder.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CodeCachedModule } from '../../src/code-cache.ts';

// A module whose `work` is compiled lazily, the first time it runs, as most of the init is.
const SOURCE = `
  'use strict';
  function work(n) { let total = 0; for (let i = 0; i < n; i++) total += i; return total; }
  module.exports.work = work;
  module.exports.dirname = __dirname;
`;

interface Exports {
  work: (n: number) => number;
  dirname: string;
}

function withFolder(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'baton-code-cache-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let loads = 0;

/**
 * Compiles and runs SOURCE as a module of `dir` with its cache in `cacheFile`; returns the
 * module and what it exported. Under a new file name each time: V8 keeps what it compiled
 * in the process, by source and name, and would otherwise never look at the cache again.
 */
function load(dir: string, cacheFile: string | undefined, source = SOURCE): { loaded: CodeCachedModule; exports: Exports } {
  const filename = join(dir, `mod-${++loads}.js`);
  const loaded = new CodeCachedModule(source, filename, cacheFile);
  const module = { exports: {} } as NodeJS.Module;
  loaded.run(createRequire(filename), module, dir);
  return { loaded, exports: module.exports as Exports };
}

test('a missing cache is written once, after the module has run, and the next load takes it and writes nothing', () => {
  withFolder((dir) => {
    const cache = join(dir, 'mod.cache');
    const first = load(dir, cache);
    assert.equal(first.loaded.state, 'missing');
    assert.equal(first.exports.work(10), 45);
    assert.equal(first.exports.dirname, dir);
    assert.equal(first.loaded.save(), true);
    assert.equal(first.loaded.save(), false, 'a second save writes nothing');
    const written = statSync(cache);
    assert.equal(written.mode & 0o777, 0o600);

    const second = load(dir, cache);
    assert.equal(second.loaded.state, 'accepted');
    assert.equal(second.exports.work(10), first.exports.work(10));
    assert.equal(second.loaded.wantsSaving, false);
    assert.equal(second.loaded.save(), false);
    const after = statSync(cache);
    assert.deepEqual([after.ino, after.mtimeMs], [written.ino, written.mtimeMs], 'the accepted cache is left as it was');
    assert.deepEqual(readdirSync(dir).sort(), ['mod.cache'], 'no temporary file left');
  });
});

test('the cache holds the functions compiled while the module ran, not only its top level', () => {
  withFolder((dir) => {
    const before = load(dir, join(dir, 'before.cache'));
    before.loaded.save();
    const after = load(dir, join(dir, 'after.cache'));
    after.exports.work(3);
    after.loaded.save();
    assert.ok(
      statSync(join(dir, 'after.cache')).size > statSync(join(dir, 'before.cache')).size,
      'a cache written after `work` ran holds its compiled code too',
    );
  });
});

for (const [what, bytes] of [
  ['not a cache at all', Buffer.from('this is not a V8 code cache\n'.repeat(100))],
  ['empty', Buffer.alloc(0)],
] as const) {
  test(`a cache that is ${what} is rejected: the module still runs from source and the cache is written anew`, () => {
    withFolder((dir) => {
      const cache = join(dir, 'mod.cache');
      writeFileSync(cache, bytes);
      const loaded = load(dir, cache);
      assert.equal(loaded.loaded.state, 'rejected');
      assert.equal(loaded.exports.work(4), 6);
      assert.equal(loaded.loaded.save(), true);
      assert.notDeepEqual(readFileSync(cache), bytes);
      assert.equal(load(dir, cache).loaded.state, 'accepted');
    });
  });
}

test('a truncated cache is rejected and written anew', () => {
  withFolder((dir) => {
    const cache = join(dir, 'mod.cache');
    const first = load(dir, cache);
    first.exports.work(2);
    first.loaded.save();
    const whole = readFileSync(cache);
    writeFileSync(cache, whole.subarray(0, whole.length >> 1));
    const again = load(dir, cache);
    assert.equal(again.loaded.state, 'rejected');
    assert.equal(again.exports.work(2), first.exports.work(2));
    assert.equal(again.loaded.save(), true);
    assert.equal(load(dir, cache).loaded.state, 'accepted');
  });
});

test('a cache made for another source of another length is rejected', () => {
  withFolder((dir) => {
    const cache = join(dir, 'mod.cache');
    const first = load(dir, cache);
    first.loaded.save();
    const other = load(dir, cache, `${SOURCE}\nmodule.exports.other = 1;\n`);
    assert.equal(other.loaded.state, 'rejected');
  });
});

test('a cache that cannot be written (no such folder) is not, without throwing, and leaves nothing behind', () => {
  withFolder((dir) => {
    const cache = join(dir, 'missing', 'mod.cache');
    const loaded = load(dir, cache);
    assert.equal(loaded.loaded.state, 'missing');
    assert.equal(loaded.loaded.save(), false);
    assert.deepEqual(readdirSync(dir), []);
  });
});

test('without a cache file the module runs and nothing is written', () => {
  withFolder((dir) => {
    const loaded = load(dir, undefined);
    assert.equal(loaded.loaded.state, 'off');
    assert.equal(loaded.exports.work(3), 3);
    assert.equal(loaded.loaded.save(), false);
    assert.deepEqual(readdirSync(dir), []);
  });
});
