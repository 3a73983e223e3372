// The Supervisor on fake instances and a fake clock: restarts and their backoff, the
// decisions on an exit (restart, end, crash loop), and the reload state machine
// (idle -> starting -> committing | rolling-back -> idle): the order of events, rollbacks, coalescing.
import { test } from 'node:test';
import { queryObjects } from 'node:v8';
import assert from 'node:assert/strict';
import type { ServiceConfig, SupervisorConfig } from '../../../src/config/types.ts';
import { Generation } from '../../../src/supervise/generation.ts';
import { Slot } from '../../../src/supervise/slot.ts';
import { Supervisor, type SupervisorEvents } from '../../../src/supervise/supervisor.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';
import { FakeInstance, silentLog } from '../../helpers/fake-instance.ts';
import { FIRST_RETRY_MS, STABLE_AFTER_MS } from '../../../src/supervise/restart-policy.ts';
import { serviceConfig, settle, setup, startLive } from '../../helpers/fake-supervisor.ts';

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

// What the supervisor decides when an instance of the live generation exits by itself:
// a restart, the end of its slot, or a crash loop that stops everything.

/** Crashes the newest instance of `name` in generation 1 with `code`, and lets the restart timer run. */
async function crash(world: Awaited<ReturnType<typeof startLive>>, name: string, code: number | null, signal: NodeJS.Signals | null = null): Promise<void> {
  const instance = [...world.of(1)].reverse().find((i) => i.name === name);
  assert.ok(instance, name);
  instance.exit(code, signal);
  await settle();
}

test('RESTART=on-failure: a failure comes back, a clean exit ends the slot, and the init exits 0 once every slot has ended', async () => {
  const world = await startLive([serviceConfig('job', { restart: 'on-failure' })]);
  await crash(world, 'job.1', 2);
  world.clock.advance(FIRST_RETRY_MS);
  await settle();
  assert.equal(world.of(1).length, 2, 'exit 2 is restarted');
  world.of(1)[1]?.ready();
  await crash(world, 'job.1', 0);
  world.clock.advance(60_000);
  await settle();
  assert.equal(world.of(1).length, 2, 'exit 0 is not');
  assert.equal(await world.running, 2, 'the first failure is the exit code');
});

test('RESTART=never: the slot ends at its first exit, and that exit decides the code', async () => {
  const world = await startLive([serviceConfig('once', { restart: 'never' })]);
  await crash(world, 'once.1', null, 'SIGKILL');
  world.clock.advance(60_000);
  assert.equal(world.of(1).length, 1);
  assert.equal(await world.running, 137);
});

test('RESTART=always: even a clean exit comes back', async () => {
  const world = await startLive([serviceConfig('web')]);
  await crash(world, 'web.1', 0);
  world.clock.advance(FIRST_RETRY_MS);
  await settle();
  assert.deepEqual(world.journal.filter((e) => e.startsWith('start')), ['start web.1@1', 'start web.1@1']);
  assert.equal(world.supervisor.status().generations[0]?.instances[0]?.restarts, 1);
});

test('one restart more than BATON_MAX_RESTARTS within a minute is a crash loop: everything stops and the init exits 75', async () => {
  const world = await startLive([serviceConfig('web'), serviceConfig('jobs')]);
  for (let i = 0; i < 5; i++) {
    await crash(world, 'web.1', 1);
    world.clock.advance(10_000);
    await settle();
  }
  assert.equal(world.of(1).filter((i) => i.name === 'web.1').length, 6, 'five restarts are within the budget');
  await crash(world, 'web.1', 1);
  assert.equal(await world.running, 75);
  assert.ok(world.journal.includes('stop jobs.1@1'), 'the steady service is stopped too');
  world.clock.advance(60_000);
  assert.equal(world.of(1).filter((i) => i.name === 'web.1').length, 6, 'and the crashed one is not started again');
});

test('restarts older than a minute leave the budget', async () => {
  const world = await startLive([serviceConfig('web')]);
  for (let i = 0; i < 8; i++) {
    await crash(world, 'web.1', 1);
    world.clock.advance(FIRST_RETRY_MS);
    await settle();
    world.of(1).at(-1)?.ready();
    world.clock.advance(20_000);
    await settle();
  }
  assert.equal(world.of(1).length, 9, 'one crash every 20 s is three a minute: restarted every time');
  assert.equal(world.supervisor.healthy, true);
  assert.equal(world.supervisor.status().generations[0]?.instances[0]?.restarts, 8);
});

