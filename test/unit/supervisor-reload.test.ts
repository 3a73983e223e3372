// The reload state machine (idle -> starting -> committing | rolling-back -> idle),
// on fake instances and a fake clock: the order of events, rollbacks, coalescing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceConfig, settle, startLive } from '../helpers/fake-supervisor.ts';

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

test('reload: a RELOAD=restart singleton whose replacement fails is started again in the generation that stays live', async () => {
  const { supervisor, of, journal } = await startLive([serviceConfig('web'), serviceConfig('cron', { reload: 'restart' })]);
  journal.length = 0;
  const outcome = supervisor.reload();
  await settle();
  of(2)[0]?.ready();
  await settle();
  const replacement = of(2).find((i) => i.name === 'cron.1');
  assert.ok(replacement, 'the new singleton started after the old one stopped');
  replacement.exit(3);
  const result = await outcome;
  assert.ok(!result.committed && 'reason' in result && /cron\.1 .*code 3/.test(result.reason), JSON.stringify(result));
  await settle();
  const crons = of(1).filter((i) => i.name === 'cron.1');
  assert.equal(crons.length, 2, 'the stopped singleton is started again, in generation 1');
  assert.ok(journal.indexOf('exited cron.1@2') < journal.lastIndexOf('start cron.1@1'));
  assert.equal(supervisor.healthy, false, 'the singleton is down until its new instance is ready');
  crons[1]?.ready();
  await settle();
  assert.equal(supervisor.healthy, true);
  assert.deepEqual(
    supervisor.status().generations.map((g) => [g.number, g.state, g.instances.map((i) => `${i.service}:${i.pid}`)]),
    [[1, 'live', [`web:${of(1)[0]?.pid}`, `cron:${crons[1]?.pid}`]]],
  );
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
