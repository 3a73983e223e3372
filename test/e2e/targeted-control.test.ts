// --reload SERVICE... and --signal SIGNAL SERVICE[.N]: acting on one service, or one
// instance, of the running init. Real processes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { service, supervise, type Supervised } from '../helpers/supervisor.ts';

async function pids(s: Supervised): Promise<Record<string, number | null>> {
  const status = JSON.parse((await s.query('--status', '--json')).stdout) as { generations: Array<{ state: string; instances: Array<{ service: string; instance: number; pid: number | null }> }> };
  const live = status.generations.find((generation) => generation.state === 'live');
  return Object.fromEntries((live?.instances ?? []).map((i) => [`${i.service}.${i.instance}`, i.pid]));
}

describe('targeted control', () => {
  test('--reload web changes every web pid and no jobs pid; --signal SIGUSR2 web.2 reaches exactly that pid; unknown names exit 1', async () => {
    const s = supervise({
      BATON_WEB_COMMAND: service('--ready=json'),
      BATON_WEB_COUNT: '2',
      BATON_WEB_READY: 'notify',
      BATON_JOBS_COMMAND: service('--ready=json'),
      BATON_JOBS_READY: 'notify',
    });
    await s.record(/generation 1 is running/);
    const before = await pids(s);
    const reload = await s.query('--reload', 'web');
    assert.equal(reload.code, 0, reload.stderr);
    const after = await pids(s);
    assert.notEqual(after['web.1'], before['web.1']);
    assert.notEqual(after['web.2'], before['web.2']);
    assert.equal(after['jobs.1'], before['jobs.1'], 'jobs kept its instance');
    assert.match(s.init.stdout, /jobs\.1 gen 1 pid/);
    assert.doesNotMatch(s.init.stdout, /jobs\.1 gen 2/, 'no new jobs instance was started');

    const signal = await s.query('--signal', 'SIGUSR2', 'web.2');
    assert.equal(signal.code, 0, signal.stderr);
    assert.match(signal.stdout, new RegExp(`^sent to web\\.2 \\(generation 2, pid ${after['web.2']}\\)\\n$`));
    await s.init.waitFor(/web\.2 got SIGUSR2/);
    assert.doesNotMatch(s.init.stdout, /(web\.1|jobs\.1) got SIGUSR2/, 'only web.2 got it');

    const unknownReload = await s.query('--reload', 'wbe');
    assert.equal(unknownReload.code, 1);
    assert.match(unknownReload.stderr, /no service wbe is declared \(services: jobs, web\)/);
    const unknownService = await s.query('--signal', 'USR1', 'nope');
    assert.equal(unknownService.code, 1);
    assert.match(unknownService.stderr, /baton: nope: no service nope is declared/);
    const unknownInstance = await s.query('--signal', 'USR1', 'web.5');
    assert.equal(unknownInstance.code, 1);
    assert.match(unknownInstance.stderr, /baton: web\.5: no instance web\.5 is running \(web has COUNT=2\)/);
    assert.doesNotMatch(s.init.stdout, /got SIGUSR1/, 'a request that named nothing running sent nothing');

    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
  });
});
