// A full collection of the init's heap on request, on the Node running the tests, without
// putting gc() on the global object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import { collectGarbage, keepNewSpaceSmall } from '../../../src/pid1/own-heap.ts';

// First: what an earlier test grew, the flag does not shrink.
test('keepNewSpaceSmall: the new space stays small however much survives its scavenges', () => {
  const newSpace = (): number => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? NaN;
  keepNewSpaceSmall();
  // A reload's pattern: many objects that live a while, then go. Without the flag V8 doubles
  // the new space, here to 32 MiB on Node 20 and 64 MiB on Node 24; with it, 2 MiB.
  let kept: Array<{ n: number; text: string }> = [];
  for (let n = 0; n < 1_000_000; n += 1) {
    kept.push({ n, text: `item ${n}` });
    if (kept.length > 400_000) kept = kept.slice(200_000);
  }
  assert.ok(kept.length > 0);
  assert.ok(newSpace() <= 4 * 2 ** 20, `new space ${newSpace()} bytes`);
});

test('collectGarbage frees what nothing holds any more, and leaves no gc() on the global object', () => {
  const hadGlobalGc = 'gc' in globalThis;
  let garbage: Array<{ n: number; text: string }> | undefined = Array.from({ length: 200_000 }, (_, n) => ({ n, text: `item ${n}` }));
  assert.equal(garbage.length, 200_000);
  garbage = undefined;
  const collected = collectGarbage();
  assert.ok(collected !== undefined, 'this Node gives a full collection');
  // 200,000 objects and strings are well over 10 MB.
  assert.ok(collected.usedBefore - collected.usedAfter > 10 * 2 ** 20, `used heap ${collected.usedBefore} -> ${collected.usedAfter} bytes`);
  assert.ok(collected.ms >= 0);
  assert.equal('gc' in globalThis, hadGlobalGc, 'the global object is as it was');
});
