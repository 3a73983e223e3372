// The stale-socket rule on real files: only a socket nobody answers on is replaced;
// a file, a directory, a symlink or a live socket is refused and left exactly as it was.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SocketPathRefused } from '../../src/pid1/libc.ts';
import { claimSocketPath, inspectSocketPath } from '../../src/pid1/socket-path.ts';
import { NotifySocket } from '../../src/readiness/notify-socket.ts';
import { FIXTURES } from '../helpers/init-process.ts';

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
});
