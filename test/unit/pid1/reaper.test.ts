// Single-command mode's reaping loop on fake system calls: every zombie is taken with one
// call, the command's own end (taken before libuv saw it) is handed over, not lost; and
// when a SIGCHLD runs a pass: at once when koffi is loaded, on the next turn before.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { reapAll, reapOnSigchld } from '../../../src/pid1/reaper.ts';
import type { ReapedEnd } from '../../../src/pid1/syscalls.ts';

type Syscalls = Parameters<typeof reapAll>[0];

function fakeSyscalls(zombies: Array<[pid: number, end: ReapedEnd]>): { sys: Syscalls; calls: () => number } {
  let calls = 0;
  const queue = [...zombies];
  let last: ReapedEnd | undefined;
  // Only these two are used by reapAll; the rest of the module is not needed here.
  const sys = {
    reapAnyZombie: () => {
      calls++;
      const next = queue.shift();
      last = next?.[1];
      return next?.[0] ?? 0;
    },
    lastReapedEnd: () => {
      assert.ok(last, 'asked how a child ended when none was reaped');
      return last;
    },
  } as unknown as Syscalls;
  return { sys, calls: () => calls };
}

test('reapAll takes every zombie, returns the orphans and hands over the command\'s end', () => {
  const { sys, calls } = fakeSyscalls([
    [40, { exitCode: 0, signal: null }],
    [7, { exitCode: null, signal: 15 }],
    [41, { exitCode: 3, signal: null }],
  ]);
  const commandEnds: ReapedEnd[] = [];
  const orphans = reapAll(sys, 7, (end) => commandEnds.push(end));
  assert.deepEqual(orphans, [40, 41]);
  assert.deepEqual(commandEnds, [{ exitCode: null, signal: 15 }]);
  assert.equal(calls(), 4, 'one call per zombie, and one that finds none');
});

test('reapAll with no zombie makes one call and reports nothing', () => {
  const { sys, calls } = fakeSyscalls([]);
  let handed = false;
  assert.deepEqual(reapAll(sys, 7, () => (handed = true)), []);
  assert.equal(handed, false);
  assert.equal(calls(), 1);
});

describe('reapOnSigchld', () => {
  const sys = {} as Syscalls;
  afterEach(() => process.removeAllListeners('SIGCHLD'));

  function counting(): { reap: (given: Syscalls) => number[]; passes: () => number; reported: number[][] } {
    let passes = 0;
    const reported: number[][] = [];
    return {
      reap: (given) => {
        assert.equal(given, sys, 'the pass was given other system calls than load() gave');
        passes++;
        return [passes];
      },
      passes: () => passes,
      reported,
    };
  }

  test('once the system calls are loaded, every SIGCHLD reaps inside the listener, before it returns', () => {
    const { reap, passes, reported } = counting();
    reapOnSigchld(async () => sys, reap, (pids) => reported.push(pids), () => false, () => sys);
    process.emit('SIGCHLD', 'SIGCHLD');
    assert.equal(passes(), 1, 'no pass ran inside the SIGCHLD listener');
    process.emit('SIGCHLD', 'SIGCHLD');
    assert.equal(passes(), 2);
    assert.deepEqual(reported, [[1], [2]], 'each pass reports what it reaped');
  });

  test('not loaded yet: a burst of SIGCHLDs loads them and is one pass, on the next turn', async () => {
    const { reap, passes } = counting();
    let loads = 0;
    reapOnSigchld(
      async () => {
        loads++;
        return sys;
      },
      reap,
      () => {},
      () => false,
      () => undefined,
    );
    for (let i = 0; i < 3; i++) process.emit('SIGCHLD', 'SIGCHLD');
    assert.equal(passes(), 0, 'a pass ran before the system calls were loaded');
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.resolve();
    assert.equal(passes(), 1, 'three SIGCHLDs in one turn should make one pass');
    assert.equal(loads, 1);
  });

  test('skip() stands the pass down, and the returned function reaps at once only when loaded', () => {
    const { reap, passes } = counting();
    let skipping = true;
    let loaded: Syscalls | undefined;
    const reapNow = reapOnSigchld(async () => sys, reap, () => {}, () => skipping, () => loaded);
    loaded = sys;
    process.emit('SIGCHLD', 'SIGCHLD');
    reapNow();
    assert.equal(passes(), 0, 'a pass ran while skip() said to stand down');
    skipping = false;
    loaded = undefined;
    reapNow();
    assert.equal(passes(), 0, 'reapNow ran a pass without the system calls');
    loaded = sys;
    reapNow();
    assert.equal(passes(), 1, 'reapNow did not run a pass once loaded');
  });
});
