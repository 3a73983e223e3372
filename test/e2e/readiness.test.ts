// Readiness channels against real peers: NotifySocket with Debian's systemd-notify and
// python3 as clients, and the TCP and HTTP probes against servers on 127.0.0.1.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NotifyMessage } from '../../src/readiness/messages.ts';
import { NotifySocket } from '../../src/readiness/notify-socket.ts';
import { waitForHttp, waitForTcp } from '../../src/readiness/probes.ts';
import { FIXTURES, ROOT, WAIT_MS } from '../helpers/init-process.ts';

const SEND = `${FIXTURES}/notify-send.py`;
const LOCALHOST = '127.0.0.1';
const isRoot = process.getuid?.() === 0;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; `signal` (the test's) kills it if the test is cancelled, and so does its deadline. */
async function run(file: string, args: string[], options: SpawnOptions = {}): Promise<Exit> {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: WAIT_MS, killSignal: 'SIGKILL', ...options });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.on('error', (error) => (stderr += String(error)));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Sends each [path, message] as one datagram, in order, from python3. */
async function send(pairs: Array<[string, string]>, options: SpawnOptions = {}): Promise<Exit> {
  // Another user may not reach a python3 installed under /root (pyenv): the system one then.
  const python = options.uid !== undefined && existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  return run(python, [SEND, ...pairs.flat()], options);
}

