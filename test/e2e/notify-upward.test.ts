// Readiness reported upward: the init tells whatever runs it (systemd, podman, async-container,
// another baton) that it is ready, reloading, stopping and alive, on the NOTIFY_SOCKET or
// NOTIFY_PIPE of its own environment. The built init, real processes, a real datagram socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FIXTURES, INIT, runInit, WAIT_MS } from '../helpers/init-process.ts';
import { cleanBase, service, supervise } from '../helpers/supervisor.ts';

interface Datagram {
  datagram: string;
  /** The receiver's CLOCK_MONOTONIC, in microseconds, when it received the datagram. */
  monotonicUsec: number;
}

/** A manager's notify socket: the fixture binds it and reports each datagram it receives. */
class Receiver {
  readonly datagrams: Datagram[] = [];
  private output = '';
  private readonly waiters = new Set<() => void>();
  private readonly process: ChildProcess;
  listening = false;

  constructor(address: string) {
    this.process = spawn('python3', [`${FIXTURES}/notify-receive.py`, address], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.output += chunk;
      for (let newline = this.output.indexOf('\n'); newline !== -1; newline = this.output.indexOf('\n')) {
        const line = this.output.slice(0, newline);
        this.output = this.output.slice(newline + 1);
        if (line.startsWith('{')) this.datagrams.push(JSON.parse(line) as Datagram);
        else this.listening = true;
      }
      for (const waiter of this.waiters) waiter();
    });
    receivers.add(this);
  }

  /** Waits, up to a deadline, until `condition` holds of what was received so far. */
  async until(condition: (datagrams: Datagram[]) => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this.datagrams)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`waited ${timeoutMs} ms for ${what}; received: ${JSON.stringify(this.datagrams.map((d) => d.datagram))}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** The datagrams other than keep-alives. */
  get reports(): string[] {
    return this.datagrams.map((d) => d.datagram).filter((d) => d !== 'WATCHDOG=1');
  }

  stop(): void {
    this.process.kill('SIGTERM');
  }
}
const receivers = new Set<Receiver>();
after(() => {
  for (const receiver of receivers) receiver.stop();
});

async function listeningAt(address: string): Promise<Receiver> {
  const receiver = new Receiver(address);
  await receiver.until(() => receiver.listening, `the receiver listening at ${address}`);
  return receiver;
}

function fields(datagram: string): Record<string, string> {
  return Object.fromEntries(datagram.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

describe('readiness reported upward on NOTIFY_SOCKET', () => {
  test('READY=1 with a STATUS once generation 1 runs, RELOADING=1 with MONOTONIC_USEC and READY=1 around a --reload, STOPPING=1 at SIGTERM, in that order, in systemd-notify\'s form', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-upward-'));
    const address = join(dir, 'notify.sock');
    const receiver = await listeningAt(address);
    const s = supervise({
      NOTIFY_SOCKET: address,
      BATON_WEB_COMMAND: service('--ready=json'),
      BATON_WEB_READY: 'notify',
      BATON_WEB_COUNT: '2',
      BATON_JOBS_COMMAND: service('--ready=none'),
    });
    await receiver.until((d) => d.length >= 1, 'READY=1');
    assert.deepEqual(receiver.reports, ['READY=1\nSTATUS=generation 1 running: jobs x1, web x2'], 'one datagram, as `systemd-notify --ready --status=...` sends it');
    await s.record(/^generation 1 is running$/);

    const reload = await s.query('--reload');
    assert.equal(reload.code, 0, reload.stderr);
    await receiver.until((d) => d.length >= 3, 'RELOADING=1 and READY=1');
    const [, reloading, ready] = receiver.reports;
    const reloadingFields = fields(reloading as string);
    assert.deepEqual(Object.keys(reloadingFields), ['RELOADING', 'MONOTONIC_USEC', 'STATUS'], reloading);
    assert.equal(reloadingFields.RELOADING, '1');
    assert.equal(reloadingFields.STATUS, 'reloading: generation 2 starting');
    // CLOCK_MONOTONIC, the clock systemd reads it against: no later than the receiver's own reading on receipt, and after the receiver started.
    const sent = Number(reloadingFields.MONOTONIC_USEC);
    const received = receiver.datagrams.find((d) => d.datagram === reloading) as Datagram;
    assert.ok(sent <= received.monotonicUsec && sent > (receiver.datagrams[0] as Datagram).monotonicUsec - 60_000_000, `MONOTONIC_USEC=${sent}, received at CLOCK_MONOTONIC ${received.monotonicUsec} µs`);
    assert.equal(ready, 'READY=1\nSTATUS=generation 2 running: jobs x1, web x2');

    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    await receiver.until((d) => d.length >= 4, 'STOPPING=1');
    assert.deepEqual(receiver.reports.slice(3), ['STOPPING=1\nSTATUS=stopping']);
    rmSync(dir, { recursive: true, force: true });
  });

  test('an abstract NOTIFY_SOCKET (@name) gets READY=1, and STOPPING=1 when nothing is left to run', async () => {
    const name = `@baton-upward-${process.pid}-${Date.now()}`;
    const receiver = await listeningAt(name);
    const s = supervise({
      NOTIFY_SOCKET: name,
      BATON_ONCE_COMMAND: service('--ready=none --exit-after=300'),
      BATON_ONCE_RESTART: 'never',
    });
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    await receiver.until((d) => d.length >= 2, 'READY=1 and STOPPING=1');
    assert.deepEqual(receiver.reports, ['READY=1\nSTATUS=generation 1 running: once x1', 'STOPPING=1\nSTATUS=stopping']);
  });

  test('with WATCHDOG_USEC=1000000 of its own, the init sends WATCHDOG=1 keep-alives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-upward-'));
    const address = join(dir, 'notify.sock');
    const receiver = await listeningAt(address);
    const s = supervise({ NOTIFY_SOCKET: address, WATCHDOG_USEC: '1000000', BATON_WEB_COMMAND: service('--ready=none --print-watchdog') });
    await receiver.until((d) => d.filter((x) => x.datagram === 'WATCHDOG=1').length >= 2, 'two WATCHDOG=1');
    // The init's watchdog is its own: a service without WATCHDOG= is not told to send keep-alives.
    await s.init.waitFor(/web\.1 WATCHDOG_USEC=undefined WATCHDOG_PID=undefined pid=\d+/);
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a NOTIFY_SOCKET nobody receives on and a NOTIFY_PIPE that is no open descriptor cost one warning each: the services start, reload and stop as usual', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-upward-'));
    const nobody = join(dir, 'nobody.sock');
    const s = supervise({ NOTIFY_SOCKET: nobody, NOTIFY_PIPE: '99', BATON_WEB_COMMAND: service('--ready=json'), BATON_WEB_READY: 'notify' });
    await s.record(/^generation 1 is running$/);
    assert.equal((await s.query('--reload')).code, 0);
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    const warnings = s.records().filter((record) => /cannot report readiness/.test(String(record.msg)));
    assert.deepEqual(
      warnings.map((record) => record.msg),
      [
        'NOTIFY_PIPE=99: cannot report readiness there (Unsupported fd type: UNKNOWN); carrying on without',
        `NOTIFY_SOCKET=${nobody}: cannot report readiness (sendto: No such file or directory); the services run on, and this is said once`,
      ],
      'once each, though READY, RELOADING, READY and STOPPING were each tried',
    );
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('readiness reported upward on NOTIFY_PIPE', () => {
  test('a baton run as a READY=notify service of another baton is ready for it once its own generation 1 runs, and its reloads show as its status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-upward-'));
    const go = join(dir, 'go');
    // The inner baton's own configuration is given on its command line: the outer one keeps its BATON_* variables to itself.
    // Without NOTIFY_SOCKET, the pipe is the inner baton's only way up.
    const inner = JSON.stringify([
      'env',
      '-u',
      'NOTIFY_SOCKET',
      `BATON_CONTROL_SOCKET=${join(dir, 'inner.sock')}`,
      `BATON_APP_COMMAND=${service(`--ready=json --ready-when=${go}`)}`,
      'BATON_APP_READY=notify',
      process.execPath,
      INIT,
    ]);
    const s = supervise({ BATON_INNER_COMMAND: inner, BATON_INNER_READY: 'notify', BATON_INNER_READY_TIMEOUT: '2m' });
    await s.init.waitFor(/app\.1 gen 1 pid \d+ uid \d+ started/);
    assert.equal((await s.query('--health')).code, 1, 'not ready while the inner baton\'s service is not');
    assert.equal(s.records().some((record) => record.service === 'inner' && record.msg === 'ready'), false);
    writeFileSync(go, '');
    await s.record(/^ready$/, { service: 'inner' });
    assert.equal((await s.query('--health')).code, 0);
    await s.record(/^status: generation 1 running: app x1$/, { service: 'inner' });

    const reload = await spawnQuery(['--reload'], join(dir, 'inner.sock'));
    assert.equal(reload, 0);
    await s.record(/^status: reloading: generation 2 starting$/, { service: 'inner' });
    await s.record(/^status: generation 2 running: app x1$/, { service: 'inner' });

    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    await s.record(/^reports it is stopping$/, { service: 'inner' });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('single-command mode', () => {
  test('passes NOTIFY_SOCKET on to the command, as tini does, and sends nothing itself: the command reports its own readiness', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-upward-'));
    const address = join(dir, 'notify.sock');
    const receiver = await listeningAt(address);
    const script = 'import os, socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"READY=1\\nSTATUS=the command itself", os.environ["NOTIFY_SOCKET"])';
    const exit = await runInit(['--', 'python3', '-c', script], { env: { ...cleanBase(), NOTIFY_SOCKET: address, WATCHDOG_USEC: '1000000' }, cleanEnv: true });
    assert.equal(exit.code, 0, exit.stderr);
    // The init has exited: whatever it sent is queued before this last datagram.
    const sentinel = spawn('python3', [`${FIXTURES}/notify-send.py`, address, 'END'], { stdio: 'inherit' });
    assert.equal((await once(sentinel, 'exit'))[0], 0, 'the sentinel sent');
    await receiver.until((d) => d.some((x) => x.datagram === 'END'), 'the sentinel datagram');
    assert.deepEqual(receiver.reports, ['READY=1\nSTATUS=the command itself', 'END']);
    rmSync(dir, { recursive: true, force: true });
  });
});

/** `--reload` (or another query) against the inner baton's control socket. */
async function spawnQuery(args: string[], controlSocket: string): Promise<number | null> {
  const child = spawn(process.execPath, [INIT, ...args], { env: { ...cleanBase(), BATON_CONTROL_SOCKET: controlSocket }, stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
