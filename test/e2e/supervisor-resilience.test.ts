// Supervisor mode stays up: no signal kills it, and one event that takes several instances
// at once is not a crash loop. The built init outside a PID namespace, real processes.
import { once } from 'node:events';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { service, supervise } from '../helpers/supervisor.ts';

describe('signals supervisor mode has no use for', () => {
  // Their default action would end (or, for SIGTSTP, stop) an init that is not PID 1.
  const unused: NodeJS.Signals[] = ['SIGALRM', 'SIGPWR', 'SIGIO', 'SIGVTALRM', 'SIGXCPU', 'SIGXFSZ', 'SIGSTKFLT', 'SIGPROF', 'SIGPIPE', 'SIGTSTP', 'SIGCONT', 'SIGURG'];
  test(`${unused.join(', ')} are ignored outside PID 1; the services keep running`, async () => {
    const s = supervise({ BATON_A_COMMAND: service('--ready=json'), BATON_A_READY: 'notify', BATON_LOG_LEVEL: 'debug' }, { pidNamespace: false });
    await s.record(/generation 1 is running/);
    // The init's own death, not its pipes closing: the instance it leaves behind holds them open.
    const died = once(s.init.process, 'exit').then(([code, signal]) => {
      throw new Error(`the init died (code ${String(code)}, signal ${String(signal)})`);
    });
    for (const signal of unused) {
      s.init.signal(signal);
      await Promise.race([s.record(new RegExp(`^${signal} ignored`), { signal }), died]);
    }
    assert.equal((await s.query('--health')).code, 0, 'still supervising, instance ready');
    assert.equal(s.records().filter((record) => record.msg === 'spawned').length, 1, 'the instance was not disturbed');
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(exit.signal, null);
  });
});

describe('the crash-loop budget is per instance', () => {
  test('one event that kills 6 of 8 instances is 6 restarts, not a crash loop, under MAX_RESTARTS=5', async () => {
    const s = supervise({ BATON_W_COMMAND: service('--ready=json'), BATON_W_READY: 'notify', BATON_W_COUNT: '8', BATON_MAX_RESTARTS: '5' }, { pidNamespace: false });
    await s.record(/generation 1 is running/);
    const pids = s.records().filter((record) => record.msg === 'spawned').map((record) => Number(record.pid));
    assert.equal(pids.length, 8);
    for (const pid of pids.slice(0, 6)) process.kill(pid, 'SIGKILL');
    await s.init.waitUntil(() => s.records().filter((record) => /^restarting in/.test(String(record.msg))).length === 6, 'six restarts');
    await s.init.waitUntil(() => s.records().filter((record) => record.msg === 'ready').length === 14, 'the six restarted instances ready again');
    assert.ok(!s.records().some((record) => /within a minute/.test(String(record.msg))), 'no crash loop');
    assert.equal((await s.query('--health')).code, 0);
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
  });

  test('one instance that keeps crashing is still a crash loop beside steady ones', async () => {
    const s = supervise(
      {
        BATON_W_COMMAND: JSON.stringify(['sh', '-c', 'if [ "$BATON_INSTANCE" = 2 ]; then exit 3; fi; exec sleep 60']),
        BATON_W_COUNT: '3',
        BATON_MAX_RESTARTS: '2',
      },
      { pidNamespace: false },
    );
    const exit = await s.init.exited;
    assert.equal(exit.code, 75, exit.stderr);
    const fatal = s.records().find((record) => /within a minute/.test(String(record.msg)));
    assert.match(String(fatal?.msg), /^w\.2 restarted more than 2 times within a minute/);
    assert.equal(fatal?.instance, 2);
  });
});
