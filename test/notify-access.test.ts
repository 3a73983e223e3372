// Who may report for an instance on its NOTIFY_SOCKET, with the built init as PID 1:
// only the instance's own processes (systemd's NotifyAccess), and a service running as
// another user reaches its own socket but cannot even find the others'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIXTURES } from './helpers/init-process.ts';
import { service, supervise } from './helpers/supervisor.ts';

const SPOOF = JSON.stringify(['python3', `${FIXTURES}/notify-spoof.py`]);
const isRoot = process.getuid?.() === 0;

type LogRecord = Record<string, unknown>;
const settled = (records: LogRecord[]): boolean => records.some((r) => /generation 1 is running|start failed/.test(String(r.msg)));

test("with COUNT=2, instance 1 sending READY=1 to instance 2's socket does not make instance 2 ready", async () => {
  const s = supervise({
    BATON_LOG_LEVEL: 'debug',
    BATON_WEB_COMMAND: SPOOF,
    BATON_WEB_COUNT: '2',
    BATON_WEB_READY: 'notify',
    BATON_WEB_READY_TIMEOUT: '8s',
    BATON_WEB_RESTART: 'never',
    SPOOF_EXPECT: '2',
  });
  await s.init.waitUntil(() => settled(s.records()), 'generation 1 to run or fail');
  s.init.signal('SIGTERM');
  const exit = await s.init.exited;
  // Root may list the notify directory: the spoofed datagrams reach the sockets, and the sender is what stops them.
  assert.match(exit.stdout, /spoofed 1/);
  const records = s.records();
  const ready = records.filter((r) => r.msg === 'ready').map((r) => r.instance);
  assert.deepEqual(ready, [1], 'only instance 1 reported ready');
  assert.equal(records.some((r) => /generation 1 is running/.test(String(r.msg))), false, 'the generation went live');
  const instance1 = records.find((r) => r.msg === 'ready' && r.instance === 1)?.pid;
  // Instance 2 spoofs instance 1 just the same: one debug record on each, naming the other as the sender.
  const dropped = records.filter((r) => /dropped a NOTIFY_SOCKET message/.test(String(r.msg)));
  assert.deepEqual(dropped.map((r) => [r.instance, r.level]).sort(), [[1, 20], [2, 20]]);
  assert.equal(dropped.find((r) => r.instance === 2)?.sender, instance1);
  assert.notEqual(dropped.find((r) => r.instance === 1)?.sender, instance1);
  assert.notEqual(exit.code, 0);
});

test('a service with USER reaches its own NOTIFY_SOCKET with systemd-notify', { skip: !isRoot && 'needs root to run a service as another user' }, async () => {
  const s = supervise({ BATON_A_COMMAND: service('--ready=systemd-notify'), BATON_A_READY: 'notify', BATON_A_USER: 'nobody', BATON_A_READY_TIMEOUT: '30s' });
  await s.init.waitUntil(() => settled(s.records()), 'generation 1 to run or fail');
  assert.equal(s.records().some((r) => /generation 1 is running/.test(String(r.msg))), true, s.init.stderr);
  s.init.signal('SIGTERM');
  assert.equal((await s.init.exited).code, 0);
});

test("instances with USER cannot find each other's NOTIFY_SOCKET", { skip: !isRoot && 'needs root to run a service as another user' }, async () => {
  const s = supervise({
    BATON_WEB_COMMAND: SPOOF,
    BATON_WEB_COUNT: '2',
    BATON_WEB_READY: 'notify',
    BATON_WEB_READY_TIMEOUT: '8s',
    BATON_WEB_RESTART: 'never',
    BATON_WEB_USER: 'nobody',
  });
  await s.init.waitUntil(() => settled(s.records()), 'generation 1 to run or fail');
  s.init.signal('SIGTERM');
  const exit = await s.init.exited;
  assert.match(exit.stdout, /cannot list: Permission denied/);
  assert.doesNotMatch(exit.stdout, /spoofed/);
  assert.match(exit.stdout, /cannot guess: No such file or directory/);
  assert.doesNotMatch(exit.stdout, /guessed/);
  assert.deepEqual(
    s.records().filter((r) => r.msg === 'ready').map((r) => r.instance),
    [1],
    'instance 1 reached its own socket, instance 2 was never made ready',
  );
});