test('the budget is per slot: one crash of each of six instances is six restarts, not a crash loop', async () => {
  const world = await startLive([serviceConfig('web', { count: 8 })]);
  for (let index = 1; index <= 6; index++) await crash(world, `web.${index}`, 1);
  world.clock.advance(FIRST_RETRY_MS);
  await settle();
  assert.equal(world.of(1).length, 14, 'all six came back');
});

test('a restarted instance that is not ready in time failed, whatever its exit code: RESTART=on-failure restarts it', async () => {
  const world = await startLive([serviceConfig('web', { restart: 'on-failure' }), serviceConfig('jobs', { restart: 'never' })]);
  await crash(world, 'web.1', 1);
  world.clock.advance(FIRST_RETRY_MS);
  await settle();
  world.clock.advance(1000);
  await settle();
  assert.ok(world.journal.includes('stop web.1@1'), 'the ready timeout stops it (and it exits 0 when asked)');
  world.clock.advance(2 * FIRST_RETRY_MS);
  await settle();
  assert.equal(world.of(1).filter((i) => i.name === 'web.1').length, 3, 'and it is tried again');
  world.supervisor.shutdown('SIGTERM');
  assert.equal(await world.running, 0, 'a shutdown on request exits 0 whatever failed before');
});

test('exits while everything stops are not restarted', async () => {
  const world = await startLive([serviceConfig('web')]);
  const first = world.of(1)[0];
  assert.ok(first);
  first.exitOnStop = false;
  world.supervisor.shutdown('SIGTERM');
  first.exit(1);
  assert.equal(await world.running, 0);
  world.clock.advance(60_000);
  assert.equal(world.of(1).length, 1);
});

// The reload.

