// A full collection of the init's heap on request, on the Node running the tests, without
// putting gc() on the global object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectGarbage } from '../../../src/pid1/own-heap.ts';

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
