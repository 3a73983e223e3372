// The budget of log records an instance's notify messages may produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBudget } from '../../../src/supervise/record-budget.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';

function budget(): { clock: FakeClock; emitted: Array<[number, number | undefined]>; limit: RecordBudget<number> } {
  const clock = new FakeClock();
  const emitted: Array<[number, number | undefined]> = [];
  return { clock, emitted, limit: new RecordBudget<number>(clock, (item, suppressed) => emitted.push([item, suppressed]), 3, 1000) };
}

test('under the budget every message is a record, at once', () => {
  const { emitted, limit } = budget();
  for (const n of [1, 2, 3]) limit.offer(n);
  assert.deepEqual(emitted, [[1, undefined], [2, undefined], [3, undefined]]);
});

test('a flood gives perWindow records, then the latest with the count held back, once per window', () => {
  const { clock, emitted, limit } = budget();
  for (let n = 1; n <= 100_000; n++) limit.offer(n);
  assert.equal(emitted.length, 3);
  clock.advance(1000);
  assert.deepEqual(emitted.at(-1), [100_000, 99_996]);
  assert.equal(emitted.length, 4);
  clock.advance(5000);
  assert.equal(emitted.length, 4, 'nothing more without new messages');
  assert.equal(clock.pending, 0, 'no timer left behind');
});

test('the window starts afresh after a quiet spell', () => {
  const { clock, emitted, limit } = budget();
  for (let n = 1; n <= 5; n++) limit.offer(n);
  clock.advance(1000);
  for (let n = 6; n <= 8; n++) limit.offer(n);
  assert.deepEqual(emitted, [[1, undefined], [2, undefined], [3, undefined], [5, 1], [6, undefined], [7, undefined], [8, undefined]]);
});

test('flush logs what was held back and cancels the window', () => {
  const { clock, emitted, limit } = budget();
  for (let n = 1; n <= 10; n++) limit.offer(n);
  limit.flush();
  assert.deepEqual(emitted.at(-1), [10, 6]);
  assert.equal(clock.pending, 0);
});
