// residentBytesByGroup on real processes: a group's processes are summed, other groups
// are left out, and a group with no process left is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { residentBytesByGroup } from '../../../src/pid1/process-memory.ts';

const MIB = 1024 * 1024;

/**
 * A process group of two processes, each holding `mib` MiB it has written to (so resident);
 * resolves once both have said so.
 */
async function group(mib: number): Promise<ChildProcess> {
  const hold = `const b = Buffer.alloc(${mib} * 1024 * 1024, 1); process.stdout.write('held\\n'); setInterval(() => b[0]++, 1000);`;
  const script = `const { spawn } = require('node:child_process'); const c = spawn(process.execPath, ['-e', ${JSON.stringify(hold)}], { stdio: ['ignore', 'inherit', 'ignore'] }); ${hold}`;
  const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  let seen = '';
  const deadline = setTimeout(() => child.emit('error', new Error('the group did not hold its memory within 60 s')), 60_000);
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      seen += chunk.toString();
      if (seen.split('held').length - 1 >= 2) break;
    }
  } finally {
    clearTimeout(deadline);
  }
  return child;
}

async function end(child: ChildProcess): Promise<void> {
  const gone = once(child, 'exit');
  process.kill(-(child.pid as number), 'SIGKILL');
  await gone;
}

test('the resident memory of every process of a group is summed; other groups are left out; an empty group is missing', async () => {
  const big = await group(40);
  const small = await group(2);
  try {
    const bigId = big.pid as number;
    const smallId = small.pid as number;
    const found = residentBytesByGroup(new Set([bigId, smallId, 999_999_999]));
    const bigBytes = found.get(bigId) ?? 0;
    const smallBytes = found.get(smallId) ?? 0;
    // Two processes each holding 40 MiB: more than one of them could hold alone.
    assert.ok(bigBytes >= 80 * MIB, `group ${bigId}: ${bigBytes} bytes, expected 80 MiB or more`);
    assert.ok(smallBytes >= 4 * MIB && smallBytes < bigBytes - 60 * MIB, `group ${smallId}: ${smallBytes} bytes, apart from ${bigId}'s`);
    assert.equal(found.has(999_999_999), false, 'no such group');
  } finally {
    await end(big);
    await end(small);
  }
});

test('no group asked for: nothing is read', () => {
  assert.equal(residentBytesByGroup(new Set(), '/nonexistent').size, 0);
  assert.equal(residentBytesByGroup(new Set([1]), '/nonexistent').size, 0, 'no /proc: nothing measured');
});
