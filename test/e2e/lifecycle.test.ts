// Oneshots, start order, essential services and the shutdown delay, with real processes.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, runInit } from '../helpers/init-process.ts';
import { freePort, get } from '../helpers/net.ts';
import { cleanBase, service, supervise } from '../helpers/supervisor.ts';

const DIR = mkdtempSync(join(tmpdir(), 'baton-lifecycle-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
let files = 0;
const file = (name: string): string => join(DIR, `${name}-${++files}`);
const sh = (script: string): string => JSON.stringify(['sh', '-c', script]);
const lines = (path: string): string[] => readFileSync(path, 'utf8').trim().split('\n');

describe('TYPE=oneshot and AFTER', () => {
  test('a migrate oneshot runs to completion strictly before web (AFTER=migrate) is spawned', async () => {
    const events = file('events');
    const s = supervise({
      BATON_MIGRATE_COMMAND: sh(`echo migrate-start >> ${events}; sleep 0.5; echo migrate-end >> ${events}`),
      BATON_MIGRATE_TYPE: 'oneshot',
      BATON_WEB_COMMAND: sh(`echo web-start >> ${events}; exec sleep 600`),
      BATON_WEB_AFTER: 'migrate',
    });
    await s.record(/generation 1 is running/);
    // web (no READY) is ready once spawned: its shell may not have written its line yet.
    await s.init.waitUntil(() => lines(events).length === 3, 'web to write web-start');
    assert.deepEqual(lines(events), ['migrate-start', 'migrate-end', 'web-start'], 'the children\'s own order');
    const order = s.records().filter((r) => ['spawned', 'completed (code 0)'].includes(String(r.msg)) || /^exited/.test(String(r.msg))).map((r) => `${String(r.msg).split(' ')[0]} ${String(r.service)}`);
    assert.deepEqual(order.slice(0, 3), ['spawned migrate', 'completed migrate', 'spawned web']);
    assert.equal((await s.query('--health')).code, 0, 'a completed oneshot counts as ready');
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('a migrate that exits 3: web is never spawned and the init exits 3', async () => {
    const s = supervise({
      BATON_MIGRATE_COMMAND: sh('echo "migration 7 failed: no such column" >&2; exit 3'),
      BATON_MIGRATE_TYPE: 'oneshot',
      BATON_WEB_COMMAND: sh('exec sleep 600'),
      BATON_WEB_AFTER: 'migrate',
    });
    const exit = await s.init.exited;
    assert.equal(exit.code, 3, exit.stderr);
    assert.match(exit.stderr, /migration 7 failed: no such column/, 'what the migration said is in the log');
    assert.ok(!s.records().some((r) => r.msg === 'spawned' && r.service === 'web'), 'web never spawned');
    assert.ok(s.records().some((r) => /^start failed: migrate\.1 exited before it was ready \(code 3\); stopping everything, exiting 3$/.test(String(r.msg))));
  });

  test('a reload runs migrate again before the new web; a failing migrate rolls back and the old web is untouched', async () => {
    const events = file('events');
    const fail = file('fail');
    const s = supervise({
      BATON_MIGRATE_COMMAND: sh(`echo "migrate gen $BATON_GENERATION" >> ${events}; if [ -e ${fail} ]; then exit 4; fi`),
      BATON_MIGRATE_TYPE: 'oneshot',
      BATON_WEB_COMMAND: sh(`echo "web gen $BATON_GENERATION" >> ${events}; exec sleep 600`),
      BATON_WEB_AFTER: 'migrate',
    });
    await s.record(/generation 1 is running/);
    const reload = await s.query('--reload');
    assert.equal(reload.code, 0, reload.stderr);
    assert.deepEqual(lines(events), ['migrate gen 1', 'web gen 1', 'migrate gen 2', 'web gen 2']);
    const web2 = s.records().find((r) => r.msg === 'spawned' && r.service === 'web' && r.generation === 2)?.pid;
    writeFileSync(fail, '');
    const failed = await s.query('--reload');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /reload rolled back: generation 3: migrate\.1 exited before it was ready \(code 4\)/);
    assert.deepEqual(lines(events).slice(4), ['migrate gen 3'], 'no new web');
    const status = JSON.parse((await s.query('--status', '--json')).stdout) as { generations: Array<{ number: number; state: string; instances: Array<{ service: string; pid: number | null }> }> };
    assert.deepEqual(status.generations.map((g) => [g.number, g.state]), [[2, 'live']]);
    assert.equal(status.generations[0]?.instances.find((i) => i.service === 'web')?.pid, web2, 'the live web kept running');
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('a cycle in AFTER is a configuration error naming it: exit 2, nothing spawned', async () => {
    const exit = await runInit([], {
      pidNamespace: false,
      cleanEnv: true,
      env: { ...cleanBase(), BATON_A_COMMAND: sh('sleep 1'), BATON_A_AFTER: 'b', BATON_B_COMMAND: sh('sleep 1'), BATON_B_AFTER: 'a' },
    });
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(exit.stderr, /BATON_A_AFTER: a cycle: a -> b -> a/);
    assert.doesNotMatch(exit.stderr, /spawned/);
  });
});

describe('ESSENTIAL', () => {
  test('an essential service that exits 7 stops the others gracefully, and the init exits 7', async () => {
    const s = supervise({
      BATON_MAIN_COMMAND: service('--ready=json --exit-after=300 --code=7'),
      BATON_MAIN_READY: 'notify',
      BATON_MAIN_ESSENTIAL: 'true',
      BATON_MAIN_RESTART: 'never',
      // main's end must come after the launch: an exit while the sidecar still starts would fail the start (exit 1)
      BATON_MAIN_AFTER: 'sidecar',
      BATON_SIDECAR_COMMAND: service('--ready=json'),
      BATON_SIDECAR_READY: 'notify',
    });
    const exit = await s.init.exited;
    assert.equal(exit.code, 7, exit.stderr);
    assert.ok(s.records().some((r) => /^main\.1 is essential and has ended/.test(String(r.msg))));
    assert.ok(s.records().some((r) => r.service === 'sidecar' && /^stopping with SIGTERM/.test(String(r.msg))), 'the sidecar was asked to stop');
    assert.match(exit.stdout, /sidecar\.1 stopping/, 'and stopped by itself');
    assert.ok(!s.records().some((r) => /killed its process group/.test(String(r.msg))));
  });

  test('killed by SIGSEGV, it gives 139', async () => {
    const s = supervise({ BATON_MAIN_COMMAND: sh('sleep 0.2; kill -SEGV $$'), BATON_MAIN_ESSENTIAL: 'true', BATON_MAIN_RESTART: 'never', BATON_SIDECAR_COMMAND: sh('exec sleep 600') });
    const exit = await s.init.exited;
    assert.equal(exit.code, 139, exit.stderr);
  });
});


describe('BATON_SHUTDOWN_DELAY', () => {
  test('SHUTDOWN_DELAY=3s: --health is 1 at once, a LISTEN service answers every request for the delay, then everything stops', async () => {
    const port = await freePort();
    const s = supervise({
      BATON_WEB_COMMAND: JSON.stringify([process.execPath, `${ROOT}examples/web.mjs`]),
      BATON_WEB_COUNT: '2',
      BATON_WEB_READY: 'notify',
      BATON_WEB_LISTEN: `127.0.0.1:${port}`,
      BATON_SHUTDOWN_DELAY: '3s',
    });
    await s.record(/generation 1 is running/);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    let ok = 0;
    const failures: Array<{ sentAt: number; message: string }> = [];
    let stopped = false;
    // Requests until the instances are asked to stop, four at a time, 20,000 each at most.
    const client = async (): Promise<void> => {
      for (let sent = 0; !stopped && sent < 20_000; sent++) {
        const sentAt = Date.now();
        await get(port, agent).then(() => ok++, (error: Error) => failures.push({ sentAt, message: error.message }));
      }
    };
    const clients = Promise.all([client(), client(), client(), client()]);
    await s.init.waitUntil(() => ok >= 20, 'requests answered before SIGTERM');
    s.init.signal('SIGTERM');
    await s.record(/^SIGTERM: --health is 1 from now on; every instance keeps running 3000 ms/);
    const answeredAtSigterm = ok;
    const health = await s.query('--health');
    assert.equal(health.code, 1, 'not healthy while draining');
    const over = await s.record(/^shutdown delay over: stopping every instance$/);
    const answeredAtStop = ok;
    stopped = true;
    await clients;
    agent.destroy();
    // What was sent once the instances were told to stop may fail: the delay is over.
    const stopSentAt = Number(over.time);
    assert.deepEqual(failures.filter((failure) => failure.sentAt < stopSentAt), [], `${ok} requests answered`);
    assert.ok(answeredAtStop > answeredAtSigterm, `requests were answered during the delay (${answeredAtSigterm} before, ${answeredAtStop} by its end)`);
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
  });
});
