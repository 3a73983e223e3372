// The init's runtime directory and what it creates there, with the built init running as
// an unprivileged user (uid 65534) whose $TMPDIR/baton-<uid> the test controls: a directory
// someone else could write in is refused and left alone, and every way out, exit 2 after
// sockets were bound included, removes what the init made.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INIT, RunningInit, logRecords } from '../helpers/init-process.ts';
import { freePort } from '../helpers/net.ts';
import { cleanBase, service } from '../helpers/supervisor.ts';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

let dir = '';
let serial = 0;
before(() => {
  if (!isRoot) return;
  dir = mkdtempSync(join(tmpdir(), 'baton-runtime-'));
  chmodSync(dir, 0o711); // the unprivileged init must reach the TMPDIR inside
});
after(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** A fresh TMPDIR for one run; `owned` gives it to the unprivileged user, so that it can create its runtime directory there. */
function freshTmp(owned: boolean): { tmp: string; runtime: string } {
  const tmp = join(dir, `tmp-${++serial}`);
  mkdirSync(tmp, { mode: 0o755 });
  chmodSync(tmp, 0o755);
  if (owned) chownSync(tmp, NOBODY, NOBODY);
  return { tmp, runtime: join(tmp, `baton-${NOBODY}`) };
}

/** The built init as uid 65534, not PID 1 (it makes itself a subreaper). */
function startUnprivileged(tmp: string, env: Record<string, string>, args: string[] = []): RunningInit {
  const child = spawn(process.execPath, [INIT, ...args], {
    env: { ...cleanBase(), TMPDIR: tmp, ...env },
    uid: NOBODY,
    gid: NOBODY,
    cwd: '/',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  after(() => child.kill('SIGKILL'));
  return new RunningInit(child, false);
}

describe('the runtime directory must be the init user\'s own: otherwise exit 2 naming it, left as it is', { skip: !isRoot && 'needs root to act as two users' }, () => {
  const cases: Array<[string, (runtime: string) => () => void, RegExp]> = [
    [
      "another user's, mode 777",
      (runtime) => {
        mkdirSync(runtime);
        chmodSync(runtime, 0o777);
        return () => {
          const stats = lstatSync(runtime);
          assert.equal(stats.uid, 0);
          assert.equal(stats.mode & 0o777, 0o777);
        };
      },
      /owned by uid 0|owned by root/,
    ],
    [
      "the init user's, but anyone may write in it (777)",
      (runtime) => {
        mkdirSync(runtime);
        chownSync(runtime, NOBODY, NOBODY);
        chmodSync(runtime, 0o777);
        return () => assert.equal(lstatSync(runtime).mode & 0o777, 0o777);
      },
      /mode 777 lets others write/,
    ],
    [
      "a symlink to a directory of the init user's",
      (runtime) => {
        const target = `${runtime}.elsewhere`;
        mkdirSync(target, { mode: 0o700 });
        chownSync(target, NOBODY, NOBODY);
        symlinkSync(target, runtime);
        return () => {
          assert.equal(readlinkSync(runtime), target);
          assert.deepEqual(readdirSync(target), []);
        };
      },
      /symbolic link/,
    ],
    [
      'a regular file',
      (runtime) => {
        writeFileSync(runtime, 'data');
        return () => assert.equal(lstatSync(runtime).isFile(), true);
      },
      /not a directory/,
    ],
  ];
  for (const [name, make, reason] of cases) {
    test(name, async () => {
      const { tmp, runtime } = freshTmp(false);
      const unchanged = make(runtime);
      const marker = join(tmp, 'spawned');
      const env = { BATON_WEB_COMMAND: JSON.stringify(['touch', marker]), BATON_WEB_RESTART: 'never' };
      // --check says what the start would say, and touches nothing either.
      const check = await startUnprivileged(tmp, env, ['--check']).exited;
      assert.equal(check.code, 2, check.stderr);
      assert.match(check.stderr, new RegExp(`runtime directory ${runtime}: `));
      assert.match(check.stderr, reason);
      assert.equal(check.stdout, '', 'no plan printed');
      unchanged();
      const init = startUnprivileged(tmp, env);
      const exit = await init.exited;
      assert.equal(exit.code, 2, exit.stderr);
      assert.match(exit.stderr, new RegExp(`runtime directory ${runtime}: `));
      assert.match(exit.stderr, reason);
      unchanged();
      assert.equal(existsSync(marker), false, 'the service was spawned');
    });
  }

  test("absent: made the init user's, not writable by others, and empty again after a clean exit", async () => {
    const { tmp, runtime } = freshTmp(true);
    const init = startUnprivileged(tmp, { BATON_WEB_COMMAND: service('--ready=systemd-notify'), BATON_WEB_READY: 'notify' });
    await init.waitUntil(() => logRecords(init.stderr).some((r) => /generation 1 is running/.test(String(r.msg))), 'generation 1 to run');
    const stats = statSync(runtime);
    assert.equal(stats.uid, NOBODY);
    assert.equal(stats.mode & 0o022, 0);
    assert.equal(readdirSync(runtime).some((name) => name.startsWith('notify-')), true);
    init.signal('SIGTERM');
    const exit = await init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.deepEqual(readdirSync(runtime), []);
  });
});

describe('exit 2 after resources were made removes them all', { skip: !isRoot && 'needs root to act as two users' }, () => {
  test('a LISTEN bind that fails after the notify directory and another socket were made', async (t) => {
    const { tmp, runtime } = freshTmp(true);
    const port = await freePort();
    const holder = createServer();
    holder.listen(port, '127.0.0.1');
    await once(holder, 'listening');
    t.after(() => holder.close());
    const unixPath = join(tmp, 'a.sock');
    const init = startUnprivileged(tmp, {
      BATON_A_COMMAND: 'true',
      BATON_A_LISTEN: unixPath,
      BATON_B_COMMAND: 'true',
      BATON_B_LISTEN: `127.0.0.1:${port}`,
    });
    const exit = await init.exited;
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(exit.stderr, /"variable":"BATON_B_LISTEN".*Address already in use/);
    assert.match(exit.stderr, new RegExp(`listening on ${unixPath}`), 'the unix socket was not bound first');
    assert.deepEqual(readdirSync(runtime), [], 'left in the runtime directory');
    assert.equal(existsSync(unixPath), false, 'the LISTEN socket was left behind');
  });

  test('a control socket that cannot be made, after the LISTEN socket was bound', async () => {
    const { tmp, runtime } = freshTmp(true);
    const unixPath = join(tmp, 'a.sock');
    const init = startUnprivileged(tmp, {
      BATON_CONTROL_SOCKET: join(tmp, 'missing', 'control.sock'),
      BATON_A_COMMAND: 'true',
      BATON_A_LISTEN: unixPath,
    });
    const exit = await init.exited;
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(exit.stderr, /"variable":"BATON_CONTROL_SOCKET"/);
    assert.deepEqual(readdirSync(runtime), [], 'left in the runtime directory');
    assert.equal(existsSync(unixPath), false, 'the LISTEN socket was left behind');
  });
});
