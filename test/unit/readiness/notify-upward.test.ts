// What the init reports upward, in each channel's form, and how a failing channel is
// reported: once, without reaching the supervisor.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSystemdText } from '../../../src/readiness/messages.ts';
import { NotifyPipeParser } from '../../../src/readiness/notify-pipe.ts';
import { pipeLine, runningStatus, systemdText, UpwardNotifier, type UpwardChannel, type UpwardMessage } from '../../../src/readiness/notify-upward.ts';

const ready: UpwardMessage = { kind: 'ready', status: 'generation 1 running: web x2, jobs x1' };
const reloading: UpwardMessage = { kind: 'reloading', status: 'reloading: generation 2 starting', monotonicUsec: 123456789n };
const stopping: UpwardMessage = { kind: 'stopping', status: 'stopping' };
const keepAlive: UpwardMessage = { kind: 'keep-alive' };

describe('systemdText: sd_notify(3)\'s form, as systemd-notify sends it', () => {
  test('newline-separated assignments, no newline at the end', () => {
    assert.equal(systemdText(ready), 'READY=1\nSTATUS=generation 1 running: web x2, jobs x1');
    assert.equal(systemdText(reloading), 'RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=reloading: generation 2 starting');
    assert.equal(systemdText(stopping), 'STOPPING=1\nSTATUS=stopping');
    assert.equal(systemdText(keepAlive), 'WATCHDOG=1');
  });

  test('a line break in a status cannot start another assignment', () => {
    assert.equal(systemdText({ kind: 'ready', status: 'a\nREADY=0\r\nb' }), 'READY=1\nSTATUS=a READY=0 b');
  });

  test('what baton\'s own notify socket reader makes of it', () => {
    assert.deepEqual(parseSystemdText(systemdText(ready)), { raw: systemdText(ready), ready: true, status: 'generation 1 running: web x2, jobs x1' });
    assert.deepEqual(parseSystemdText(systemdText(reloading)), { raw: systemdText(reloading), reloading: true, status: 'reloading: generation 2 starting' });
    assert.deepEqual(parseSystemdText(systemdText(stopping)), { raw: systemdText(stopping), stopping: true, status: 'stopping' });
    assert.deepEqual(parseSystemdText(systemdText(keepAlive)), { raw: 'WATCHDOG=1', keepAlive: true });
  });
});

describe('pipeLine: async-container\'s form, one JSON object a line', () => {
  test('ready!, reloading! (ready false), stopping! and healthy!', () => {
    assert.equal(pipeLine(ready), '{"ready":true,"status":"generation 1 running: web x2, jobs x1"}\n');
    assert.equal(pipeLine(reloading), '{"reloading":true,"ready":false,"status":"reloading: generation 2 starting"}\n');
    assert.equal(pipeLine(stopping), '{"stopping":true,"status":"stopping"}\n');
    assert.equal(pipeLine(keepAlive), '{"healthy":true}\n');
  });

  test('a status with a line break stays on its line', () => {
    assert.equal(pipeLine({ kind: 'ready', status: 'a\nb' }), '{"ready":true,"status":"a\\nb"}\n');
  });

  test('what a baton above reads from it: ready, then not, then stopping; every line a keep-alive', () => {
    const parser = new NotifyPipeParser();
    const read = parser.push([ready, reloading, stopping, keepAlive].map(pipeLine).join(''));
    assert.deepEqual(
      read.map(({ raw: _raw, ...message }) => message),
      [
        { keepAlive: true, ready: true, status: 'generation 1 running: web x2, jobs x1' },
        { keepAlive: true, ready: false, reloading: true, status: 'reloading: generation 2 starting' },
        { keepAlive: true, stopping: true, status: 'stopping' },
        { keepAlive: true },
      ],
    );
  });
});

test('runningStatus names the generation and each service with its count', () => {
  assert.equal(runningStatus(3, [{ name: 'web', count: 2 }, { name: 'jobs', count: 1 }]), 'generation 3 running: web x2, jobs x1');
});

describe('UpwardNotifier', () => {
  class FakeChannel implements UpwardChannel {
    readonly sent: UpwardMessage[] = [];
    closed = false;
    constructor(
      readonly name: string,
      private readonly answer: () => string | undefined,
    ) {}
    send(message: UpwardMessage): string | undefined {
      this.sent.push(message);
      return this.answer();
    }
    close(): void {
      this.closed = true;
    }
  }

  test('every message goes on every channel', () => {
    const socket = new FakeChannel('NOTIFY_SOCKET=/run/n', () => undefined);
    const pipe = new FakeChannel('NOTIFY_PIPE=3', () => undefined);
    const notifier = new UpwardNotifier([socket, pipe], () => assert.fail('no failure'));
    notifier.send(ready);
    notifier.send(keepAlive);
    assert.deepEqual(socket.sent, [ready, keepAlive]);
    assert.deepEqual(pipe.sent, [ready, keepAlive]);
    notifier.close();
    assert.ok(socket.closed && pipe.closed);
  });

  test('a failing channel is reported once and still tried; one that throws reaches no caller; the other channel is unaffected', () => {
    const failures: string[] = [];
    let reachable = false;
    const socket = new FakeChannel('NOTIFY_SOCKET=/run/n', () => (reachable ? undefined : 'sendto: Connection refused'));
    const pipe = new FakeChannel('NOTIFY_PIPE=3', () => {
      throw new Error('EPIPE');
    });
    const notifier = new UpwardNotifier([socket, pipe], (channel, reason) => failures.push(`${channel}: ${reason}`));
    notifier.send(ready);
    notifier.send(reloading);
    reachable = true;
    notifier.send(ready);
    notifier.send(stopping);
    assert.deepEqual(failures, ['NOTIFY_SOCKET=/run/n: sendto: Connection refused', 'NOTIFY_PIPE=3: EPIPE']);
    assert.equal(socket.sent.length, 4, 'tried every time: the manager may come back');
  });
});