/** Collects a socket's messages; `count(n)` resolves once n have arrived, and fails at its deadline. */
function collect(socket: NotifySocket): { messages: NotifyMessage[]; count(n: number, timeoutMs?: number): Promise<NotifyMessage[]> } {
  const messages: NotifyMessage[] = [];
  const waiters: Array<{ n: number; resolve: (m: NotifyMessage[]) => void }> = [];
  socket.onMessage((message) => {
    messages.push(message);
    for (const waiter of waiters.filter((w) => messages.length >= w.n)) waiter.resolve(messages);
  });
  const count = async (n: number, timeoutMs = WAIT_MS): Promise<NotifyMessage[]> => {
    if (messages.length >= n) return messages;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        new Promise<NotifyMessage[]>((resolve) => waiters.push({ n, resolve })),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms for ${n} messages on ${socket.path}; got ${JSON.stringify(messages)}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  return { messages, count };
}

describe('NotifySocket', () => {
  let dir = '';
  let serial = 0;
  const fresh = (): string => join(dir, `${++serial}.sock`);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-notify-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("Debian's systemd-notify --ready --status is understood", async (t) => {
    const socket = NotifySocket.open(fresh());
    t.after(() => socket.close());
    const { messages } = collect(socket);
    const exit = await run('systemd-notify', ['--ready', '--status=Serving on :8080'], {
      env: { ...process.env, NOTIFY_SOCKET: socket.path },
      signal: t.signal,
    });
    // systemd-notify waits (BARRIER=1) until the receiver has read its message, so all is here once it exits.
    assert.equal(exit.code, 0, exit.stderr);
    const ready = messages.find((m) => m.ready);
    assert.ok(ready, JSON.stringify(messages));
    assert.equal(ready.status, 'Serving on :8080');
    assert.equal(ready.error, undefined);
  });

  test('several datagrams from python3 arrive whole and in order', async (t) => {
    const socket = NotifySocket.open(fresh());
    t.after(() => socket.close());
    const { count } = collect(socket);
    const sent = ['STATUS=loading', 'STATUS=warming caches\nMAINPID=1', 'READY=1\nSTATUS=Serving', 'RELOADING=1', 'STOPPING=1'];
    const exit = await send(
      sent.map((message) => [socket.path, message]),
      { signal: t.signal },
    );
    assert.equal(exit.code, 0, exit.stderr);
    assert.deepEqual(await count(sent.length), [
      { raw: 'STATUS=loading', status: 'loading' },
      { raw: 'STATUS=warming caches\nMAINPID=1', status: 'warming caches' },
      { raw: 'READY=1\nSTATUS=Serving', ready: true, status: 'Serving' },
      { raw: 'RELOADING=1', reloading: true },
      { raw: 'STOPPING=1', stopping: true },
    ]);
  });

  test('50 sockets at once, one message each: every one is delivered to its own socket', async (t) => {
    const sockets = Array.from({ length: 50 }, () => NotifySocket.open(fresh()));
    t.after(() => sockets.forEach((socket) => socket.close()));
    const collected = sockets.map(collect);
    const exit = await send(
      sockets.map((socket, i) => [socket.path, `READY=1\nSTATUS=instance ${i}`]),
      { signal: t.signal },
    );
    assert.equal(exit.code, 0, exit.stderr);
    const received = await Promise.all(collected.map((c) => c.count(1)));
    received.forEach((messages, i) => {
      assert.deepEqual(messages, [{ raw: `READY=1\nSTATUS=instance ${i}`, ready: true, status: `instance ${i}` }]);
    });
  });

  test('a socket opened while the others wait is polled too', async (t) => {
    const first = NotifySocket.open(fresh());
    t.after(() => first.close());
    const firstMessages = collect(first);
    await send([[first.path, 'STATUS=one']], { signal: t.signal });
    await firstMessages.count(1);
    const second = NotifySocket.open(fresh());
    t.after(() => second.close());
    const secondMessages = collect(second);
    // Only to the new socket: a message to the first would wake the poll and hide a missed re-arm.
    await send([[second.path, 'STATUS=two']], { signal: t.signal });
    assert.deepEqual(await secondMessages.count(1), [{ raw: 'STATUS=two', status: 'two' }]);
    await send([[first.path, 'STATUS=three']], { signal: t.signal });
    assert.deepEqual(await firstMessages.count(2), [
      { raw: 'STATUS=one', status: 'one' },
      { raw: 'STATUS=three', status: 'three' },
    ]);
  });

  test('close stops delivery, removes the file and can be called again; the other sockets go on', async (t) => {
    const closing = NotifySocket.open(fresh());
    const staying = NotifySocket.open(fresh());
    t.after(() => staying.close());
    const closingMessages = collect(closing);
    const stayingMessages = collect(staying);
    closing.close();
    closing.close();
    assert.equal(existsSync(closing.path), false);
    const refused = await send([[closing.path, 'READY=1']], { signal: t.signal });
    assert.notEqual(refused.code, 0);
    await send([[staying.path, 'READY=1']], { signal: t.signal });
    assert.deepEqual(await stayingMessages.count(1), [{ raw: 'READY=1', ready: true }]);
    assert.deepEqual(closingMessages.messages, []);
  });

  test('a socket closed from its own listener gets nothing more, and a new one at the same path starts clean', async (t) => {
    const path = fresh();
    const first = NotifySocket.open(path);
    const firstMessages: NotifyMessage[] = [];
    first.onMessage((message) => {
      firstMessages.push(message);
      first.close();
    });
    const waitingFirst = new Promise<void>((resolve) => first.onMessage(() => resolve()));
    await send(
      [
        [path, 'STATUS=a'],
        [path, 'STATUS=b'],
      ],
      { signal: t.signal },
    );
    await waitingFirst;
    assert.deepEqual(firstMessages, [{ raw: 'STATUS=a', status: 'a' }]);
    // Likely the same fd number as the first, freed by its close: messages must reach the new socket only.
    const second = NotifySocket.open(path);
    t.after(() => second.close());
    const secondMessages = collect(second);
    await send([[path, 'STATUS=c']], { signal: t.signal });
    assert.deepEqual(await secondMessages.count(1), [{ raw: 'STATUS=c', status: 'c' }]);
    assert.deepEqual(firstMessages, [{ raw: 'STATUS=a', status: 'a' }]);
  });

  test('close leaves alone a file that another socket has since put at its path', async (t) => {
    const path = fresh();
    const old = NotifySocket.open(path);
    rmSync(path); // someone cleaned the directory under it
    const current = NotifySocket.open(path);
    t.after(() => current.close());
    old.close();
    assert.equal(statSync(path).isSocket(), true);
    const { count } = collect(current);
    await send([[path, 'READY=1']], { signal: t.signal });
    assert.deepEqual(await count(1), [{ raw: 'READY=1', ready: true }]);
  });

  test('a datagram longer than sd_notify allows is delivered whole, one too long to read is reported', async (t) => {
    const socket = NotifySocket.open(fresh());
    t.after(() => socket.close());
    const { count } = collect(socket);
    const long = 'x'.repeat(10_000);
    await send(
      [
        [socket.path, `STATUS=${long}`],
        [socket.path, `STATUS=${'y'.repeat(100_000)}`],
      ],
      { signal: t.signal },
    );
    const [whole, tooLong] = await count(2);
    assert.equal(whole?.status, long);
    assert.match(tooLong?.error ?? '', /100007 bytes/);
    assert.equal(tooLong?.status, undefined);
  });

  test('the socket is chowned to the instance user, who can send; other users cannot', { skip: !isRoot && 'needs root' }, async (t) => {
    const userDir = join(dir, 'for-user');
    mkdirSync(userDir);
    chmodSync(dir, 0o711);
    chmodSync(userDir, 0o711);
    const socket = NotifySocket.open(join(userDir, 'notify.sock'), { uid: 65534, gid: 65534 });
    t.after(() => socket.close());
    const stats = statSync(socket.path);
    assert.equal(stats.isSocket(), true);
    assert.equal(stats.uid, 65534);
    assert.equal(stats.gid, 65534);
    assert.equal(stats.mode & 0o777, 0o660);
    const { count } = collect(socket);
    const stranger = await send([[socket.path, 'READY=1\nSTATUS=spoofed']], { uid: 12345, gid: 12345, signal: t.signal });
    assert.notEqual(stranger.code, 0);
    assert.match(stranger.stderr, /Permission denied/);
    const owner = await send([[socket.path, 'READY=1\nSTATUS=as nobody']], { uid: 65534, gid: 65534, signal: t.signal });
    assert.equal(owner.code, 0, owner.stderr);
    assert.deepEqual(await count(1), [{ raw: 'READY=1\nSTATUS=as nobody', ready: true, status: 'as nobody' }]);
  });

  test('a stale socket file left by a dead process is replaced', async (t) => {
    const path = fresh();
    const stale = await run('python3', [`${FIXTURES}/stale-socket.py`, path], { signal: t.signal });
    assert.equal(stale.code, 0, stale.stderr);
    assert.equal(statSync(path).isSocket(), true);
    const socket = NotifySocket.open(path);
    t.after(() => socket.close());
    const { count } = collect(socket);
    await send([[path, 'READY=1']], { signal: t.signal });
    assert.deepEqual(await count(1), [{ raw: 'READY=1', ready: true }]);
  });

  describe('errors name the path and the reason', () => {
    test('a path of 108 bytes is too long; one of 107 works', async (t) => {
      const tooLong = join(dir, 'x'.repeat(108 - dir.length - 1));
      assert.equal(Buffer.byteLength(tooLong), 108);
      assert.throws(
        () => NotifySocket.open(tooLong),
        (error: Error) => error.message.includes(tooLong) && /File name too long/.test(error.message),
      );
      assert.equal(existsSync(tooLong), false);
      const longest = tooLong.slice(0, -1);
      const socket = NotifySocket.open(longest);
      t.after(() => socket.close());
      const { count } = collect(socket);
      await send([[longest, 'READY=1']], { signal: t.signal });
      assert.deepEqual(await count(1), [{ raw: 'READY=1', ready: true }]);
    });

    test('a missing directory', () => {
      const path = join(dir, 'no-such-dir', 'notify.sock');
      assert.throws(
        () => NotifySocket.open(path),
        (error: Error) => error.message.includes(path) && /No such file or directory/.test(error.message),
      );
    });

    test('a path another socket is receiving on is in use, and that socket keeps working', async (t) => {
      const path = fresh();
      const live = NotifySocket.open(path);
      t.after(() => live.close());
      assert.throws(
        () => NotifySocket.open(path),
        (error: Error) => error.message.includes(path) && /a live socket/.test(error.message),
      );
      const { count } = collect(live);
      await send([[path, 'READY=1']], { signal: t.signal });
      assert.deepEqual(await count(1), [{ raw: 'READY=1', ready: true }]);
    });

    test('a file that is not a socket is left alone', () => {
      const path = fresh();
      writeFileSync(path, 'precious');
      assert.throws(
        () => NotifySocket.open(path),
        (error: Error) => error.message.includes(path) && /a regular file, not a socket/.test(error.message),
      );
      assert.equal(readFileSync(path, 'utf8'), 'precious');
    });

    test('a relative path, which sd_notify clients would refuse', () => {
      assert.throws(
        () => NotifySocket.open('relative/notify.sock'),
        (error: Error) => error.message.includes('relative/notify.sock') && /absolute/.test(error.message),
      );
    });
  });

  describe('a process with no socket left open exits by itself', () => {
    const fixture = `${FIXTURES}/notify-socket-exit.ts`;
    const runFixture = (mode: string, signal: AbortSignal): Promise<Exit> => {
      const modeDir = mkdtempSync(join(dir, `${mode}-`));
      return run(process.execPath, ['--import', 'tsx', fixture, mode, modeDir], { cwd: ROOT, signal });
    };

    // Each would hang, and be cancelled at the timeout, if a poll() stayed pending.
    test('closed in the turn it was opened', { timeout: 60_000 }, async (t) => {
      const exit = await runFixture('close-at-once', t.signal);
      assert.equal(exit.code, 0, exit.stderr);
    });

    /** Runs a fixture mode that prints its socket's path, sends READY=1 there, and waits for the exit. */
    const readyThenExit = async (mode: string, signal: AbortSignal): Promise<number | null> => {
      const modeDir = mkdtempSync(join(dir, `${mode}-`));
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode, modeDir], { cwd: ROOT, signal, stdio: ['ignore', 'pipe', 'inherit'] });
      child.on('error', () => undefined);
      const closed = once(child, 'close');
      let stdout = '';
      child.stdout.setEncoding('utf8');
      for await (const chunk of child.stdout) {
        stdout += String(chunk);
        if (stdout.includes('\n')) break;
      }
      const sent = await send([[stdout.trim(), 'READY=1']], { signal });
      assert.equal(sent.code, 0, sent.stderr);
      const [code] = (await closed) as [number | null];
      return code;
    };

    test('closed while a fresh poll waits', { timeout: 60_000 }, async (t) => {
      assert.equal(await readyThenExit('close-idle', t.signal), 0);
    });

    test('closed from its listener after READY=1', { timeout: 60_000 }, async (t) => {
      assert.equal(await readyThenExit('close-on-message', t.signal), 0);
    });

    test('process.exit() while a poll waits does not hang', { timeout: 60_000 }, async (t) => {
      const exit = await runFixture('exit', t.signal);
      assert.equal(exit.code, 0, exit.stderr);
    });

    test('an uncaught exception while a poll waits does not hang', { timeout: 60_000 }, async (t) => {
      const exit = await runFixture('throw', t.signal);
      assert.equal(exit.code, 1);
      assert.match(exit.stderr, /thrown on purpose/);
    });
  });
});

