// A generation on fake instances and a fake clock: its launch (all ready at once, paced,
// failed), the slots it hands over on a reload, and the exits it passes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceConfig } from '../../../src/config/types.ts';
import { Generation, type StartOutcome } from '../../../src/supervise/generation.ts';
import type { ExitedState } from '../../../src/supervise/instance-lifecycle.ts';
import type { SlotContext } from '../../../src/supervise/slot.ts';
import { ServiceStatistics } from '../../../src/supervise/statistics.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';
import { FakeInstance } from '../../helpers/fake-instance.ts';
import { serviceConfig, settle } from '../../helpers/fake-supervisor.ts';

function world() {
  const clock = new FakeClock();
  const journal: string[] = [];
  const instances: FakeInstance[] = [];
  const exits: string[] = [];
  let pid = 100;
  const statistics = new Map<string, ServiceStatistics>();
  const context: SlotContext = {
    spawn: (service, index, generationNumber, events) => {
      const instance = new FakeInstance(service, index, generationNumber, events, clock, journal, pid++);
      instances.push(instance);
      return instance;
    },
    clock,
    statisticsOf: (service) => statistics.get(service.name) ?? statistics.set(service.name, new ServiceStatistics()).get(service.name) as ServiceStatistics,
  };
  const generation = (number: number): Generation =>
    new Generation(
      number,
      clock.now(),
      context,
      { exited: (owner, slot, state: ExitedState) => exits.push(`${slot.name}@${owner.number}:${state.end.exitCode}`) },
    );
  const find = (name: string, number: number): FakeInstance => {
    const found = [...instances].reverse().find((instance) => instance.name === name && instance.generation === number);
    assert.ok(found, `${name} of generation ${number}`);
    return found;
  };
  return { clock, journal, exits, generation, find, statistics };
}

async function outcomeOf(launch: Promise<StartOutcome>): Promise<StartOutcome | 'pending'> {
  await settle();
  return Promise.race([launch, Promise.resolve('pending' as const)]);
}

const web = (extra: Partial<ServiceConfig> = {}): ServiceConfig => serviceConfig('web', { count: 2, ...extra });

test('a launch succeeds once every instance is ready at the same time', async () => {
  const { generation, find } = world();
  const one = generation(1);
  const launch = one.launch([web(), serviceConfig('jobs')]);
  assert.deepEqual(one.slots.map((slot) => slot.name), ['web.1', 'web.2', 'jobs.1']);
  find('web.1', 1).ready();
  find('jobs.1', 1).ready();
  assert.equal(await outcomeOf(launch), 'pending');
  assert.equal(one.healthy, false);
  find('web.2', 1).ready();
  assert.deepEqual(await outcomeOf(launch), { ok: true });
  assert.equal(one.healthy, true);
});

test('a launch with nothing to start succeeds at once', async () => {
  const { generation } = world();
  assert.deepEqual(await outcomeOf(generation(1).launch([])), { ok: true });
});

test('a paced launch starts the next instance as each one becomes ready, and lists the rest as queued', async () => {
  const { generation, find, journal } = world();
  const one = generation(1);
  const launch = one.launch([web({ count: 3 })], 1);
  assert.deepEqual(journal, ['start web.1@1']);
  assert.deepEqual(one.queued.map((slot) => slot.index), [2, 3]);
  find('web.1', 1).ready();
  assert.deepEqual(journal.filter((entry) => entry.startsWith('start')), ['start web.1@1', 'start web.2@1']);
  find('web.2', 1).ready();
  find('web.3', 1).ready();
  assert.deepEqual(await outcomeOf(launch), { ok: true });
  assert.equal(one.queued.length, 0);
});

test('an instance that exits before it is ready fails the launch with its exit, and nothing queued starts', async () => {
  const { generation, find, journal } = world();
  const one = generation(1);
  const launch = one.launch([web({ count: 3 })], 2);
  find('web.2', 1).exit(4);
  const outcome = await outcomeOf(launch);
  assert.ok(outcome !== 'pending' && !outcome.ok && 'failure' in outcome);
  assert.equal(outcome.instance.name, 'web.2');
  assert.deepEqual(outcome.failure, { kind: 'exited', end: { exitCode: 4, signal: null } });
  assert.ok(!journal.includes('start web.3@1'));
  assert.equal(one.queued.length, 0);
});

