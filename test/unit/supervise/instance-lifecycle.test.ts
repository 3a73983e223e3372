// The instance state machine, driven by a fake clock.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InstanceLifecycle, type InstanceState, type StartFailure } from '../../../src/supervise/instance-lifecycle.ts';

// Read through a function so that TypeScript does not narrow the phase between events.
const phaseOf = (lifecycle: InstanceLifecycle): string => lifecycle.state.phase;
import { FakeClock } from '../../helpers/fake-clock.ts';

function setup(readyTimeoutMs = 1000, stopTimeoutMs = 500, watchdogMs?: number) {
  const clock = new FakeClock();
  const actions: string[] = [];
  const events: string[] = [];
  const failures: StartFailure[] = [];
  const lifecycle = new InstanceLifecycle({
    readyTimeoutMs,
    stopTimeoutMs,
    ...(watchdogMs === undefined ? {} : { watchdogMs }),
    clock,
    actions: { sendStopSignal: () => actions.push('stop-signal'), killGroup: () => actions.push('kill-group'), abort: () => actions.push('abort') },
    listener: {
      ready: () => events.push('ready'),
      startFailed: (failure) => {
        events.push(`start-failed:${failure.kind}:while-${lifecycle.state.phase}`);
        failures.push(failure);
      },
      exited: (state) => events.push(`exited:${state.readySince !== undefined ? 'was-ready' : 'never-ready'}:${state.stopRequested ? 'stopped' : 'by-itself'}`),
      killedAfterTimeout: () => events.push('killed-after-timeout'),
      watchdogFailed: (failure) => events.push(`watchdog-failed:${failure.kind === 'watchdog' ? `silent ${failure.silentMs} ms` : 'triggered'}`),
    },
  });
  return { clock, actions, events, failures, lifecycle };
}

test('starting -> ready -> stopping -> exited, the happy path', () => {
  const { clock, actions, events, lifecycle } = setup();
  assert.equal(phaseOf(lifecycle), 'starting');
  clock.advance(200);
  lifecycle.ready();
  assert.equal(phaseOf(lifecycle), 'ready');
  clock.advance(5000); // the ready timer was cancelled: nothing fires
  assert.equal(phaseOf(lifecycle), 'ready');
  lifecycle.stop();
  assert.equal(phaseOf(lifecycle), 'stopping');
  assert.deepEqual(actions, ['stop-signal']);
  clock.advance(100);
  lifecycle.exited({ exitCode: 0, signal: null });
  assert.equal(phaseOf(lifecycle), 'exited');
  clock.advance(10_000); // the kill timer was cancelled
  assert.deepEqual(actions, ['stop-signal']);
  assert.deepEqual(events, ['ready', 'exited:was-ready:stopped']);
  assert.equal(clock.pending, 0);
});

test('not ready within the ready timeout: start fails, the instance is stopped, then killed', () => {
  const { clock, actions, events, failures, lifecycle } = setup(1000, 500);
  clock.advance(999);
  assert.equal(phaseOf(lifecycle), 'starting');
  clock.advance(1);
  assert.equal(phaseOf(lifecycle), 'stopping');
  assert.deepEqual(failures, [{ kind: 'timeout', afterMs: 1000 }]);
  assert.deepEqual(actions, ['stop-signal']);
  clock.advance(500);
  assert.deepEqual(actions, ['stop-signal', 'kill-group']);
  lifecycle.exited({ exitCode: null, signal: 'SIGKILL' });
  assert.deepEqual(events, ['start-failed:timeout:while-stopping', 'killed-after-timeout', 'exited:never-ready:stopped']);
  const state: InstanceState = lifecycle.state;
  assert.equal(state.phase === 'exited' && state.failure?.kind, 'timeout');
});

test('exiting before ready is a failed start, reported once', () => {
  const { events, failures, lifecycle } = setup();
  lifecycle.exited({ exitCode: 3, signal: null });
  lifecycle.exited({ exitCode: 3, signal: null });
  assert.deepEqual(failures, [{ kind: 'exited', end: { exitCode: 3, signal: null } }]);
  assert.deepEqual(events, ['start-failed:exited:while-exited', 'exited:never-ready:by-itself'], 'the failed start comes first, and sees the final state');
});

test('a crash after ready is an exit by itself, not a failed start', () => {
  const { clock, events, lifecycle } = setup();
  lifecycle.ready();
  clock.advance(50);
  lifecycle.exited({ exitCode: 1, signal: null });
  assert.deepEqual(events, ['ready', 'exited:was-ready:by-itself']);
  const state = lifecycle.state;
  assert.equal(state.phase === 'exited' && state.readySince, 0, 'the exit keeps when it became ready');
});

