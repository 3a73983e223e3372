// The stale-socket rule on real files: only a socket nobody answers on is replaced;
// a file, a directory, a symlink or a live socket is refused and left exactly as it was.
// The control, LISTEN and notify sockets all take this one step, with the same words.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SocketPathRefused } from '../../../src/pid1/libc.ts';
import { boundSocketFile, claimSocketPath, inspectSocketPath } from '../../../src/pid1/socket-path.ts';
import { NotifySocket } from '../../../src/readiness/notify-socket.ts';
import { startControlServer } from '../../../src/control/server.ts';
import { openListenSocket } from '../../../src/supervise/listen-socket.ts';
import { FIXTURES } from '../../helpers/init-process.ts';

describe('claimSocketPath', () => {
  let dir = '';
  let serial = 0;
  const fresh = (): string => join(dir, `${++serial}.sock`);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-socket-path-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const refused = (path: string, reason: RegExp): void => {
    assert.throws(
      () => claimSocketPath(path),
      (error: Error) => error instanceof SocketPathRefused && error.message.includes(path) && reason.test(error.message),
    );
  };

  test('nothing there: free, and nothing is created', () => {
    const path = fresh();
    claimSocketPath(path);
    assert.deepEqual(inspectSocketPath(path), { kind: 'absent' });
  });

  test('a regular file is refused and keeps its content', () => {
    const path = fresh();
    writeFileSync(path, 'data\n');
    refused(path, /regular file/);
    assert.equal(readFileSync(path, 'utf8'), 'data\n');
  });

  test('a directory is refused and stays', () => {
    const path = fresh();
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'x');
    refused(path, /directory/);
    assert.equal(readFileSync(join(path, 'inside'), 'utf8'), 'x');
  });

  test('a symlink is refused, whether it points to a file, a stale socket or nowhere', () => {
    const target = fresh();
    writeFileSync(target, 'target');
    const staleTarget = fresh();
    assert.equal(spawnSync('python3', [`${FIXTURES}/stale-socket.py`, staleTarget]).status, 0);
    for (const pointsTo of [target, staleTarget, join(dir, 'nowhere')]) {
      const link = fresh();
      symlinkSync(pointsTo, link);
      refused(link, /symbolic link/);
      assert.equal(readlinkSync(link), pointsTo);
    }
    assert.equal(readFileSync(target, 'utf8'), 'target');
    assert.equal(lstatSync(staleTarget).isSocket(), true);
  });

  test('a live stream socket is refused and still answers', async (t) => {
    const path = fresh();
    const server: Server = createServer((socket) => {
      socket.on('error', () => undefined); // the probe's connection is closed at once: EPIPE
      socket.end('hello');
    });
    server.listen(path);
    await once(server, 'listening');
    t.after(() => server.close());
    refused(path, /live socket/);
    const client = createConnection(path);
    t.after(() => client.destroy());
    const [data] = (await once(client, 'data')) as [Buffer];
    assert.equal(data.toString(), 'hello');
  });

  test('a live datagram socket is refused and still receives', (t) => {
    const path = fresh();
    const socket = NotifySocket.open(path);
    t.after(() => socket.close());
    refused(path, /live socket/);
    assert.equal(lstatSync(path).isSocket(), true);
  });

  test('a dead socket, datagram or stream, is removed so that it can be bound again', () => {
    for (const type of [[], ['stream']]) {
      const path = fresh();
      assert.equal(spawnSync('python3', [`${FIXTURES}/stale-socket.py`, path, ...type]).status, 0);
      assert.deepEqual(inspectSocketPath(path), { kind: 'stale' });
      claimSocketPath(path);
      assert.deepEqual(inspectSocketPath(path), { kind: 'absent' });
    }
  });

  test('a path no unix socket can have is refused before anything is looked at or made', () => {
    const path = join(dir, 'x'.repeat(108 - dir.length - 1));
    assert.equal(Buffer.byteLength(path), 108);
    refused(path, /File name too long: the path is 108 bytes, a unix socket path has at most 107/);
    assert.equal(existsSync(path), false);
  });

  test('returns the address to bind', () => {
    const path = fresh();
    const { address, length } = claimSocketPath(path);
    assert.equal(length, 2 + Buffer.byteLength(path) + 1);
    assert.equal(address.toString('utf8', 2, length - 1), path);
  });
});

describe('boundSocketFile', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-bound-socket-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('removes the file it was made for', () => {
    const path = join(dir, 'own.sock');
    assert.equal(spawnSync('python3', [`${FIXTURES}/stale-socket.py`, path]).status, 0);
    boundSocketFile(path).remove();
    assert.equal(existsSync(path), false);
  });

  test('leaves a file that has since taken the path, and does not mind one gone already', () => {
    const path = join(dir, 'replaced.sock');
    assert.equal(spawnSync('python3', [`${FIXTURES}/stale-socket.py`, path]).status, 0);
    const file = boundSocketFile(path);
    writeFileSync(`${path}.new`, 'someone else\n');
    renameSync(`${path}.new`, path);
    file.remove();
    assert.equal(readFileSync(path, 'utf8'), 'someone else\n');
    rmSync(path);
    file.remove();
  });
});

describe('the control, LISTEN and notify sockets take the one claim step, with its words', () => {
  let dir = '';
  let serial = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-three-sockets-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const SOCKETS: Array<[string, (path: string) => Promise<unknown>]> = [
    ['control', (path) => startControlServer(path, () => ({ ok: false, error: 'not asked' }))],
    ['LISTEN', (path) => openListenSocket({ kind: 'unix', path })],
    ['notify', async (path) => NotifySocket.open(path)],
  ];

  for (const [name, open] of SOCKETS) {
    test(`${name}: a regular file is refused naming the path, and kept`, async () => {
      const path = join(dir, `${++serial}.sock`);
      writeFileSync(path, 'data\n');
      await assert.rejects(open(path), (error: Error) => error.message.includes(`${path}: it is a regular file, not a socket; it is left as it is`));
      assert.equal(readFileSync(path, 'utf8'), 'data\n');
    });

    test(`${name}: a path too long for a unix socket is refused, and nothing is bound at a shorter one`, async () => {
      const path = join(dir, `${++serial}-${'x'.repeat(120)}`);
      await assert.rejects(open(path), (error: Error) => error.message.includes(`${path}: File name too long: the path is ${Buffer.byteLength(path)} bytes, a unix socket path has at most 107`));
      assert.equal(existsSync(path.slice(0, 107)), false);
    });
  }
});
