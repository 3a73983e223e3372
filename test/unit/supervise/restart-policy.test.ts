// Restart decisions, backoff and the crash-loop budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, CRASH_LOOP_WINDOW_MS, RestartBudget, shouldRestart } from '../../../src/supervise/restart-policy.ts';

test('always, on-failure and never', () => {
  const ok = { exitCode: 0, signal: null };
  const failed = { exitCode: 2, signal: null };
  const killed = { exitCode: null, signal: 'SIGKILL' as const };
  assert.deepEqual([shouldRestart('always', ok), shouldRestart('always', failed), shouldRestart('always', killed)], [true, true, true]);
  assert.deepEqual([shouldRestart('on-failure', ok), shouldRestart('on-failure', failed), shouldRestart('on-failure', killed)], [false, true, true]);
  assert.deepEqual([shouldRestart('never', ok), shouldRestart('never', failed), shouldRestart('never', killed)], [false, false, false]);
});

test('backoff: first retry fast, doubling, capped at a few seconds, reset when stable', () => {
  const backoff = new Backoff();
  const delays = Array.from({ length: 9 }, () => backoff.next());
  assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  backoff.reset();
  assert.equal(backoff.next(), 100);
});

test('more than max restarts within a minute is a crash loop; older ones are forgotten', () => {
  const budget = new RestartBudget(3);
  assert.equal(budget.spend(0), true);
  assert.equal(budget.spend(1000), true);
  assert.equal(budget.spend(2000), true);
  assert.equal(budget.spend(3000), false);
  const fresh = new RestartBudget(3);
  for (const time of [0, 1000, 2000]) fresh.spend(time);
  assert.equal(fresh.spend(CRASH_LOOP_WINDOW_MS + 1), true, 'the restart at 0 left the window');
  assert.equal(fresh.recent, 3);
});

test('max 0 means the first crash is already too many', () => {
  assert.equal(new RestartBudget(0).spend(0), false);
});

test('on-failure restarts an instance that never became ready even if it exited 0', () => {
  assert.equal(shouldRestart('on-failure', { exitCode: 0, signal: null }, true), true);
  assert.equal(shouldRestart('never', { exitCode: 1, signal: null }, true), false);
});
