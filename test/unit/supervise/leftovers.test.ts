// The sweep of what services leave behind (signalled -> gone, or killed at the deadline),
// on a fake clock and a fake process table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessInfo } from '../../../src/pid1/process-tree.ts';
import { Leftovers, type ProcessOps } from '../../../src/supervise/leftovers.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';
import { silentLog } from '../../helpers/fake-instance.ts';

/** A process table: pid -> group (and session, 1 unless given), and every signal sent, as `SIGTERM -7` (a group) or `SIGTERM 8`. */
function table(processes: Record<number, number>, sessions: Record<number, number> = {}) {
  const living = new Map<number, number>(Object.entries(processes).map(([pid, pgid]) => [Number(pid), pgid]));
  const sent: string[] = [];
  const ops: ProcessOps = {
    signalGroup(pgid, signal) {
      const any = [...living.values()].includes(pgid);
      if (signal !== 0 && any) sent.push(`${signal} -${pgid}`);
      return any;
    },
    signalProcess(pid, signal) {
      if (signal !== 0 && living.has(pid)) sent.push(`${signal} ${pid}`);
      return living.has(pid);
    },
    descendants: (): ProcessInfo[] => [...living].map(([pid, pgid]) => ({ pid, pgid, sid: sessions[pid] ?? 1, zombie: false })),
  };
  return { ops, sent, die: (pid: number) => living.delete(pid) };
}

test('an empty group is not swept at all', () => {
  const { ops, sent } = table({ 20: 20 });
  const leftovers = new Leftovers(new FakeClock(), ops);
  assert.equal(leftovers.sweepGroup(10, 'SIGTERM', 1000, silentLog), false);
  assert.deepEqual(sent, []);
  assert.equal(leftovers.pending, 0);
});

test('a group that goes on its STOP_SIGNAL is done at the next check, and its timer is cancelled', async () => {
  const clock = new FakeClock();
  const { ops, sent, die } = table({ 11: 10, 12: 10 });
  const leftovers = new Leftovers(clock, ops);
  assert.equal(leftovers.sweepGroup(10, 'SIGINT', 1000, silentLog), true);
  assert.deepEqual(sent, ['SIGINT -10']);
  die(11);
  leftovers.check();
  assert.equal(leftovers.pending, 1, 'one of the group is still there');
  die(12);
  leftovers.check();
  assert.equal(leftovers.pending, 0);
  assert.equal(clock.pending, 0);
  clock.advance(5000);
  assert.deepEqual(sent, ['SIGINT -10'], 'no SIGKILL');
});

test('a group still there at STOP_TIMEOUT gets SIGKILL, and the sweep ends', async () => {
  const clock = new FakeClock();
  const { ops, sent } = table({ 11: 10 });
  const leftovers = new Leftovers(clock, ops);
  leftovers.sweepGroup(10, 'SIGTERM', 1000, silentLog);
  clock.advance(999);
  assert.deepEqual(sent, ['SIGTERM -10']);
  clock.advance(1);
  assert.deepEqual(sent, ['SIGTERM -10', 'SIGKILL -10']);
  assert.equal(leftovers.pending, 0);
});

test('at exit: descendants outside the groups being swept get SIGTERM, SIGKILL at the deadline; sweepAll waits for both', async () => {
  const clock = new FakeClock();
  // 11 is in group 10, being swept; 30 escaped into a session of its own; 31 stays deaf to SIGTERM.
  const { ops, sent, die } = table({ 11: 10, 30: 30, 31: 31 });
  const leftovers = new Leftovers(clock, ops);
  leftovers.sweepGroup(10, 'SIGINT', 5000, silentLog);
  let done = false;
  const all = leftovers.sweepAll(1000, silentLog).then(() => (done = true));
  assert.deepEqual(sent, ['SIGINT -10', 'SIGTERM 30', 'SIGTERM 31'], 'the group keeps its own signal');
  die(30);
  die(11);
  leftovers.check();
  assert.equal(leftovers.pending, 1, '31 is still there');
  clock.advance(1000);
  assert.deepEqual(sent.slice(3), ['SIGKILL 31']);
  await all;
  assert.equal(done, true);
});

test('at exit with nothing left, sweepAll resolves at once', async () => {
  const { ops, sent } = table({});
  await new Leftovers(new FakeClock(), ops).sweepAll(1000, silentLog);
  assert.deepEqual(sent, []);
});

test('a second SIGTERM: killAll kills every set now', () => {
  const clock = new FakeClock();
  const { ops, sent } = table({ 11: 10 });
  const leftovers = new Leftovers(clock, ops);
  leftovers.sweepGroup(10, 'SIGTERM', 60_000, silentLog);
  leftovers.killAll();
  assert.deepEqual(sent, ['SIGTERM -10', 'SIGKILL -10']);
  assert.equal(leftovers.pending, 0);
  assert.equal(clock.pending, 0);
});

test("a session leader's session is swept too: a job-control shell's jobs sit in groups of their own", () => {
  const clock = new FakeClock();
  // The instance was pid 10, leader of session 10; its job 12 has group 12; 40 is unrelated.
  const { ops, sent, die } = table({ 11: 10, 12: 12, 40: 40 }, { 11: 10, 12: 10 });
  const leftovers = new Leftovers(clock, ops);
  leftovers.sweepGroup(10, 'SIGTERM', 1000, silentLog);
  assert.deepEqual(sent, ['SIGTERM -10', 'SIGTERM 12']);
  die(11);
  leftovers.check();
  assert.equal(leftovers.pending, 1, '12 is still there');
  clock.advance(1000);
  assert.deepEqual(sent.slice(2), ['SIGKILL 12']);
});
