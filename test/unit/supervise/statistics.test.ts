// Why an instance ended, as the service's figures count it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExitedState } from '../../../src/supervise/instance-lifecycle.ts';
import { exitCause, ServiceStatistics } from '../../../src/supervise/statistics.ts';

const end = (exitCode: number | null, signal: NodeJS.Signals | null = null) => ({ exitCode, signal });
const exited = (extra: Partial<ExitedState>): ExitedState => ({ phase: 'exited', since: 0, stopRequested: false, end: end(0), ...extra });

test('exitCause: by itself, failed start, watchdog, stop', () => {
  assert.equal(exitCause(exited({ readySince: 0, end: end(1) })), 'crashed');
  assert.equal(exitCause(exited({ readySince: 0, end: end(null, 'SIGSEGV') })), 'crashed');
  assert.equal(exitCause(exited({ readySince: 0, end: end(0) })), 'exited');
  assert.equal(exitCause(exited({ end: end(3), failure: { kind: 'exited', end: end(3) } })), 'start-failed');
  assert.equal(exitCause(exited({ stopRequested: true, end: end(0), failure: { kind: 'timeout', afterMs: 5 } })), 'start-failed');
  assert.equal(exitCause(exited({ end: end(null), failure: { kind: 'spawn-error', message: 'ENOENT' } })), 'start-failed');
  assert.equal(exitCause(exited({ readySince: 0, stopRequested: true, end: end(null, 'SIGABRT'), failure: { kind: 'watchdog', silentMs: 1000 } })), 'watchdog');
  assert.equal(exitCause(exited({ readySince: 0, stopRequested: true, end: end(null, 'SIGABRT'), failure: { kind: 'watchdog-trigger' } })), 'watchdog');
  assert.equal(exitCause(exited({ readySince: 0, stopRequested: true, end: end(143) })), 'stopped');
});

test('a snapshot is a copy: later events do not change it', () => {
  const statistics = new ServiceStatistics();
  statistics.spawned();
  statistics.exited('crashed');
  const before = statistics.snapshot;
  statistics.exited('crashed');
  statistics.restarted();
  assert.deepEqual(before, { spawned: 1, ready: 0, restarts: 0, exits: { crashed: 1, exited: 0, 'start-failed': 0, watchdog: 0, stopped: 0, memory: 0 } });
  assert.equal(statistics.snapshot.exits.crashed, 2);
});
