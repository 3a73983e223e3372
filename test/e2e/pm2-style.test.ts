// A pm2-style app, unchanged: READY=ipc (process.send('ready')) and the listen shim
// (LISTEN_SHIM: its listen(PORT) takes the socket the init holds).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FIXTURES } from '../helpers/init-process.ts';
import { freePort, get, startLoad } from '../helpers/net.ts';
import { supervise } from '../helpers/supervisor.ts';

const APP = JSON.stringify([process.execPath, `${FIXTURES}/pm2-style-app.mjs`]);

const app = (port: number, extra: Record<string, string> = {}): Record<string, string> => ({
  BATON_APP_COMMAND: APP,
  BATON_APP_READY: 'ipc',
  BATON_APP_LISTEN: `127.0.0.1:${port}`,
  BATON_APP_LISTEN_SHIM: 'true',
  ...extra,
});


/** The peak resident memory of a process, in KiB. */
function peakRssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB$/m);
  assert.ok(line, `VmHWM of ${pid}`);
  return Number(line[1]);
}

describe('READY=ipc', () => {
  test("process.send('ready') marks it ready; the channel comes after fd 3 (LISTEN) and fd 4 (NOTIFY_PIPE)", async () => {
    const port = await freePort();
    // WATCHDOG opens the notify pipe; a long one, since this app sends no keep-alive.
    const s = supervise(app(port, { BATON_APP_WATCHDOG: '10m' }));
    await s.record(/generation 1 is running/);
    await s.init.waitFor(/listening on port \d+, IPC channel on fd 5, connected=true/);
    assert.match(await get(port, false), /hello from generation 1/);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('without LISTEN or a notify channel it is fd 3, and the app binds PORT itself', async () => {
    const port = await freePort();
    const s = supervise({ BATON_APP_COMMAND: APP, BATON_APP_READY: 'ipc', PORT: String(port) });
    await s.record(/generation 1 is running/);
    await s.init.waitFor(/IPC channel on fd 3, connected=true/);
    assert.match(await get(port, false), /hello from generation 1/);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('the channel stays open after ready, and does not keep an idle app running', async () => {
    const script = "process.send('ready', () => setTimeout(() => console.log('connected after ready: ' + process.connected), 500))";
    const s = supervise({ BATON_APP_COMMAND: JSON.stringify([process.execPath, '-e', script]), BATON_APP_READY: 'ipc', BATON_APP_RESTART: 'never' });
    await s.record(/generation 1 is running/);
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /connected after ready: true/);
    assert.ok(s.records().some((r) => r.msg === 'exited by itself (code 0)'));
  });

  test('other messages are ignored (logged once, at debug): they do not make it ready', async () => {
    const port = await freePort();
    const s = supervise(app(port, { IPC_EXTRA: 'never', BATON_APP_READY_TIMEOUT: '3s', BATON_LOG_LEVEL: 'debug' }));
    await s.init.waitFor(/sent only other messages/);
    const exit = await s.init.exited;
    assert.equal(exit.code, 1, s.init.stderr);
    assert.match(exit.stderr, /app\.1 not ready within 3000 ms/);
    assert.equal(s.records().filter((r) => /ignored an IPC message other than 'ready'/.test(String(r.msg))).length, 1);
    assert.ok(!s.records().some((r) => r.msg === 'ready'));
  });

  test('a flood (a 64 MiB message, then 10,000 more) leaves the init up, its memory bounded, and ready still counts', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const s = supervise(app(port, { IPC_EXTRA: 'flood', BATON_LOG_LEVEL: 'debug' }));
    await s.record(/^spawned$/);
    const before = peakRssKiB(s.init.pid);
    await s.record(/generation 1 is running/);
    const grown = peakRssKiB(s.init.pid) - before;
    // Held whole, the message alone would be 64 MiB, and twice that decoded to a string.
    assert.ok(grown < 32 * 1024, `the init's peak memory grew by ${grown} KiB`);
    assert.equal(s.records().filter((r) => /ignored an IPC message/.test(String(r.msg))).length, 1);
    assert.equal((await s.query('--health')).code, 0);
    assert.match(await get(port, false), /hello from generation 1/);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });
});

describe('LISTEN_SHIM', () => {
  test('off, the same app finds the port taken by the init: nothing happens unless asked', async () => {
    const port = await freePort();
    const env = app(port, { PORT: String(port), BATON_APP_READY_TIMEOUT: '10s' });
    delete env.BATON_APP_LISTEN_SHIM;
    const s = supervise(env);
    const exit = await s.init.exited;
    assert.equal(exit.code, 1);
    assert.match(exit.stdout + exit.stderr, /EADDRINUSE/);
    assert.match(exit.stderr, /app\.1 exited before it was ready/);
  });

  test('a second listen on PORT is left as it is, and finds the port in use', async () => {
    const port = await freePort();
    const s = supervise(app(port, { LISTEN_TWICE: '1' }));
    await s.record(/generation 1 is running/);
    await s.init.waitFor(/second listen on PORT: EADDRINUSE/);
    assert.match(await get(port, false), /hello from generation 1/);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test("a cluster app: the primary's listen takes the socket and its workers serve from it (round-robin)", async () => {
    const port = await freePort();
    const s = supervise(app(port, { BATON_APP_COMMAND: JSON.stringify([process.execPath, `${FIXTURES}/cluster-app.mjs`]) }));
    await s.record(/generation 1 is running/);
    const workers = new Set<string>();
    for (let i = 0; i < 20 && workers.size < 2; i++) workers.add(await get(port, false));
    assert.equal(workers.size, 2, `answered by ${[...workers].join(', ')}`);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('COUNT=4 and 20 reloads under HTTP load: zero failed requests', { timeout: 600_000 }, async (t) => {
    const port = await freePort();
    const s = supervise(app(port, { BATON_APP_COUNT: '4', BATON_APP_STOP_TIMEOUT: '10s', BATON_APP_READY_TIMEOUT: '60s' }));
    await s.record(/generation 1 is running/);
    const load = startLoad(port, 40_000);
    const reloadMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const reload = await s.query('--reload', '--json');
      assert.equal(reload.code, 0, reload.stderr);
      reloadMs.push((JSON.parse(reload.stdout) as { ms: number }).ms);
    }
    const { ok, failures, generations } = await load.stop();
    const sorted = [...reloadMs].sort((a, b) => a - b);
    t.diagnostic(`requests ${ok + failures.length}, failed ${failures.length}, generations served ${generations.size}, reload ms min ${sorted[0]} median ${sorted[10]} max ${sorted[19]}`);
    assert.deepEqual(failures, []);
    assert.ok(ok > 100, `${ok} requests`);
    // Load through every reload: each generation is live for a while, and most are seen.
    assert.ok(generations.size >= 15, `served by generations ${[...generations].join(',')}`);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });
});
