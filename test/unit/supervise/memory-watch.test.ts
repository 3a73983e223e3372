// MAX_MEMORY on fake instances, a fake /proc and a fake clock: what is sampled and how
// often, and the decision on an instance above its limit (when a replacement starts and
// when none does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MEMORY_SAMPLE_MS } from '../../../src/supervise/memory-watch.ts';
import { serviceConfig, settle, startLive } from '../../helpers/fake-supervisor.ts';

const MIB = 2 ** 20;
const LIMIT = 100 * MIB;

/** One sample's worth of time, and the promise callbacks it sets off. */
/** A service with a limit, whose instances take longer than a few samples to time out starting or stopping. */
function limited(name: string, extra: Parameters<typeof serviceConfig>[1] = {}) {
  return serviceConfig(name, { maxMemoryBytes: LIMIT, readyTimeoutMs: 60_000, stopTimeoutMs: 60_000, ...extra });
}

async function nextSample(world: { clock: { advance(ms: number): void } }): Promise<void> {
  world.clock.advance(MEMORY_SAMPLE_MS);
  await settle();
}

test('every MEMORY_SAMPLE_MS, one read for all the limited instances, none for the others; --status shows their RSS', async () => {
  const world = await startLive([limited('web', { count: 3 }), serviceConfig('jobs')]);
  const { reads, rss, of, supervisor } = world;
  const web = of(1).filter((i) => i.service.name === 'web');
  web.forEach((instance, at) => rss.set(instance.pid as number, (at + 1) * MIB));
  assert.equal(reads.length, 0, 'nothing read before the first interval');
  world.clock.advance(MEMORY_SAMPLE_MS - 1);
  assert.equal(reads.length, 0);
  await nextSample(world);
  await nextSample(world);
  assert.equal(reads.length, 2, 'one read per sample');
  assert.deepEqual(reads[0]?.sort(), web.map((i) => i.pid).sort(), 'the groups of the limited instances, all in one read');
  const shown = supervisor.status().generations[0]?.instances.map((i) => [i.service, i.rss]);
  assert.deepEqual(shown, [['web', MIB], ['web', 2 * MIB], ['web', 3 * MIB], ['jobs', null]]);
  assert.equal(of(1).length, 4, 'under the limit: nothing replaced');
});

test('no service with MAX_MEMORY: nothing is sampled, and no timer runs for it', async () => {
  const world = await startLive([serviceConfig('web', { count: 2 })]);
  const pending = world.clock.pending;
  await nextSample(world);
  await nextSample(world);
  assert.equal(world.reads.length, 0);
  assert.equal(world.clock.pending, pending);
  assert.deepEqual(world.supervisor.status().generations[0]?.instances.map((i) => i.rss), [null, null]);
});

test('above the limit: a replacement starts in the same generation and slot, and the old instance stops only once it is ready', async () => {
  const world = await startLive([limited('web', { count: 2 })]);
  const { rss, of, supervisor } = world;
  const [old, other] = of(1);
  assert.ok(old && other);
  rss.set(old.pid as number, LIMIT + 1);
  rss.set(other.pid as number, LIMIT);
  await nextSample(world);
  assert.equal(of(1).length, 3, 'one replacement, for the instance above the limit only');
  const replacement = of(1)[2];
  assert.ok(replacement);
  assert.equal(replacement.index, old.index);
  assert.equal(replacement.generation, 1);
  assert.equal(old.state.phase, 'ready', 'the old instance serves until its replacement is ready');
  assert.deepEqual(supervisor.status().generations[0]?.instances.map((i) => [`${i.service}.${i.instance}`, i.pid, i.state]), [
    ['web.1', old.pid, 'ready'],
    ['web.1', replacement.pid, 'starting'],
    ['web.2', other.pid, 'ready'],
  ]);
  assert.equal(supervisor.healthy, true);
  await nextSample(world);
  await nextSample(world);
  assert.equal(of(1).length, 3, 'not replaced twice while its replacement starts');
  replacement.ready();
  await settle();
  assert.equal(old.state.phase, 'exited', 'stopped once the replacement is ready');
  assert.ok(world.journal.indexOf(`ready web.1@1`, world.journal.lastIndexOf('start web.1@1')) < world.journal.lastIndexOf('stop web.1@1'), 'ready, then stop');
  assert.equal(supervisor.healthy, true);
  const status = supervisor.status();
  assert.deepEqual(status.services.web?.exits, { crashed: 0, exited: 0, 'start-failed': 0, watchdog: 0, stopped: 0, memory: 1 });
  assert.equal(status.services.web?.restarts, 1);
  assert.deepEqual(status.generations[0]?.instances.map((i) => [i.pid, i.restartsBy]), [[replacement.pid, { memory: 1 }], [other.pid, {}]]);
});

test('not a crash: more replacements within a minute than MAX_RESTARTS allows restarts is no crash loop', async () => {
  const world = await startLive([limited('web')]);
  const { rss, of, supervisor } = world;
  for (let i = 0; i < 8; i++) {
    const current = of(1).at(-1);
    rss.set(current?.pid as number, 2 * LIMIT);
    await nextSample(world);
    of(1).at(-1)?.ready();
    await settle();
  }
  assert.equal(of(1).length, 9);
  assert.equal(supervisor.status().services.web?.exits.memory, 8);
  assert.equal(supervisor.healthy, true, 'still running: no crash loop');
  supervisor.shutdown('SIGTERM');
  assert.equal(await world.running, 0);
});