test('a polite instance exits before the stop timeout and is never killed', () => {
  const { clock, actions, lifecycle } = setup(1000, 500);
  lifecycle.ready();
  lifecycle.stop();
  clock.advance(499);
  lifecycle.exited({ exitCode: 0, signal: null });
  clock.advance(1000);
  assert.deepEqual(actions, ['stop-signal']);
});

test('kill() during a stop skips the rest of the grace period, once', () => {
  const { clock, actions, lifecycle } = setup(1000, 500);
  lifecycle.ready();
  lifecycle.stop();
  lifecycle.kill();
  lifecycle.kill();
  clock.advance(1000);
  assert.deepEqual(actions, ['stop-signal', 'kill-group']);
});

test('stop() and ready() after exit do nothing', () => {
  const { actions, events, lifecycle } = setup();
  lifecycle.ready();
  lifecycle.exited({ exitCode: 0, signal: null });
  lifecycle.stop();
  lifecycle.ready();
  assert.deepEqual(actions, []);
  assert.deepEqual(events, ['ready', 'exited:was-ready:by-itself']);
});

test('a spawn error is a failed start with no process to wait for', () => {
  const { events, lifecycle, clock } = setup();
  lifecycle.spawnFailed('spawn nope ENOENT');
  assert.equal(phaseOf(lifecycle), 'exited');
  assert.deepEqual(events, ['start-failed:spawn-error:while-exited', 'exited:never-ready:by-itself']);
  assert.equal(clock.pending, 0);
});

describe('the watchdog', () => {
  test('is not armed before ready: the ready timeout covers the start', () => {
    const { clock, actions, events, lifecycle } = setup(10_000, 500, 1000);
    clock.advance(5000);
    lifecycle.keepAlive();
    assert.deepEqual([phaseOf(lifecycle), actions, events], ['starting', [], []]);
  });

  test('keep-alives within each interval keep a ready instance untouched', () => {
    const { clock, actions, lifecycle } = setup(1000, 500, 1000);
    lifecycle.ready();
    for (let i = 0; i < 30; i++) {
      clock.advance(999);
      lifecycle.keepAlive();
    }
    assert.deepEqual([phaseOf(lifecycle), actions], ['ready', []]);
    const state = lifecycle.state;
    assert.equal(state.phase === 'ready' && state.keptAliveAt, 30 * 999);
  });

  test('a missed keep-alive aborts the instance with SIGABRT, then kills its group after the stop timeout', () => {
    const { clock, actions, events, lifecycle } = setup(1000, 500, 1000);
    lifecycle.ready();
    clock.advance(400);
    lifecycle.keepAlive();
    clock.advance(999);
    assert.deepEqual(actions, []);
    clock.advance(1);
    assert.deepEqual(actions, ['abort']);
    assert.deepEqual(events, ['ready', 'watchdog-failed:silent 1000 ms']);
    assert.equal(phaseOf(lifecycle), 'stopping');
    clock.advance(500);
    assert.deepEqual(actions, ['abort', 'kill-group']);
    lifecycle.exited({ exitCode: null, signal: 'SIGKILL' });
    const state = lifecycle.state;
    assert.ok(state.phase === 'exited');
    assert.deepEqual(state.failure, { kind: 'watchdog', silentMs: 1000 });
    assert.equal(state.readySince, 0);
    assert.deepEqual(events.slice(2), ['killed-after-timeout', 'exited:was-ready:stopped']);
  });

  test('WATCHDOG=trigger fails the ready instance at once', () => {
    const { actions, events, lifecycle } = setup(1000, 500, 60_000);
    lifecycle.ready();
    lifecycle.watchdogTriggered();
    assert.deepEqual(actions, ['abort']);
    assert.deepEqual(events, ['ready', 'watchdog-failed:triggered']);
  });

  test('without a watchdog, keep-alives and triggers are ignored', () => {
    const { clock, actions, lifecycle } = setup();
    lifecycle.ready();
    lifecycle.keepAlive();
    lifecycle.watchdogTriggered();
    clock.advance(3_600_000);
    assert.deepEqual([phaseOf(lifecycle), actions], ['ready', []]);
    assert.deepEqual(lifecycle.state, { phase: 'ready', since: 0 });
  });

  test('stopping disarms it', () => {
    const { clock, actions, lifecycle } = setup(1000, 500, 1000);
    lifecycle.ready();
    lifecycle.stop();
    clock.advance(400);
    lifecycle.exited({ exitCode: 0, signal: null });
    clock.advance(10_000);
    assert.deepEqual(actions, ['stop-signal']);
  });
});
