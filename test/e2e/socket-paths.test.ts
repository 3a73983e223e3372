// The socket paths a user names (BATON_CONTROL_SOCKET, BATON_<NAME>_LISTEN) against what
// is already there, with the built init: --check and a real start as PID 1 both refuse a
// file, a directory, a symlink or a live socket with exit 2, and leave it as it was.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runInit } from '../helpers/init-process.ts';
import { cleanBase, supervise } from '../helpers/supervisor.ts';

let dir = '';
let serial = 0;
const fresh = (name = 'x'): string => join(dir, `${++serial}-${name}`);
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-socket-paths-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A live unix stream socket, closed after the test. */
async function liveSocket(path: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined); // probes close their connection at once
    socket.end('still here');
  });
  server.listen(path);
  await once(server, 'listening');
  return server;
}

async function answers(path: string): Promise<string> {
  const client = createConnection(path);
  const [data] = (await once(client, 'data')) as [Buffer];
  client.destroy();
  return data.toString();
}

/** Something at a path that is not a dead socket, and how to tell it is still as it was. */
interface Occupant {
  name: string;
  make(path: string): Promise<() => Promise<void>>;
  reason: RegExp;
}

const OCCUPANTS: Occupant[] = [
  {
    name: 'a regular file',
    reason: /regular file/,
    async make(path) {
      writeFileSync(path, 'data\n');
      return async () => assert.equal(readFileSync(path, 'utf8'), 'data\n');
    },
  },
  {
    name: 'a directory',
    reason: /directory/,
    async make(path) {
      mkdirSync(path);
      writeFileSync(join(path, 'inside'), 'x');
      return async () => assert.equal(readFileSync(join(path, 'inside'), 'utf8'), 'x');
    },
  },
  {
    name: 'a symlink to a file',
    reason: /symbolic link/,
    async make(path) {
      const target = `${path}.target`;
      writeFileSync(target, 'target\n');
      symlinkSync(target, path);
      return async () => {
        assert.equal(readlinkSync(path), target);
        assert.equal(readFileSync(target, 'utf8'), 'target\n');
      };
    },
  },
  {
    name: 'a live socket',
    reason: /live socket/,
    async make(path) {
      const server = await liveSocket(path);
      after(() => server.close());
      return async () => assert.equal(await answers(path), 'still here');
    },
  },
];

const VARIABLES = [
  { variable: 'BATON_WEB_LISTEN', env: (path: string) => ({ BATON_WEB_LISTEN: path }) },
  { variable: 'BATON_CONTROL_SOCKET', env: (path: string) => ({ BATON_CONTROL_SOCKET: path }) },
];

describe('a socket path that is taken: exit 2 naming the variable, nothing touched, nothing spawned', () => {
  for (const occupant of OCCUPANTS) {
    for (const { variable, env } of VARIABLES) {
      test(`${variable} at ${occupant.name}`, async () => {
        const path = fresh('sock');
        const unchanged = await occupant.make(path);
        const marker = fresh('spawned');
        const config = { ...cleanBase(), BATON_WEB_COMMAND: JSON.stringify(['touch', marker]), BATON_WEB_RESTART: 'never', ...env(path) };

        const check = await runInit(['--check'], { pidNamespace: false, cleanEnv: true, env: config });
        assert.equal(check.code, 2, check.stderr);
        assert.match(check.stderr, new RegExp(`"variable":"${variable}".*${path}.*`));
        assert.match(check.stderr, occupant.reason);
        await unchanged();

        const start = await runInit([], { cleanEnv: true, env: config });
        assert.equal(start.code, 2, start.stderr);
        assert.match(start.stderr, new RegExp(`"variable":"${variable}"`));
        assert.match(start.stderr, occupant.reason);
        await unchanged();
        assert.equal(existsSync(marker), false, 'the service was spawned');
      });
    }
  }
});

