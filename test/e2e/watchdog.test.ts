// BATON_<NAME>_WATCHDOG: a ready instance that stops sending keep-alives is aborted and
// restarted; one that sends them in time is left alone. The built init, real processes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { service, supervise } from '../helpers/supervisor.ts';

describe('the watchdog', () => {
  test('an instance that reports ready and then spins is aborted, logged as a watchdog failure and restarted; --health is 1 until its replacement is ready', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-watchdog-'));
    const spun = join(dir, 'spun');
    const go = join(dir, 'go');
    const s = supervise({
      BATON_W_COMMAND: service(`--ready=json --keep-alive=200 --spin-if-missing=${spun} --ready-when=${go}`),
      BATON_W_READY: 'notify',
      BATON_W_WATCHDOG: '1s',
      BATON_W_STOP_TIMEOUT: '2s',
    });
    await s.init.waitFor(/w\.1 spinning/);
    const failure = await s.record(/^watchdog failure: no keep-alive for \d+ ms \(WATCHDOG=1000 ms\); aborting it with SIGABRT$/);
    assert.ok(Number(failure.silentMs) >= 1000, JSON.stringify(failure));
    const exited = await s.record(/^exited/, { signal: 'SIGABRT' });
    assert.equal(exited.pid, failure.pid, 'the spinning instance itself ended, by SIGABRT');
    await s.record(/^restarting in/);
    assert.equal((await s.query('--health')).code, 1, '--health is 1 while it is down');
    writeFileSync(go, '');
    await s.init.waitUntil(() => s.records().filter((record) => record.msg === 'ready').length === 2, 'the replacement ready');
    assert.equal((await s.query('--health')).code, 0, 'and 0 again once its replacement is ready');
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    rmSync(dir, { recursive: true, force: true });
  });

  test('instances that send keep-alives every second under WATCHDOG=3s, as WATCHDOG=1 or as async-container\'s {"healthy":true}, run 30 s untouched, with WATCHDOG_USEC and their own WATCHDOG_PID', async () => {
    const s = supervise({
      BATON_TEXT_COMMAND: service('--ready=text --keep-alive=1000 --print-watchdog'),
      BATON_TEXT_READY: 'notify',
      BATON_TEXT_WATCHDOG: '3s',
      BATON_JSON_COMMAND: service('--ready=json --keep-alive=1000 --keep-alive-as=json --print-watchdog'),
      BATON_JSON_READY: 'notify',
      BATON_JSON_WATCHDOG: '3s',
    });
    for (const name of ['text', 'json']) {
      const [, usec, watchdogPid, pid] = await s.init.waitFor(new RegExp(`${name}\\.1 WATCHDOG_USEC=(\\S+) WATCHDOG_PID=(\\S+) pid=(\\d+)`));
      assert.equal(usec, '3000000');
      assert.equal(watchdogPid, pid, 'WATCHDOG_PID is the instance\'s own pid, as sd_watchdog_enabled() checks');
    }
    // 30 keep-alives each, about 30 s.
    await s.init.waitFor(/text\.1 keep-alive 30\n/, 'stdout', 90_000);
    await s.init.waitFor(/json\.1 keep-alive 30\n/, 'stdout', 90_000);
    assert.deepEqual(s.records().filter((record) => /watchdog|restarting|exited/.test(String(record.msg))), []);
    assert.equal(s.records().filter((record) => record.msg === 'spawned').length, 2, 'never restarted');
    assert.equal((await s.query('--health')).code, 0);
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
  });

  test('WATCHDOG=trigger fails the instance at once: aborted, and under RESTART=never the init exits 1', async () => {
    const s = supervise({
      BATON_T_COMMAND: service('--ready=json --trigger-watchdog'),
      BATON_T_READY: 'notify',
      BATON_T_WATCHDOG: '1h',
      BATON_T_RESTART: 'never',
    });
    const exit = await s.init.exited;
    assert.equal(exit.code, 1, exit.stderr);
    const failure = s.records().find((record) => /^watchdog failure/.test(String(record.msg)));
    assert.equal(failure?.msg, 'watchdog failure: it sent WATCHDOG=trigger; aborting it with SIGABRT');
    assert.ok(s.records().some((record) => /^exited/.test(String(record.msg)) && record.signal === 'SIGABRT'));
  });

  test('--status --json counts what happened to each service: spawns, readies, exits and restarts by cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-figures-'));
    const s = supervise({
      BATON_A_COMMAND: service(`--ready=json --crash-on-usr2=${join(dir, 'a')}`),
      BATON_A_READY: 'notify',
      BATON_B_COMMAND: service(`--ready=json --trigger-watchdog-once=${join(dir, 'b')}`),
      BATON_B_READY: 'notify',
      BATON_B_WATCHDOG: '1h',
    });
    const readies = (service: string): number => s.records().filter((record) => record.msg === 'ready' && record.service === service).length;
    await s.init.waitUntil(() => readies('b') === 2, 'b ready again after its watchdog failure');
    await s.record(/generation 1 is running/);
    s.init.signal('SIGUSR2');
    await s.init.waitUntil(() => readies('a') === 2, 'a ready again after its crash');
    const status = await s.query('--status', '--json');
    assert.equal(status.code, 0, status.stderr);
    const snapshot = JSON.parse(status.stdout) as { services: Record<string, unknown>; generations: Array<{ instances: Array<{ service: string; restarts: number; restartsBy: Record<string, number> }> }> };
    const none = { crashed: 0, exited: 0, 'start-failed': 0, watchdog: 0, stopped: 0, memory: 0 };
    assert.deepEqual(snapshot.services, {
      a: { spawned: 2, ready: 2, restarts: 1, exits: { ...none, crashed: 1 } },
      b: { spawned: 2, ready: 2, restarts: 1, exits: { ...none, watchdog: 1 } },
    });
    assert.deepEqual(snapshot.generations[0]?.instances.map((i) => [i.service, i.restarts, i.restartsBy]), [
      ['a', 1, { crashed: 1 }],
      ['b', 1, { watchdog: 1 }],
    ]);
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    rmSync(dir, { recursive: true, force: true });
  });
});