test('one that was ready and exits while the others still start fails the launch too', async () => {
  const { generation, find } = world();
  const launch = generation(1).launch([web()]);
  find('web.1', 1).ready();
  find('web.1', 1).exit(1);
  const outcome = await outcomeOf(launch);
  assert.ok(outcome !== 'pending' && !outcome.ok && 'failure' in outcome);
  assert.deepEqual(outcome.failure, { kind: 'crashed', end: { exitCode: 1, signal: null } });
});

test('a ready timeout fails the launch', async () => {
  const { generation, clock } = world();
  const launch = generation(1).launch([web()]);
  clock.advance(1000);
  const outcome = await outcomeOf(launch);
  assert.ok(outcome !== 'pending' && !outcome.ok && 'failure' in outcome);
  assert.deepEqual(outcome.failure, { kind: 'timeout', afterMs: 1000 });
});

test('every exit is passed on, after the launch has heard of it', async () => {
  const { generation, find, exits } = world();
  const one = generation(1);
  void one.launch([web()]);
  find('web.1', 1).ready();
  find('web.2', 1).ready();
  find('web.2', 1).exit(3);
  assert.deepEqual(exits, ['web.2@1:3']);
});

test('handOver: a slot the generation does not hold leaves its slots as they are', async () => {
  const { generation } = world();
  const one = generation(1);
  const two = generation(2);
  const three = generation(3);
  void one.launch([web()]);
  void two.launch([serviceConfig('jobs')]);
  const foreign = two.slots[0];
  assert.ok(foreign);
  one.handOver([foreign], three);
  assert.deepEqual(one.slots.map((slot) => slot.name), ['web.1', 'web.2']);
  assert.deepEqual(three.slots.length, 0);
  assert.deepEqual(two.slots.map((slot) => slot.name), ['jobs.1']);
});

test('handOver: the slot keeps its instance, which now reports to the new generation; its restarts carry the new number', async () => {
  const { generation, find, journal, exits, clock } = world();
  const one = generation(1);
  const two = generation(2);
  void one.launch([serviceConfig('sig')]);
  find('sig.1', 1).ready();
  const slot = one.slots[0];
  assert.ok(slot);
  one.handOver([slot], two);
  assert.deepEqual([one.slots.length, two.slots.map((s) => s.name)], [0, ['sig.1']]);
  find('sig.1', 1).exit(1);
  assert.deepEqual(exits, ['sig.1@2:1'], 'the exit goes to the generation that holds the slot');
  assert.equal(two.restartLater(slot), 100);
  await one.stop();
  clock.advance(100);
  assert.ok(journal.includes('start sig.1@2'), 'the old generation stopping does not cancel the restart of a slot it gave away');
  assert.equal(slot.restarts, 1);
});

test('a restart that is due when its slot is handed over comes back in the new generation', async () => {
  const { generation, find, journal, clock } = world();
  const one = generation(1);
  const two = generation(2);
  void one.launch([serviceConfig('sig')]);
  find('sig.1', 1).ready();
  find('sig.1', 1).exit(1);
  const slot = one.slots[0];
  assert.ok(slot);
  one.restartLater(slot);
  one.handOver([slot], two);
  await one.stop();
  clock.advance(100);
  assert.deepEqual(journal.filter((entry) => entry.startsWith('start')), ['start sig.1@1', 'start sig.1@2']);
});

test('stop cancels a restart that is due, and the generation is finished once every instance has exited', async () => {
  const { generation, find, journal, clock } = world();
  const one = generation(1);
  void one.launch([web()]);
  find('web.1', 1).ready();
  find('web.2', 1).ready();
  find('web.1', 1).exit(1);
  const slot = one.slots[0];
  assert.ok(slot);
  one.restartLater(slot);
  assert.equal(one.finished, false);
  await one.stop();
  clock.advance(10_000);
  assert.equal(journal.filter((entry) => entry.startsWith('start')).length, 2, 'no restart after stop');
  assert.equal(one.stopping, true);
  assert.equal(one.finished, true);
});

test('stopSlots and reopen: a singleton stopped for a reload starts again, counted as a restart', async () => {
  const { generation, find, journal } = world();
  const one = generation(1);
  void one.launch([web(), serviceConfig('cron', { reload: 'restart' })]);
  for (const name of ['web.1', 'web.2', 'cron.1']) find(name, 1).ready();
  const cron = one.slots.filter((slot) => slot.service.name === 'cron');
  await one.stopSlots(cron);
  assert.deepEqual([cron[0]?.ended, find('web.1', 1).state.phase], [true, 'ready']);
  one.reopen(cron);
  assert.equal(journal.filter((entry) => entry === 'start cron.1@1').length, 2);
  assert.deepEqual([cron[0]?.ended, cron[0]?.restarts], [false, 1]);
});

