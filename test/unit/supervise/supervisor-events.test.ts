// The moments the supervisor reports to its observer (what the init reports upward):
// generation 1 running, a reload beginning and ending (committed or rolled back), and
// stopping, once, whatever the reason. Fake instances, a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceConfig, SupervisorConfig } from '../../../src/config/types.ts';
import { Supervisor, type SupervisorEvents } from '../../../src/supervise/supervisor.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';
import { FakeInstance, silentLog } from '../../helpers/fake-instance.ts';
import { serviceConfig, settle } from '../../helpers/fake-supervisor.ts';

function observed(services: ServiceConfig[]) {
  const clock = new FakeClock();
  const events: string[] = [];
  const instances: FakeInstance[] = [];
  let nextPid = 100;
  const config: SupervisorConfig = {
    globals: { readyTimeoutMs: 1000, stopTimeoutMs: 500, logLevel: 'silent', logFormat: 'json', output: 'inherit', maxRestarts: 1, reloadParallel: Infinity },
    services,
  };
  const observer: SupervisorEvents = {
    running: (generation) => events.push(`running ${generation}`),
    reloading: (generation) => events.push(`reloading ${generation}`),
    reloaded: (outcome, live) => events.push(`reloaded ${outcome.committed ? 'committed' : 'rolled back'} live ${live}`),
    stopping: () => events.push('stopping'),
  };
  const supervisor = new Supervisor(
    config,
    (service, index, generation, instanceEvents) => {
      const instance = new FakeInstance(service, index, generation, instanceEvents, clock, [], nextPid++);
      instances.push(instance);
      return instance;
    },
    silentLog,
    clock,
    observer,
  );
  const of = (generation: number): FakeInstance[] => instances.filter((i) => i.generation === generation);
  return { supervisor, events, of, clock };
}

test('running once every instance of generation 1 is ready, not before; reloading and reloaded around a committed reload; stopping once, on SIGTERM twice', async () => {
  const { supervisor, events, of } = observed([serviceConfig('web', { count: 2 })]);
  const running = supervisor.run();
  await settle();
  of(1)[0]?.ready();
  await settle();
  assert.deepEqual(events, [], 'one instance of two ready is not running');
  of(1)[1]?.ready();
  await settle();
  assert.deepEqual(events, ['running 1']);

  const outcome = supervisor.reload();
  await settle();
  assert.deepEqual(events, ['running 1', 'reloading 2']);
  for (const instance of of(2)) instance.ready();
  assert.equal((await outcome).committed, true);
  assert.deepEqual(events, ['running 1', 'reloading 2', 'reloaded committed live 2']);

  supervisor.shutdown('SIGTERM');
  supervisor.shutdown('SIGTERM');
  assert.equal(await running, 0);
  assert.deepEqual(events.slice(3), ['stopping']);
});

test('a reload that fails is reported as rolled back with the old generation live', async () => {
  const { supervisor, events, of } = observed([serviceConfig('web')]);
  void supervisor.run();
  await settle();
  of(1)[0]?.ready();
  await settle();
  const outcome = supervisor.reload();
  await settle();
  of(2)[0]?.exit(4);
  assert.equal((await outcome).committed, false);
  assert.deepEqual(events, ['running 1', 'reloading 2', 'reloaded rolled back live 1']);
});

test('SIGTERM during a reload: stopping, and no reloaded (the reload was cancelled, not ended)', async () => {
  const { supervisor, events, of } = observed([serviceConfig('web')]);
  const running = supervisor.run();
  await settle();
  of(1)[0]?.ready();
  await settle();
  const outcome = supervisor.reload();
  await settle();
  supervisor.shutdown('SIGTERM');
  await outcome;
  assert.equal(await running, 0);
  assert.deepEqual(events, ['running 1', 'reloading 2', 'stopping']);
});

test('a crash loop and nothing left to run are stopping too; a start that fails is stopping without running', async () => {
  const loop = observed([serviceConfig('web')]);
  const looping = loop.supervisor.run();
  await settle();
  loop.of(1)[0]?.ready();
  await settle();
  for (let i = 0; i < 2; i++) {
    loop.of(1).at(-1)?.exit(1);
    await settle();
    loop.clock.advance(60_000 / 100);
    await settle();
  }
  await looping;
  assert.deepEqual(loop.events, ['running 1', 'stopping']);

  const done = observed([serviceConfig('job', { restart: 'never' })]);
  const finishing = done.supervisor.run();
  await settle();
  done.of(1)[0]?.ready();
  await settle();
  done.of(1)[0]?.exit(0);
  assert.equal(await finishing, 0);
  assert.deepEqual(done.events, ['running 1', 'stopping']);

  const failed = observed([serviceConfig('web')]);
  const failing = failed.supervisor.run();
  await settle();
  failed.of(1)[0]?.exit(3);
  await failing;
  assert.deepEqual(failed.events, ['stopping']);
});