test('a replacement that fails to start: the old instance keeps running; the next try waits for the next sample and the slot backoff', async () => {
  const world = await startLive([limited('web')]);
  const { rss, of, clock, supervisor } = world;
  const [old] = of(1);
  assert.ok(old);
  rss.set(old.pid as number, 2 * LIMIT);
  const tries: number[] = [];
  for (let sample = 0; sample < 40; sample++) {
    const before = of(1).length;
    await nextSample(world);
    if (of(1).length > before) {
      tries.push(clock.now());
      of(1).at(-1)?.exit(1); // exits before it is ready
      await settle();
    }
    assert.equal(old.state.phase, 'ready', 'the old instance keeps running');
  }
  assert.equal(supervisor.status().services.web?.exits['start-failed'], tries.length);
  const gaps = tries.slice(1).map((at, i) => at - (tries[i] as number));
  assert.equal(gaps[0], MEMORY_SAMPLE_MS, 'the first retry at the next sample');
  assert.ok(gaps.some((gap) => gap > MEMORY_SAMPLE_MS), `the backoff spaces the tries out: ${gaps.join(', ')}`);
  assert.ok((gaps.at(-1) ?? 0) <= 5 * MEMORY_SAMPLE_MS + 5_000, 'at most the longest backoff and a sample apart');
  assert.equal(supervisor.healthy, true);
  assert.equal(supervisor.status().services.web?.exits.crashed, 0);
});

test('a singleton (RELOAD=restart): the old instance stops first, then the new one starts', async () => {
  const world = await startLive([limited('db', { reload: 'restart' })]);
  const { rss, of, supervisor } = world;
  const [old] = of(1);
  assert.ok(old);
  old.exitOnStop = false;
  rss.set(old.pid as number, 2 * LIMIT);
  await nextSample(world);
  assert.equal(old.state.phase, 'stopping');
  assert.equal(of(1).length, 1, 'nothing new while the old one runs');
  await nextSample(world);
  assert.equal(of(1).length, 1, 'not stopped twice');
  old.exit(0);
  await settle();
  assert.equal(of(1).length, 2, 'the new one starts once the old one has exited');
  of(1)[1]?.ready();
  await settle();
  const status = supervisor.status();
  assert.equal(status.services.db?.exits.memory, 1);
  assert.deepEqual(status.generations[0]?.instances.map((i) => i.restartsBy), [{ memory: 1 }]);
  assert.equal(supervisor.healthy, true);
});

test('no replacement while the init stops, nor during a reload', async () => {
  const world = await startLive([limited('web')]);
  const { rss, of, supervisor, clock } = world;
  const [old] = of(1);
  assert.ok(old);
  rss.set(old.pid as number, 2 * LIMIT);
  const reload = supervisor.reload();
  await settle();
  assert.equal(of(2).length, 1);
  await nextSample(world);
  assert.equal(of(1).length, 1, 'none during a reload');
  of(2)[0]?.ready();
  assert.equal((await reload).committed, true);
  const [live] = of(2);
  assert.ok(live);
  live.exitOnStop = false;
  rss.set(live.pid as number, 2 * LIMIT);
  supervisor.shutdown('SIGTERM');
  await settle();
  await nextSample(world);
  assert.equal(of(2).length, 1, 'none while stopping');
  live.exit(0);
  clock.advance(1);
  assert.equal(await world.running, 0);
  assert.equal(clock.pending, 0, 'sampling has stopped with the init');
});

test('a RELOAD=signal slot handed to generation 2: its replacement carries generation 2', async () => {
  const world = await startLive([limited('sig', { reload: 'signal' })]);
  const { rss, of, supervisor } = world;
  const reload = supervisor.reload();
  await settle();
  assert.equal((await reload).committed, true);
  const [old] = of(1);
  assert.ok(old && old.state.phase === 'ready', 'the slot kept its instance');
  rss.set(old.pid as number, 2 * LIMIT);
  await nextSample(world);
  assert.equal(of(2).length, 1, 'the replacement carries the number of the generation that holds the slot');
  assert.equal(of(2)[0]?.index, 1);
});

test('the instance exits by itself while its replacement starts: the replacement takes its place, restarted under RESTART', async () => {
  const world = await startLive([limited('web')]);
  const { rss, of, supervisor } = world;
  const [old] = of(1);
  assert.ok(old);
  rss.set(old.pid as number, 2 * LIMIT);
  await nextSample(world);
  assert.equal(of(1).length, 2);
  old.exit(1);
  await settle();
  world.clock.advance(5_000);
  await settle();
  assert.equal(of(1).length, 2, 'no other instance: the replacement is the restart');
  of(1)[1]?.ready();
  await settle();
  assert.equal(supervisor.healthy, true);
  const status = supervisor.status();
  assert.deepEqual(status.services.web?.exits, { crashed: 1, exited: 0, 'start-failed': 0, watchdog: 0, stopped: 0, memory: 0 });
  assert.deepEqual(status.generations[0]?.instances.map((i) => [i.pid, i.restartsBy]), [[of(1)[1]?.pid, { crashed: 1 }]]);
});
