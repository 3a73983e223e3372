// `--live`, the liveness probe: 0 while the init answers and is not shutting down, whatever
// its services do; `--health`, the readiness probe, goes 1 while one is down.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runInit } from '../helpers/init-process.ts';
import { cleanBase, service, supervise } from '../helpers/supervisor.ts';

describe('--live', () => {
  test('stays 0 through a reload that has a RELOAD=restart service down, while --health is 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-live-'));
    const go = join(dir, 'go');
    writeFileSync(go, '');
    const s = supervise({
      BATON_CRON_COMMAND: service(`--ready=json --ready-when=${go}`),
      BATON_CRON_READY: 'notify',
      BATON_CRON_RELOAD: 'restart',
      BATON_WEB_COMMAND: service('--ready=json'),
      BATON_WEB_READY: 'notify',
    });
    await s.record(/generation 1 is running/);
    assert.equal((await s.query('--live')).code, 0);
    rmSync(go);
    const reload = s.query('--reload');
    await s.init.waitFor(/cron\.1 gen 2 pid \d+ uid \d+ started/);
    const health = await s.query('--health');
    assert.equal(health.code, 1, 'the singleton is down: not ready');
    const live = await s.query('--live');
    assert.equal(live.code, 0, live.stderr);
    assert.equal(live.stdout, 'live\n');
    writeFileSync(go, '');
    assert.equal((await reload).code, 0, 'the reload commits once the new singleton is ready');
    assert.equal((await s.query('--health')).code, 0);
    assert.equal((await s.query('--live')).code, 0);
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    rmSync(dir, { recursive: true, force: true });
  });

  test('is 1 once the init is shutting down, while it still answers', async () => {
    const s = supervise({ BATON_S_COMMAND: service('--ready=json --ignore-term'), BATON_S_READY: 'notify', BATON_S_STOP_TIMEOUT: '60s' });
    await s.record(/generation 1 is running/);
    s.init.signal('SIGTERM');
    await s.init.waitFor(/s\.1 ignores SIGTERM/);
    const live = await s.query('--live');
    assert.equal(live.code, 1, live.stderr);
    assert.equal(live.stdout, 'shutting down\n');
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
  });

  test('is 3 when no init answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-live-'));
    const exit = await runInit(['--live'], { pidNamespace: false, env: { ...cleanBase(), BATON_CONTROL_SOCKET: join(dir, 'none.sock') }, cleanEnv: true });
    assert.equal(exit.code, 3, exit.stderr);
    assert.match(exit.stderr, /none\.sock/);
    rmSync(dir, { recursive: true, force: true });
  });
});