describe('a socket path longer than a unix socket can hold: exit 2 at start naming the variable and the limit, nothing bound at a shorter path', () => {
  for (const { variable, env } of VARIABLES) {
    test(variable, async () => {
      const folder = fresh('long');
      mkdirSync(folder);
      const path = join(folder, 'x'.repeat(120));
      const marker = fresh('spawned');
      const config = { ...cleanBase(), BATON_WEB_COMMAND: JSON.stringify(['touch', marker]), BATON_WEB_RESTART: 'never', ...env(path) };
      const start = await runInit([], { cleanEnv: true, env: config });
      assert.equal(start.code, 2, start.stderr);
      assert.match(start.stderr, new RegExp(`"variable":"${variable}".*${path}: File name too long: the path is ${Buffer.byteLength(path)} bytes, a unix socket path has at most 107`));
      assert.deepEqual(readdirSync(folder), [], 'a socket was bound at a shorter path');
      assert.equal(existsSync(marker), false, 'the service was spawned');
    });
  }
});

test('a dead socket at a LISTEN path is replaced, and removed at exit', async () => {
  const path = fresh('stale.sock');
  assert.equal(spawnSync('python3', [`${FIXTURES}/stale-socket.py`, path, 'stream']).status, 0);
  const s = supervise({ BATON_WEB_COMMAND: JSON.stringify(['sleep', '600']), BATON_WEB_LISTEN: path });
  await s.record(/generation 1 is running/);
  const stats = lstatSync(path);
  assert.equal(stats.isSocket(), true);
  s.init.signal('SIGTERM');
  const exit = await s.init.exited;
  assert.equal(exit.code, 0, exit.stderr);
  assert.equal(existsSync(path), false);
});

describe('two names for one socket are one socket: exit 2 at --check and at start, nothing bound', () => {
  const port = String(20000 + (process.pid % 20000));
  const cases: Array<[string, (folder: string) => Record<string, string>, string, (folder: string) => string[]]> = [
    ['/a//b.sock and /a/b.sock', (f) => ({ BATON_A_LISTEN: `${f}//b.sock`, BATON_B_LISTEN: `${f}/b.sock` }), 'BATON_B_LISTEN', (f) => [`${f}/b.sock`]],
    ['/a/./c/../b.sock and /a/b.sock/', (f) => ({ BATON_A_LISTEN: `${f}/./c/../b.sock`, BATON_B_LISTEN: `${f}/b.sock/` }), 'BATON_B_LISTEN', (f) => [`${f}/b.sock`]],
    ['the control socket and a LISTEN path', (f) => ({ BATON_CONTROL_SOCKET: `${f}//control.sock`, BATON_A_LISTEN: `${f}/control.sock` }), 'BATON_A_LISTEN', (f) => [`${f}/control.sock`]],
    ['PORT and 127.0.0.1:PORT', () => ({ BATON_A_LISTEN: port, BATON_B_LISTEN: `127.0.0.1:${port}` }), 'BATON_B_LISTEN', () => []],
  ];
  for (const [name, listensIn, variable, pathsIn] of cases) {
    test(name, async () => {
      const folder = fresh('folder');
      mkdirSync(folder);
      const listens = listensIn(folder);
      const paths = (): string[] => pathsIn(folder);
      const marker = fresh('spawned');
      const config = {
        ...cleanBase(),
        BATON_A_COMMAND: JSON.stringify(['touch', marker]),
        BATON_B_COMMAND: JSON.stringify(['touch', marker]),
        BATON_A_RESTART: 'never',
        BATON_B_RESTART: 'never',
        ...listens,
      };
      const check = await runInit(['--check'], { pidNamespace: false, cleanEnv: true, env: config });
      assert.equal(check.code, 2, check.stderr);
      assert.match(check.stderr, new RegExp(`"variable":"${variable}"`));
      const start = await runInit([], { cleanEnv: true, env: config });
      assert.equal(start.code, 2, start.stderr);
      assert.match(start.stderr, new RegExp(`"variable":"${variable}"`));
      for (const path of paths()) assert.equal(existsSync(path), false, `${path} was bound`);
      assert.equal(existsSync(marker), false, 'a service was spawned');
    });
  }
});
