// The reload state machine (idle -> starting -> committing | rolling-back -> idle),
// on fake instances and a fake clock: the order of events, rollbacks, coalescing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceConfig, SupervisorConfig } from '../../src/config/types.ts';
import { Supervisor } from '../../src/supervise/supervisor.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { FakeInstance, silentLog } from '../helpers/fake-instance.ts';

function serviceConfig(name: string, extra: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    name,
    key: name.toUpperCase(),
    argv: ['true'],
    count: 1,
    readiness: { kind: 'notify' },
    readyTimeoutMs: 1000,
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 500,
    restart: 'always',
    reload: 'replace',
    ...extra,
  };
}

function setup(services: ServiceConfig[], reloadParallel = Infinity) {
  const clock = new FakeClock();
  const journal: string[] = [];
  const instances: FakeInstance[] = [];
  let nextPid = 100;
  const config: SupervisorConfig = {
    globals: { readyTimeoutMs: 1000, stopTimeoutMs: 500, logLevel: 'silent', logFormat: 'json', output: 'inherit', maxRestarts: 5, reloadParallel },
    services,
  };
  const supervisor = new Supervisor(
    config,
    (service, index, generation, events) => {
      const instance = new FakeInstance(service, index, generation, events, clock, journal, nextPid++);
      instances.push(instance);
      return instance;
    },
    silentLog,
    clock,
  );
  const of = (generation: number): FakeInstance[] => instances.filter((i) => i.generation === generation);
  return { clock, journal, instances, supervisor, of };
}