/** Counts the TCP connections the probes start (http's included), to act after the nth attempt. */
function onConnectAttempt(n: number, action: () => void): { attempts: () => number; stop: () => void } {
  let attempts = 0;
  const listener = (): void => {
    if (++attempts === n) action();
  };
  subscribe('net.client.socket', listener);
  return { attempts: () => attempts, stop: () => unsubscribe('net.client.socket', listener) };
}

async function listen(server: Server | HttpServer, port = 0): Promise<number> {
  server.listen(port, LOCALHOST);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on: one the kernel just handed out and that was closed again. */
async function freePort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  server.close();
  await once(server, 'close');
  return port;
}

function closeServer(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('waitForTcp', () => {
  test('resolves once it has connected to a listening server', async (t) => {
    const server = createTcpServer((socket) => socket.destroy());
    const port = await listen(server);
    t.after(() => closeServer(server));
    const accepted = once(server, 'connection');
    await waitForTcp(LOCALHOST, port, new AbortController().signal);
    await accepted;
  });

  test('started before the server listens, it succeeds once the server does', async (t) => {
    const port = await freePort();
    const server = createTcpServer((socket) => socket.destroy());
    t.after(() => closeServer(server));
    // The second attempt means the first was refused: only then does the server start.
    const watch = onConnectAttempt(2, () => void listen(server, port));
    t.after(() => watch.stop());
    await waitForTcp(LOCALHOST, port, new AbortController().signal);
    assert.ok(watch.attempts() >= 2);
    assert.equal(server.listening, true);
  });

  test('abort while retrying rejects with the signal reason', async (t) => {
    const port = await freePort();
    const controller = new AbortController();
    const reason = new Error('instance stopped');
    const watch = onConnectAttempt(3, () => controller.abort(reason));
    t.after(() => watch.stop());
    await assert.rejects(waitForTcp(LOCALHOST, port, controller.signal), (error) => error === reason);
    assert.equal(watch.attempts(), 3);
  });

  test('an already aborted signal rejects without trying', async (t) => {
    const watch = onConnectAttempt(1, () => undefined);
    t.after(() => watch.stop());
    const reason = new Error('never mind');
    await assert.rejects(waitForTcp(LOCALHOST, 1, AbortSignal.abort(reason)), (error) => error === reason);
    assert.equal(watch.attempts(), 0);
  });
});

describe('waitForHttp', () => {
  /** A server that answers the given statuses in turn, then 200 for ever; counts the requests. */
  function statusServer(statuses: number[]): { server: HttpServer; requests: () => number } {
    let requests = 0;
    const server = createHttpServer((req, res) => {
      const status = statuses[requests++] ?? 200;
      assert.equal(req.method, 'GET');
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end('x'.repeat(100_000)); // larger than a socket buffer: the probe must read it for the server to finish
    });
    return { server, requests: () => requests };
  }

  test('non-2xx answers are retried until a 2xx comes', async (t) => {
    const { server, requests } = statusServer([503, 404, 302, 500]);
    const port = await listen(server);
    t.after(() => closeServer(server));
    await waitForHttp(`http://${LOCALHOST}:${port}/healthz`, new AbortController().signal);
    assert.equal(requests(), 5);
  });

  test('any 2xx is ready', async (t) => {
    const { server, requests } = statusServer([204]);
    const port = await listen(server);
    t.after(() => closeServer(server));
    await waitForHttp(`http://${LOCALHOST}:${port}/`, new AbortController().signal);
    assert.equal(requests(), 1);
  });

  test('started before the server listens, it succeeds once the server does', async (t) => {
    const port = await freePort();
    const { server, requests } = statusServer([]);
    t.after(() => closeServer(server));
    const watch = onConnectAttempt(2, () => void listen(server, port));
    t.after(() => watch.stop());
    await waitForHttp(`http://${LOCALHOST}:${port}/ready`, new AbortController().signal);
    assert.ok(watch.attempts() >= 2);
    assert.equal(requests(), 1);
  });

  test('abort while the server keeps answering 503 rejects with the signal reason', async (t) => {
    const controller = new AbortController();
    const reason = new Error('instance stopped');
    let requests = 0;
    const server = createHttpServer((_req, res) => {
      if (++requests === 3) controller.abort(reason);
      res.writeHead(503).end();
    });
    const port = await listen(server);
    t.after(() => closeServer(server));
    await assert.rejects(waitForHttp(`http://${LOCALHOST}:${port}/`, controller.signal), (error) => error === reason);
    assert.equal(requests, 3);
  });

  test('a URL that is not http:// is refused at once', async () => {
    await assert.rejects(waitForHttp('https://127.0.0.1:1/', new AbortController().signal), /only http:\/\//);
  });
});
