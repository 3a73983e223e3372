// Restarts of an instance that exits by itself, on fake instances and a fake clock: the
// backoff between tries, and its reset once an instance has stayed ready long enough.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIRST_RETRY_MS, STABLE_AFTER_MS } from '../../src/supervise/restart-policy.ts';
import { serviceConfig, settle, startLive } from '../helpers/fake-supervisor.ts';

/** Crashes the newest instance of generation 1 and returns how long its replacement took to start. */
async function crashAndTimeRestart(world: Awaited<ReturnType<typeof startLive>>): Promise<number> {
  const { of, clock } = world;
  const before = of(1).length;
  of(1).at(-1)?.exit(1);
  await settle();
  const crashedAt = clock.now();
  for (let waited = 0; of(1).length === before; waited += 50) {
    assert.ok(waited < 60_000, 'no restart within a minute');
    clock.advance(50);
    await settle();
  }
  return clock.now() - crashedAt;
}

test('the backoff doubles while an instance keeps crashing soon after it is ready', async () => {
  const world = await startLive([serviceConfig('web')]);
  const delays: number[] = [];
  for (let i = 0; i < 3; i++) {
    delays.push(await crashAndTimeRestart(world));
    world.of(1).at(-1)?.ready();
    await settle();
  }
  assert.deepEqual(delays, [FIRST_RETRY_MS, 2 * FIRST_RETRY_MS, 4 * FIRST_RETRY_MS]);
});

test('an instance that stayed ready STABLE_AFTER_MS starts the backoff afresh; one ready a moment less does not', async () => {
  const world = await startLive([serviceConfig('web')]);
  assert.equal(await crashAndTimeRestart(world), FIRST_RETRY_MS);
  world.of(1).at(-1)?.ready();
  await settle();
  world.clock.advance(STABLE_AFTER_MS - 1);
  assert.equal(await crashAndTimeRestart(world), 2 * FIRST_RETRY_MS, 'not yet stable: the backoff goes on');
  world.of(1).at(-1)?.ready();
  await settle();
  world.clock.advance(STABLE_AFTER_MS);
  assert.equal(await crashAndTimeRestart(world), FIRST_RETRY_MS, 'stable: back to the first delay');
});
