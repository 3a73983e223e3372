import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deferred } from '../../../src/util/deferred.ts';

test('a deferred settles with the first value it is given, and only then', async () => {
  const pending = deferred<number>();
  let settled: number | undefined;
  void pending.promise.then((value) => (settled = value));
  await Promise.resolve();
  assert.equal(settled, undefined);
  pending.resolve(7);
  pending.resolve(8);
  assert.equal(await pending.promise, 7);
  assert.equal(settled, 7);
});
