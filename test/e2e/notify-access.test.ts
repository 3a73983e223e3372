// Who may report for an instance on its NOTIFY_SOCKET, with the built init as PID 1:
// only the instance's own processes (systemd's NotifyAccess), and a service running as
// another user reaches its own socket but cannot even find the others'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NotifyMessage } from '../../src/readiness/messages.ts';
import { NotifySocket } from '../../src/readiness/notify-socket.ts';
import { FIXTURES } from '../helpers/init-process.ts';
import { service, supervise } from '../helpers/supervisor.ts';

const SPOOF = JSON.stringify(['python3', `${FIXTURES}/notify-spoof.py`]);
const isRoot = process.getuid?.() === 0;

test('NotifySocket with a leader: a child in its process group counts, a process outside it is refused by pid', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-notify-access-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'a.sock');
  const refused: Array<number | undefined> = [];
  const messages: NotifyMessage[] = [];
  let changed = (): void => undefined;
  let leaderPid: number | undefined = undefined; // set once the leader is spawned, after the socket is open
  const socket = NotifySocket.open(path, {
    leader: () => leaderPid,
    onRefused: (sender) => {
      refused.push(sender);
      changed();
    },
  });
  t.after(() => socket.close());
  socket.onMessage((message) => {
    messages.push(message);
    changed();
  });
  const until = (done: () => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within 30 s`)), 30_000);
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        resolve();
      };
      changed = check;
      check();
    });

  // The leader has a process group of its own, as an instance has; the sender is its child,
  // and stays until the test ends: a sender that has exited by the time its datagram is read
  // has no process group left to check.
  const leader = spawn('sh', ['-c', `python3 ${FIXTURES}/notify-send.py --stay "$1" STATUS=from-the-group & exec sleep 600`, 'sh', path], { detached: true, stdio: 'ignore' });
  leaderPid = leader.pid;
  t.after(() => process.kill(-(leader.pid ?? 0), 'SIGKILL'));
  await until(() => messages.length === 1, "the message of the leader's child");
  assert.deepEqual(messages, [{ raw: 'STATUS=from-the-group', status: 'from-the-group' }]);

  // An outsider: a child of the test runner, in the test runner's process group.
  const outsider = spawn('python3', [`${FIXTURES}/notify-send.py`, '--stay', path, 'READY=1'], { stdio: 'ignore' });
  t.after(() => outsider.kill('SIGKILL'));
  await until(() => refused.length === 1, 'the refusal of the outsider');
  assert.deepEqual(refused, [outsider.pid]);
  assert.equal(messages.length, 1);
  outsider.kill('SIGTERM');
  await once(outsider, 'close');
});

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