// Start order (AFTER) and oneshots.

const oneshot = (name: string, extra: Partial<ServiceConfig> = {}): ServiceConfig => serviceConfig(name, { type: 'oneshot', ...extra });

test('AFTER: a service starts once what it comes after is ready, a oneshot once it has completed; the rest start together', async () => {
  const { generation, find, journal } = world();
  const one = generation(1);
  const launch = one.launch([oneshot('migrate'), serviceConfig('cache'), serviceConfig('web', { count: 2, after: ['migrate', 'cache'] }), serviceConfig('log')]);
  assert.deepEqual(journal.filter((e) => e.startsWith('start')), ['start migrate.1@1', 'start cache.1@1', 'start log.1@1']);
  find('cache.1', 1).ready();
  find('log.1', 1).ready();
  assert.ok(!journal.some((e) => e.startsWith('start web')), 'web waits for migrate');
  find('migrate.1', 1).exit(0);
  assert.deepEqual(journal.filter((e) => e.startsWith('start web')), ['start web.1@1', 'start web.2@1']);
  assert.equal(await outcomeOf(launch), 'pending');
  find('web.1', 1).ready();
  find('web.2', 1).ready();
  assert.deepEqual(await outcomeOf(launch), { ok: true });
  assert.equal(one.healthy, true, 'a completed oneshot counts as done');
  assert.equal(one.slots.find((slot) => slot.name === 'migrate.1')?.ended, true, 'and is never restarted');
});

test('a oneshot that exits non-zero fails the launch, and what comes after it never starts', async () => {
  const { generation, find, journal } = world();
  const launch = generation(1).launch([oneshot('migrate'), serviceConfig('web', { after: ['migrate'] })]);
  find('migrate.1', 1).exit(3);
  const outcome = await outcomeOf(launch);
  assert.ok(outcome !== 'pending' && !outcome.ok && 'failure' in outcome);
  assert.deepEqual(outcome.failure, { kind: 'exited', end: { exitCode: 3, signal: null } });
  assert.ok(!journal.some((e) => e.startsWith('start web')));
});

test('a oneshot past its time limit (READY_TIMEOUT) fails the launch', async () => {
  const { generation, clock } = world();
  const launch = generation(1).launch([oneshot('migrate', { readyTimeoutMs: 300 })]);
  clock.advance(300);
  const outcome = await outcomeOf(launch);
  assert.ok(outcome !== 'pending' && !outcome.ok && 'failure' in outcome);
  assert.deepEqual(outcome.failure, { kind: 'timeout', afterMs: 300 });
});

test('an AFTER outside the launch is running already: it does not hold the launch back', async () => {
  const { generation, journal } = world();
  void generation(2).launch([serviceConfig('web', { after: ['cron'] })]);
  assert.deepEqual(journal, ['start web.1@2']);
});

test('stop goes in the reverse of the start order: a service stops before what it comes after', async () => {
  const { generation, find, journal } = world();
  const one = generation(1);
  void one.launch([serviceConfig('db'), serviceConfig('web', { after: ['db'] }), serviceConfig('admin', { after: ['web'] }), serviceConfig('log')]);
  find('db.1', 1).ready();
  find('log.1', 1).ready();
  find('web.1', 1).ready();
  find('admin.1', 1).ready();
  for (const name of ['admin.1', 'web.1', 'db.1', 'log.1']) find(name, 1).exitOnStop = false;
  journal.length = 0;
  const stopped = one.stop();
  assert.deepEqual([...journal].sort(), ['stop admin.1@1', 'stop log.1@1'], 'what nothing comes after stops first');
  find('admin.1', 1).exit(0);
  await settle();
  assert.ok(!journal.includes('stop web.1@1'), 'the wave waits for all of itself');
  find('log.1', 1).exit(0);
  await settle();
  assert.deepEqual(journal.filter((e) => e.startsWith('stop')).slice(2), ['stop web.1@1']);
  find('web.1', 1).exit(0);
  await settle();
  assert.deepEqual(journal.filter((e) => e.startsWith('stop')).slice(3), ['stop db.1@1']);
  find('db.1', 1).exit(0);
  await stopped;
});
