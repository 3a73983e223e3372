// When the init collects its own garbage after reloads: once the loop has turned, at most
// once per interval, also while reloads follow each other, and not after the init stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReloadCollection } from '../../../src/supervise/reload-collection.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';

function world(intervalMs = 1000) {
  const clock = new FakeClock();
  const collectedAt: number[] = [];
  const collection = new ReloadCollection(clock, () => collectedAt.push(clock.now()), intervalMs);
  return { clock, collectedAt, collection };
}

test('a reload that ends is followed by one collection, in a timer rather than at once', () => {
  const { clock, collectedAt, collection } = world();
  clock.advance(5000);
  collection.reloadEnded();
  assert.deepEqual(collectedAt, [], 'not within the reload event itself');
  clock.advance(0);
  assert.deepEqual(collectedAt, [5000]);
  clock.advance(10_000);
  assert.deepEqual(collectedAt, [5000], 'one collection per reload');
  assert.equal(clock.pending, 0);
});

test('reloads ending within the interval of the last collection give one more, when the interval is over', () => {
  const { clock, collectedAt, collection } = world();
  collection.reloadEnded();
  clock.advance(0);
  for (let at = 100; at < 1000; at += 300) {
    clock.advance(300);
    collection.reloadEnded();
  }
  assert.deepEqual(collectedAt, [0]);
  clock.advance(99);
  assert.deepEqual(collectedAt, [0]);
  clock.advance(1);
  assert.deepEqual(collectedAt, [0, 1000]);
  clock.advance(5000);
  assert.deepEqual(collectedAt, [0, 1000]);
});

test('reloads back to back, each asked a millisecond after the last ended, still get one collection a second', () => {
  const { clock, collectedAt, collection } = world();
  for (let reload = 0; reload < 50; reload += 1) {
    clock.advance(1); // the next request
    clock.advance(89); // its reload runs
    collection.reloadEnded();
  }
  clock.advance(0);
  assert.deepEqual(collectedAt, [90, 1090, 2090, 3090, 4090]);
});

test('stop cancels a collection still to come', () => {
  const { clock, collectedAt, collection } = world();
  collection.reloadEnded();
  collection.stop();
  clock.advance(5000);
  assert.deepEqual(collectedAt, []);
  assert.equal(clock.pending, 0);
});