test('reload: every new instance is ready before any old one is stopped, then commit', async () => {
  const { supervisor, of, journal } = await startLive([serviceConfig('web', { count: 2 }), serviceConfig('jobs')]);
  journal.length = 0;
  const outcome = supervisor.reload();
  await settle();
  assert.equal(supervisor.status().reload, 'starting');
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
  assert.equal(supervisor.status().reload, 'idle');
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
  assert.equal(supervisor.status().reload, 'starting');
  clock.advance(1);
  await settle();
  const result = await outcome;
  assert.equal(result.committed, false);
  assert.ok('reason' in result && /web\.2 not ready within 1000 ms/.test(result.reason));
  assert.deepEqual(journal.filter((e) => e.startsWith('stop')).sort(), ['stop web.1@2', 'stop web.2@2']);
  assert.equal(supervisor.status().reload, 'idle');
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

test('reload: a RELOAD=signal instance waiting to be restarted when the reload commits comes back in the new generation', async () => {
  const { supervisor, of, journal, clock } = await startLive([serviceConfig('web'), serviceConfig('sig', { reload: 'signal' })]);
  of(1).find((i) => i.name === 'sig.1')?.exit(1);
  await settle();
  const outcome = supervisor.reload();
  await settle();
  of(2).find((i) => i.name === 'web.1')?.ready();
  assert.equal((await outcome).committed, true);
  clock.advance(1000);
  await settle();
  assert.ok(journal.includes('start sig.1@2'), `the restart carries the live generation's number: ${journal.filter((e) => e.includes('sig')).join(', ')}`);
  assert.equal(journal.filter((e) => e === 'start sig.1@1').length, 1, 'and not the number of the generation it exited in');
  assert.deepEqual(supervisor.status().generations.map((g) => [g.number, g.instances.map((i) => `${i.service}@${i.generation}`)]), [[2, ['web@2', 'sig@2']]]);
});

// The watchdog (WATCHDOG=): a failure is a crash, restarted under RESTART= and counted.

test('a watchdog failure is a failure: the instance is aborted, restarted under RESTART=on-failure, and counts toward the crash-loop budget', async () => {
  const world = await startLive([serviceConfig('web', { restart: 'on-failure', watchdogMs: 1000 }), serviceConfig('jobs')]);
  for (let round = 1; round <= 5; round++) {
    world.clock.advance(1000);
    await settle();
    assert.ok(world.journal.includes('abort web.1@1'), 'aborted once silent for the watchdog interval');
    assert.equal(world.supervisor.healthy, false, '--health is 1 while it is down');
    const webs = (): number => world.of(1).filter((i) => i.name === 'web.1').length;
    for (let waited = 0; webs() === round; waited += 50) {
      assert.ok(waited < 10_000, `restarted within its backoff (round ${round})`);
      world.clock.advance(50);
      await settle();
    }
    assert.equal(webs(), round + 1);
    world.of(1).at(-1)?.ready();
    await settle();
    assert.equal(world.supervisor.healthy, true, 'and 0 again once the replacement is ready');
  }
  world.clock.advance(1000);
  assert.equal(await world.running, 75, 'the sixth within a minute is a crash loop');
});

test('keep-alives keep a watched instance untouched', async () => {
  const world = await startLive([serviceConfig('web', { watchdogMs: 3000 })]);
  for (let i = 0; i < 30; i++) {
    world.clock.advance(1000);
    world.of(1)[0]?.keepAlive();
  }
  await settle();
  assert.deepEqual(world.journal.filter((e) => e.startsWith('abort') || e.startsWith('stop')), []);
  assert.equal(world.supervisor.healthy, true);
});

test('reload: a new instance that fails its watchdog before the commit rolls the reload back', async () => {
  const { supervisor, of, clock } = await startLive([serviceConfig('web', { count: 2, watchdogMs: 1000, readyTimeoutMs: 5000 })]);
  const outcome = supervisor.reload();
  await settle();
  of(2)[0]?.ready();
  clock.advance(1000);
  of(1).forEach((instance) => instance.keepAlive());
  const result = await outcome;
  assert.ok(!result.committed && 'reason' in result, JSON.stringify(result));
  assert.match(result.reason, /web\.1 failed its watchdog: no keep-alive for 1000 ms/);
  assert.deepEqual(supervisor.status().generations.map((g) => [g.number, g.state]), [[1, 'live']]);
});

test('the figures of --status --json match a scripted run: spawns, readies, exits by cause, restarts by cause', async () => {
  const world = await startLive([serviceConfig('web', { count: 2, watchdogMs: 1000 }), serviceConfig('jobs', { restart: 'never' })]);
  const { supervisor, clock, of } = world;
  const named = (name: string) => [...of(1)].reverse().find((i) => i.name === name);
  for (const instance of of(1)) instance.keepAlive();
  named('web.1')?.exit(1); // a crash
  await settle();
  clock.advance(100); // its restart
  await settle();
  named('web.1')?.ready();
  named('jobs.1')?.exit(0); // a clean exit, not restarted
  clock.advance(900); // web.2 has sent nothing for 1000 ms: its watchdog fails
  named('web.1')?.keepAlive();
  await settle();
  clock.advance(100);
  await settle();
  clock.advance(500);
  named('web.1')?.keepAlive();
  clock.advance(500); // web.2's replacement is not ready in time: a failed start
  named('web.1')?.keepAlive();
  await settle();
  clock.advance(200);
  await settle();
  named('web.2')?.ready();
  named('web.1')?.keepAlive();
  const status = supervisor.status();
  assert.deepEqual(status.services, {
    web: { spawned: 5, ready: 4, restarts: 3, exits: { crashed: 1, exited: 0, 'start-failed': 1, watchdog: 1, stopped: 0, memory: 0 } },
    jobs: { spawned: 1, ready: 1, restarts: 0, exits: { crashed: 0, exited: 1, 'start-failed': 0, watchdog: 0, stopped: 0, memory: 0 } },
  });
  const instances = status.generations[0]?.instances ?? [];
  assert.deepEqual(instances.map((i) => [`${i.service}.${i.instance}`, i.restarts, i.restartsBy]), [
    ['web.1', 1, { crashed: 1 }],
    ['web.2', 2, { watchdog: 1, 'start-failed': 1 }],
    ['jobs.1', 0, {}],
  ]);
  assert.equal(instances[0]?.lastKeepAlive, clock.now(), 'the last keep-alive of a watched instance');
  assert.equal(instances[2]?.lastKeepAlive, null, 'none without a watchdog');
  supervisor.shutdown('SIGTERM');
  assert.equal(await world.running, 0);
  assert.equal(supervisor.status().services.web?.exits.stopped, 2);
});

// Oneshots, essential services and the shutdown delay.

test('a oneshot that fails the first start: the init exits with its own code, and what comes after it never ran', async () => {
  const world = setup([serviceConfig('migrate', { type: 'oneshot' }), serviceConfig('web', { after: ['migrate'] })]);
  const running = world.supervisor.run();
  await settle();
  world.of(1)[0]?.exit(3);
  assert.equal(await running, 3);
  assert.ok(!world.journal.some((e) => e.startsWith('start web')));
  const signalled = setup([serviceConfig('migrate', { type: 'oneshot' })]);
  const killed = signalled.supervisor.run();
  await settle();
  signalled.of(1)[0]?.exit(null, 'SIGSEGV');
  assert.equal(await killed, 139, '128+N for a signal');
});

test('only oneshots: the init exits 0 once they have completed', async () => {
  const world = setup([serviceConfig('migrate', { type: 'oneshot', count: 2 })]);
  const running = world.supervisor.run();
  await settle();
  for (const instance of world.of(1)) instance.exit(0);
  assert.equal(await running, 0);
});

test('reload: a oneshot runs again before what comes after it; a failing one rolls back and the old web is untouched', async () => {
  const { supervisor, of, journal } = await (async () => {
    const world = setup([serviceConfig('migrate', { type: 'oneshot' }), serviceConfig('web', { after: ['migrate'] })]);
    world.supervisor.run();
    await settle();
    world.of(1)[0]?.exit(0);
    await settle();
    world.of(1)[1]?.ready();
    await settle();
    return world;
  })();
  assert.equal(supervisor.healthy, true);
  journal.length = 0;
  const committed = supervisor.reload();
  await settle();
  assert.deepEqual(journal, ['start migrate.1@2'], 'the migration first');
  of(2)[0]?.exit(0);
  await settle();
  assert.ok(journal.indexOf('start web.1@2') > journal.indexOf('completed migrate.1@2'), journal.join(', '));
  of(2)[1]?.ready();
  assert.equal((await committed).committed, true);

  journal.length = 0;
  const rolledBack = supervisor.reload();
  await settle();
  of(3)[0]?.exit(5);
  const outcome = await rolledBack;
  assert.ok(!outcome.committed && 'reason' in outcome && /migrate\.1 exited before it was ready \(code 5\)/.test(outcome.reason), JSON.stringify(outcome));
  assert.ok(!journal.some((e) => e.startsWith('start web')), 'the new web never started');
  assert.ok(!journal.some((e) => e.includes('web.1@2') && e.startsWith('stop')), 'the live web was not touched');
  assert.equal(supervisor.healthy, true);
});

test('ESSENTIAL: when its instance ends for good, everything stops and the init exits with its code', async () => {
  const world = await startLive([serviceConfig('main', { essential: true, restart: 'never' }), serviceConfig('sidecar')]);
  world.of(1)[0]?.exit(7);
  await settle();
  assert.ok(world.journal.includes('stop sidecar.1@1'), 'the others are stopped gracefully');
  assert.equal(await world.running, 7);

  const segv = await startLive([serviceConfig('main', { essential: true, restart: 'never' }), serviceConfig('sidecar')]);
  segv.of(1)[0]?.exit(null, 'SIGSEGV');
  assert.equal(await segv.running, 139);

  const clean = await startLive([serviceConfig('main', { essential: true, restart: 'on-failure' }), serviceConfig('sidecar')]);
  clean.of(1)[0]?.exit(0);
  assert.equal(await clean.running, 0, 'a clean end is exit 0');
});

test('ESSENTIAL in a crash loop: its own code, not the crash-loop code', async () => {
  const world = await startLive([serviceConfig('main', { essential: true }), serviceConfig('sidecar')]);
  const mains = (): number => world.of(1).filter((instance) => instance.name === 'main.1').length;
  for (let i = 0; i < 6; i++) {
    const before = mains();
    world.of(1).filter((instance) => instance.name === 'main.1').at(-1)?.exit(4);
    await settle();
    for (let waited = 0; mains() === before && waited < 10_000; waited += 50) {
      world.clock.advance(50);
      await settle();
    }
    world.of(1).filter((instance) => instance.name === 'main.1').at(-1)?.ready();
  }
  assert.equal(await world.running, 4);
});

test('BATON_SHUTDOWN_DELAY: the first SIGTERM makes --health 1 and --live 1 at once, the services run on until the delay is over, then stop', async () => {
  const world = await startLive([serviceConfig('web', { count: 2 })], Infinity, 3000);
  const { supervisor, clock, journal } = world;
  assert.equal(supervisor.shutdown('SIGTERM'), 'draining');
  assert.equal(supervisor.healthy, false);
  assert.equal(supervisor.stopping, true);
  assert.equal((await supervisor.reload()).committed, false, 'no reload while draining');
  clock.advance(2999);
  await settle();
  assert.ok(!journal.some((e) => e.startsWith('stop')), 'still serving');
  clock.advance(1);
  await settle();
  assert.deepEqual(journal.filter((e) => e.startsWith('stop')).sort(), ['stop web.1@1', 'stop web.2@1']);
  assert.equal(await world.running, 0);
});

test('BATON_SHUTDOWN_DELAY: a second SIGTERM skips the rest of the delay, a third kills', async () => {
  const world = await startLive([serviceConfig('web')], Infinity, 60_000);
  const web = world.of(1)[0];
  assert.ok(web);
  web.exitOnStop = false;
  assert.equal(world.supervisor.shutdown('SIGTERM'), 'draining');
  assert.equal(world.supervisor.shutdown('SIGTERM'), 'stopping');
  assert.ok(world.journal.includes('stop web.1@1'));
  assert.equal(world.supervisor.shutdown('SIGINT'), 'killing');
  await settle();
  assert.ok(world.journal.includes('kill web.1@1'));
  assert.equal(await world.running, 0);
});

test('a crash while draining is restarted as usual: the services keep serving', async () => {
  const world = await startLive([serviceConfig('web')], Infinity, 5000);
  world.supervisor.shutdown('SIGTERM');
  world.of(1)[0]?.exit(1);
  await settle();
  world.clock.advance(100);
  await settle();
  assert.equal(world.of(1).length, 2);
});

// The moments the supervisor reports to its observer (what the init reports upward):
// generation 1 running, a reload beginning and ending (committed or rolled back), and
// stopping, once, whatever the reason. Fake instances, a fake clock.
function observed(services: ServiceConfig[], shutdownDelayMs = 0) {
  const clock = new FakeClock();
  const events: string[] = [];
  const instances: FakeInstance[] = [];
  let nextPid = 100;
  const config: SupervisorConfig = {
    globals: { readyTimeoutMs: 1000, stopTimeoutMs: 500, logLevel: 'silent', logFormat: 'json', output: 'inherit', maxRestarts: 1, reloadParallel: Infinity, shutdownDelayMs },
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
    { events: observer },
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

test('with a shutdown delay, stopping is reported once, at the first SIGTERM, when the drain begins', async () => {
  const { supervisor, events, of, clock } = observed([serviceConfig('web')], 5000);
  const running = supervisor.run();
  await settle();
  of(1)[0]?.ready();
  await settle();
  supervisor.shutdown('SIGTERM');
  assert.deepEqual(events, ['running 1', 'stopping']);
  clock.advance(5000);
  assert.equal(await running, 0);
  assert.deepEqual(events, ['running 1', 'stopping']);
});


// Targeted control: --reload SERVICE... and --signal SIGNAL SERVICE[.N].

test('reload of named services: new instances of those, the others handed over as they are', async () => {
  const { supervisor, of, journal } = await startLive([serviceConfig('web', { count: 2 }), serviceConfig('jobs')]);
  const jobs = of(1).find((i) => i.name === 'jobs.1');
  journal.length = 0;
  const outcome = supervisor.reload(['web']);
  await settle();
  assert.deepEqual(of(2).map((i) => i.name), ['web.1', 'web.2'], 'only web starts anew');
  for (const instance of of(2)) instance.ready();
  assert.equal((await outcome).committed, true);
  assert.deepEqual(journal.filter((e) => e.startsWith('stop')).sort(), ['stop web.1@1', 'stop web.2@1'], 'jobs is not stopped');
  const live = supervisor.status().generations;
  assert.deepEqual(live.map((g) => [g.number, g.state]), [[2, 'live']]);
  assert.deepEqual(live[0]?.instances.map((i) => `${i.service}.${i.instance}@${i.generation}:${i.pid}`), [`web.1@2:${of(2)[0]?.pid}`, `web.2@2:${of(2)[1]?.pid}`, `jobs.1@1:${jobs?.pid}`]);
  assert.equal(supervisor.healthy, true);
});

test('reload of a service that is not declared: refused, naming it and those that are', async () => {
  const { supervisor, of } = await startLive([serviceConfig('web')]);
  const outcome = await supervisor.reload(['web', 'wbe']);
  assert.deepEqual(outcome, { committed: false, cancelled: true, reason: 'no service wbe is declared (services: web)' });
  assert.equal(of(2).length, 0);
});

test('reloads requested during a reload run next as one, for every service any of them named', async () => {
  const { supervisor, of } = await startLive([serviceConfig('a'), serviceConfig('b'), serviceConfig('c')]);
  const first = supervisor.reload(['a']);
  await settle();
  const second = supervisor.reload(['b']);
  const third = supervisor.reload(['c']);
  of(2)[0]?.ready();
  assert.equal((await first).committed, true);
  await settle();
  assert.deepEqual(of(3).map((i) => i.name).sort(), ['b.1', 'c.1']);
  for (const instance of of(3)) instance.ready();
  assert.deepEqual([(await second).committed, (await third).committed], [true, true]);
});

test('signal: to one instance, to every instance of a service, and what named nothing', async () => {
  const { supervisor, of, journal } = await startLive([serviceConfig('web', { count: 3 }), serviceConfig('jobs')]);
  journal.length = 0;
  const one = supervisor.signal('SIGUSR2', ['web.2']);
  assert.deepEqual(one, { delivered: [{ instance: 'web.2', generation: 1, pid: of(1)[1]?.pid }], unknown: [] });
  assert.deepEqual(journal, ['SIGUSR2 web.2@1'], 'exactly that instance');
  journal.length = 0;
  const all = supervisor.signal('SIGHUP', ['web', 'web.7', 'nope']);
  assert.deepEqual(journal, ['SIGHUP web.1@1', 'SIGHUP web.2@1', 'SIGHUP web.3@1']);
  assert.deepEqual(all.unknown, [
    { target: 'web.7', reason: 'no instance web.7 is running (web has COUNT=3)' },
    { target: 'nope', reason: 'no service nope is declared (services: web, jobs)' },
  ]);
});

/**
 * What stays alive of `kinds` once the garbage is collected: v8.queryObjects runs a full
 * collection first, then counts the objects that have each class's prototype.
 */
function liveObjects(kinds: Record<string, abstract new (...args: never[]) => unknown>): Record<string, number> {
  return Object.fromEntries(Object.entries(kinds).map(([name, kind]) => [name, queryObjects(kind, { format: 'count' })]));
}

test('nothing the supervisor keeps grows with the number of reloads, committed or rolled back', async () => {
  const clock = new FakeClock();
  const config: SupervisorConfig = {
    globals: { readyTimeoutMs: 1000, stopTimeoutMs: 500, logLevel: 'silent', logFormat: 'json', output: 'inherit', maxRestarts: 5, reloadParallel: Infinity, shutdownDelayMs: 0 },
    services: [serviceConfig('web', { count: 2 })],
  };
  // The test holds an instance only while it runs: what is still alive afterwards, the supervisor holds.
  const running = new Set<FakeInstance>();
  let nextPid = 100;
  const supervisor = new Supervisor(
    config,
    (service, index, generation, events) => {
      const instance = new FakeInstance(service, index, generation, events, clock, [], nextPid++);
      running.add(instance);
      void instance.done.then(() => running.delete(instance));
      return instance;
    },
    silentLog,
    clock,
  );
  const newest = (): FakeInstance[] => {
    const last = Math.max(...[...running].map((instance) => instance.generation));
    return [...running].filter((instance) => instance.generation === last);
  };
  void supervisor.run();
  await settle();
  for (const instance of newest()) instance.ready();
  await settle();
  /** `count` reloads, every third rolled back by a new instance that crashes (its outcome holds that instance). */
  const reload = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const outcome = supervisor.reload();
      await settle();
      const [first, ...rest] = newest();
      if (i % 3 === 2) first?.exit(3);
      else for (const instance of [first, ...rest]) instance?.ready();
      const result = await outcome;
      assert.equal(result.committed, i % 3 !== 2, JSON.stringify(result));
      await settle();
    }
  };
  const kinds = { Promise, FakeInstance, Generation, Slot };
  await reload(30);
  const before = liveObjects(kinds);
  await reload(300);
  const after = liveObjects(kinds);
  for (const name of Object.keys(kinds)) {
    // One more object for every ten reloads is growth; the same count give or take a few is not.
    assert.ok((after[name] ?? 0) - (before[name] ?? 0) < 30, `live ${name} objects after 30 reloads: ${before[name]}, after 330: ${after[name]}`);
  }
});
