// Single-command mode's reaping loop on fake system calls: every zombie is taken with one
// call, the command's own end (taken before libuv saw it) is handed over, not lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reapAll } from '../../../src/pid1/reaper.ts';
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
