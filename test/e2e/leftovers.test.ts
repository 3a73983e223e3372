// Nothing of a service outlives its instance or the init: real processes, checked while the
// init still runs, or outside any PID namespace (whose teardown would hide what is left).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { service, supervise } from '../helpers/supervisor.ts';

/** Living processes whose command line is exactly `words`, with their parent pid. */
function living(words: string): Array<{ pid: number; ppid: number }> {
  const found: Array<{ pid: number; ppid: number }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') !== words) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') found.push({ pid: Number(entry), ppid: Number(ppid) });
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/**
 * A duration of its own per test, so that no other test's sleeps are counted; under a minute,
 * so that what a broken init leaves behind does not stay for long.
 */
const tag = (): string => `4${Math.floor(Math.random() * 10)}.${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`;

/** `promise`, or a failure naming `what` once a generous deadline has passed (the init may stay up, silent, when it fails). */
async function within<T>(promise: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The init's own exit: not its pipes closing, which a leftover holding them would delay. */
async function initExit(s: ReturnType<typeof supervise>): Promise<number | null> {
  const child = s.init.process;
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

describe('what an instance leaves in its process group', () => {
  test('D7: a shell that exits leaving `sleep &` behind does not pile up one orphan per restart', async () => {
    const sleep = `sleep ${tag()}`;
    const s = supervise({ BATON_D_COMMAND: JSON.stringify(['sh', '-c', `${sleep} & sleep 0.3; exit 0`]), BATON_MAX_RESTARTS: '8' });
    const spawned = (): number => s.records().filter((record) => record.msg === 'spawned').length;
    // Checked while the init runs (PID 1 of its namespace): a namespace torn down at exit would kill them anyway.
    await s.init.waitUntil(() => spawned() >= 4, 'four spawns of d.1');
    await s.init.waitUntil(() => spawned() >= 4 && living(sleep).length <= 1, `at most the current instance's ${sleep} alive after ${spawned()} spawns (found ${living(sleep).length})`);
    // The namespace dies with its PID 1: an init that ended in a crash loop meanwhile would have passed the check above.
    assert.ok(!s.records().some((record) => /within a minute/.test(String(record.msg))), 'no crash loop: the check ran while the init ran');
    const sent = s.records().filter((record) => /processes left in its process group/.test(String(record.msg)));
    assert.ok(sent.length >= 3, 'each exited instance had its group swept');
    assert.equal(sent[0]?.signal, 'SIGTERM');
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('and of its session: a child that moved to a group of its own (as a job-control shell does with its jobs)', async () => {
    const sleep = `sleep ${tag()}`;
    const script = `import os, time\nif os.fork() == 0:\n    os.setpgid(0, 0)\n    os.execvp("sleep", ${JSON.stringify(sleep.split(' '))})\ntime.sleep(0.3)`;
    // A steady service keeps the init running once d has exited: what stops the sleep is the sweep, not the init's exit.
    const s = supervise({ BATON_D_COMMAND: JSON.stringify(['python3', '-c', script]), BATON_D_RESTART: 'never', BATON_D_STOP_TIMEOUT: '30s', BATON_KEEP_COMMAND: service('--ready=json'), BATON_KEEP_READY: 'notify', BATON_LOG_LEVEL: 'debug' });
    await s.record(/exited by itself/, { service: 'd' });
    await within(s.record(/processes left in its process group \d+: sent SIGTERM/, { service: 'd' }), 'sweep of d.1');
    await within(s.record(/processes left in its process group \d+ are gone/, { service: 'd' }), 'end of the sweep of d.1');
    assert.deepEqual(living(sleep), [], `${sleep} gone while the init runs`);
    assert.ok(!s.records().some((record) => /every instance has exited|exiting/.test(String(record.msg))), 'the init was still running');
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
  });

  test('a leftover that ignores STOP_SIGNAL is killed with its group after STOP_TIMEOUT (subreaper mode)', async () => {
    const sleep = `sleep ${tag()}`;
    const s = supervise(
      {
        BATON_D_COMMAND: JSON.stringify(['sh', '-c', `(trap '' INT; exec ${sleep}) & sleep 0.2; exit 0`]),
        BATON_D_RESTART: 'never',
        BATON_D_STOP_SIGNAL: 'INT',
        BATON_D_STOP_TIMEOUT: '1s',
      },
      { pidNamespace: false },
    );
    const killed = await s.record(/still running 1000 ms after SIGINT: killed the group/);
    assert.equal(killed.service, 'd');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.deepEqual(living(sleep), [], 'the leftover is gone once the init has exited');
  });
});

describe('at exit, in subreaper mode (not PID 1)', () => {
  test('nothing of a service outlives the init: its group, and a process that escaped into its own session', async () => {
    const [inGroup, escaped] = [`sleep ${tag()}`, `sleep ${tag()}`];
    const s = supervise({ BATON_D_COMMAND: JSON.stringify(['sh', '-c', `${inGroup} & setsid ${escaped} & wait`]) }, { pidNamespace: false });
    await s.init.waitUntil(() => living(inGroup).length === 1 && living(escaped).length === 1, 'both sleeps running');
    s.init.signal('SIGTERM');
    assert.equal(await initExit(s), 0, s.init.stderr);
    assert.deepEqual(living(inGroup), [], `${inGroup} (in the instance's group) outlived the init`);
    assert.deepEqual(living(escaped), [], `${escaped} (in a session of its own) outlived the init`);
    assert.ok(s.records().some((record) => /left at exit outside any instance's group: sent SIGTERM/.test(String(record.msg))), s.init.stderr);
  });

  test('a crash loop, too, leaves nothing behind', async () => {
    const sleep = `sleep ${tag()}`;
    const s = supervise({ BATON_D_COMMAND: JSON.stringify(['sh', '-c', `setsid ${sleep} & exit 3`]), BATON_MAX_RESTARTS: '2' }, { pidNamespace: false });
    assert.equal(await initExit(s), 75, s.init.stderr);
    assert.deepEqual(living(sleep), [], `${sleep} outlived the init`);
  });
});