/** Lets promise callbacks run (the supervisor awaits between steps). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

async function startLive(services: ServiceConfig[], reloadParallel = Infinity) {
  const world = setup(services, reloadParallel);
  const running = world.supervisor.run();
  await settle();
  for (const instance of world.of(1)) instance.ready();
  await settle();
  assert.equal(world.supervisor.healthy, true);
  return { ...world, running };
}

test('reload: every new instance is ready before any old one is stopped, then commit', async () => {
  const { supervisor, of, journal } = await startLive([serviceConfig('web', { count: 2 }), serviceConfig('jobs')]);
  journal.length = 0;
  const outcome = supervisor.reload();
  await settle();
  assert.equal(supervisor.reloadPhase, 'starting');
  assert.equal(of(2).length, 3);
  const [first, second, third] = of(2);
  first?.ready();
  second?.ready();
  await settle();
  assert.ok(!journal.some((entry) => entry.startsWith('stop')), 'nothing old is stopped while a new instance is not ready');
  assert.equal(supervisor.healthy, true, '--health stays true during the reload');
  third?.ready();
  await settle();
  const result = await outcome;
  assert.equal(result.committed, true);
  const lastReady = journal.map((e, i) => (e.startsWith('ready') ? i : -1)).reduce((a, b) => Math.max(a, b));
  const firstStop = journal.findIndex((e) => e.startsWith('stop'));
  assert.ok(firstStop > lastReady);
  assert.deepEqual(journal.filter((e) => e.startsWith('stop')).sort(), ['stop jobs.1@1', 'stop web.1@1', 'stop web.2@1']);
  assert.equal(supervisor.reloadPhase, 'idle');
  assert.deepEqual(supervisor.status().generations.map((g) => [g.number, g.state]), [[2, 'live']]);
});

test('reload: a new instance not ready within READY_TIMEOUT rolls back; the old generation is untouched', async () => {
  const { supervisor, of, journal, clock } = await startLive([serviceConfig('web', { count: 2 })]);
  journal.length = 0;
  const outcome = supervisor.reload();
  await settle();
  of(2)[0]?.ready();
  clock.advance(999);
  await settle();
  assert.equal(supervisor.reloadPhase, 'starting');
  clock.advance(1);
  await settle();
  const result = await outcome;
  assert.equal(result.committed, false);
  assert.ok('reason' in result && /web\.2 not ready within 1000 ms/.test(result.reason));
  assert.deepEqual(journal.filter((e) => e.startsWith('stop')).sort(), ['stop web.1@2', 'stop web.2@2']);
  assert.equal(supervisor.reloadPhase, 'idle');
  assert.deepEqual(supervisor.status().generations.map((g) => [g.number, g.state]), [[1, 'live']]);
  assert.equal(supervisor.healthy, true);
});

test('reload: a new instance that crashes rolls back with its exit code', async () => {
  const { supervisor, of } = await startLive([serviceConfig('web')]);
  const outcome = supervisor.reload();
  await settle();
  of(2)[0]?.exit(4);
  const result = await outcome;
  assert.ok(!result.committed && 'reason' in result && /code 4/.test(result.reason));
  assert.equal(of(1)[0]?.state.phase, 'ready');
});

test('reload: requests during a reload coalesce into exactly one more', async () => {
  const { supervisor, of } = await startLive([serviceConfig('web')]);
  const first = supervisor.reload();
  await settle();
  const queued = Array.from({ length: 5 }, () => supervisor.reload());
  of(2)[0]?.ready();
  assert.equal((await first).committed, true);
  await settle();
  assert.equal(of(3).length, 1, 'one more reload started');
  of(3)[0]?.ready();
  const results = await Promise.all(queued);
  assert.ok(results.every((r) => r.committed && r.generation === 3));
  await settle();
  assert.equal(of(4).length, 0, 'and no other');
});

test('reload: a RELOAD=restart singleton is stopped before its replacement starts, after the replace services are ready', async () => {
  const { supervisor, of, journal } = await startLive([serviceConfig('web'), serviceConfig('cron', { reload: 'restart' })]);
  journal.length = 0;
  const outcome = supervisor.reload();
  await settle();
  assert.deepEqual(of(2).map((i) => i.name), ['web.1'], 'only the replace service starts first');
  of(2)[0]?.ready();
  await settle();
  assert.ok(journal.includes('stop cron.1@1'));
  const cron = of(2).find((i) => i.name === 'cron.1');
  assert.ok(cron, 'the new singleton starts once the old one exited');
  assert.ok(journal.indexOf('exited cron.1@1') < journal.indexOf('start cron.1@2'));
  cron.ready();
  assert.equal((await outcome).committed, true);
});

test('reload: RELOAD=signal keeps the instance, forwards SIGHUP and moves it to the new generation', async () => {
  const { supervisor, of, journal } = await startLive([serviceConfig('web'), serviceConfig('log', { reload: 'signal' })]);
  const outcome = supervisor.reload();
  await settle();
  of(2)[0]?.ready();
  assert.equal((await outcome).committed, true);
  assert.ok(journal.includes('SIGHUP log.1@1'));
  assert.ok(!journal.includes('stop log.1@1'));
  assert.deepEqual(supervisor.status().generations[0]?.instances.map((i) => i.service).sort(), ['log', 'web']);
});

test('SIGTERM during a reload stops both generations and the supervisor finishes with 0', async () => {
  const { supervisor, of, running } = await startLive([serviceConfig('web')]);
  const outcome = supervisor.reload();
  await settle();
  assert.equal(of(2).length, 1);
  supervisor.shutdown('SIGTERM');
  const result = await outcome;
  assert.equal(result.committed, false);
  assert.equal(await running, 0);
  assert.ok([...of(1), ...of(2)].every((i) => i.state.phase === 'exited'));
});

test('BATON_RELOAD_PARALLEL=1: generation 1 starts at once, a reload one instance at a time, the rest listed as queued', async () => {
  const { supervisor, of, journal } = await startLive([serviceConfig('web', { count: 3 })], 1);
  assert.equal(of(1).length, 3, 'nothing serves yet at the first start: no pacing');
  journal.length = 0;
  const outcome = supervisor.reload();
  await settle();
  assert.deepEqual(of(2).map((i) => i.name), ['web.1']);
  const starting = supervisor.status().generations.find((g) => g.number === 2);
  assert.deepEqual(starting?.instances.map((i) => [i.service, i.instance, i.state, i.pid]), [
    ['web', 1, 'starting', of(2)[0]?.pid],
    ['web', 2, 'queued', null],
    ['web', 3, 'queued', null],
  ]);
  of(2)[0]?.ready();
  await settle();
  assert.deepEqual(of(2).map((i) => i.name), ['web.1', 'web.2'], 'the next starts when the previous is ready');
  of(2)[1]?.ready();
  await settle();
  of(2)[2]?.ready();
  assert.equal((await outcome).committed, true);
  assert.deepEqual(journal.filter((e) => e.startsWith('start') || e.startsWith('ready') || e.startsWith('stop')), [
    'start web.1@2', 'ready web.1@2', 'start web.2@2', 'ready web.2@2', 'start web.3@2', 'ready web.3@2',
    'stop web.1@1', 'stop web.2@1', 'stop web.3@1',
  ]);
});

test('BATON_RELOAD_PARALLEL=2: two start together, and a failure rolls back without starting the queued ones', async () => {
  const { supervisor, of } = await startLive([serviceConfig('web', { count: 2 }), serviceConfig('jobs', { count: 2 })], 2);
  const outcome = supervisor.reload();
  await settle();
  assert.deepEqual(of(2).map((i) => i.name), ['web.1', 'web.2']);
  of(2)[0]?.ready();
  await settle();
  assert.deepEqual(of(2).map((i) => i.name), ['web.1', 'web.2', 'jobs.1']);
  of(2)[2]?.exit(7);
  const result = await outcome;
  assert.ok(!result.committed && 'reason' in result && /jobs\.1 .*code 7/.test(result.reason), JSON.stringify(result));
  await settle();
  assert.equal(of(2).length, 3, 'jobs.2 never started');
  assert.ok(of(2).every((i) => i.state.phase === 'exited'));
  assert.deepEqual(supervisor.status().generations.map((g) => [g.number, g.state, g.instances.length]), [[1, 'live', 4]]);
});

test('BATON_RELOAD_PARALLEL=1: SIGTERM while instances are queued stops what runs and starts nothing more', async () => {
  const { supervisor, of, running } = await startLive([serviceConfig('web', { count: 3 })], 1);
  const outcome = supervisor.reload();
  await settle();
  supervisor.shutdown('SIGTERM');
  assert.equal((await outcome).committed, false);
  assert.equal(await running, 0);
  assert.equal(of(2).length, 1);
  assert.ok([...of(1), ...of(2)].every((i) => i.state.phase === 'exited'));
});
