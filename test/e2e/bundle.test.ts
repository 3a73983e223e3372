// The build: one file plus koffi's native modules, runnable from anywhere, on Node 20, 22 and 24.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, ROOT, run, startProcess } from '../helpers/init-process.ts';
import { freePort } from '../helpers/net.ts';
import { cleanBase } from '../helpers/supervisor.ts';

function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listTree(join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

test('dist/ holds init.js, baton.js, the listen shim, the Linux koffi binaries and the bundled packages\' notices, nothing else', () => {
  // Runs of the init on Node 22+ add their compile cache (test/e2e/compile-cache.test.ts).
  assert.deepEqual(listTree(`${ROOT}dist`).filter((path) => !path.startsWith('init.js.cache/')).sort(), [
    'THIRD-PARTY-NOTICES.txt',
    'baton-execa.js',
    'baton-pino.js',
    'baton.js',
    'init.js',
    'koffi/linux_arm64/koffi.node',
    'koffi/linux_x64/koffi.node',
    'koffi/musl_arm64/koffi.node',
    'koffi/musl_x64/koffi.node',
    'listen-shim.cjs',
    'package.json',
  ]);
});

test('baton.js is ASCII, so that init.js, which reads it as latin1, reads what was built', () => {
  assert.equal(readFileSync(`${ROOT}dist/baton.js`).findIndex((byte) => byte > 0x7f), -1);
});

test('THIRD-PARTY-NOTICES.txt holds the license of every package bundled, the deferred ones (execa, pino) and koffi included', () => {
  const notices = readFileSync(`${ROOT}dist/THIRD-PARTY-NOTICES.txt`, 'utf8');
  const lock = JSON.parse(readFileSync(`${ROOT}package-lock.json`, 'utf8')) as { packages: Record<string, { version: string }> };
  for (const name of ['envalid', 'execa', 'pino', 'koffi', 'cross-spawn', 'sonic-boom']) {
    const version = lock.packages[`node_modules/${name}`]?.version;
    assert.match(notices, new RegExp(`^${name} ${version} \\((MIT|ISC|Apache-2\\.0|0BSD)\\)$`, 'm'), name);
  }
  assert.doesNotMatch(notices, /no license file/);
  assert.ok((notices.match(/Permission is hereby granted/g) ?? []).length >= 20, 'the MIT texts themselves');
});

const NODES: Array<[string, string]> = [
  [`Node ${process.versions.node}`, process.execPath],
  ['Node 22', `${ROOT}.cache/node-22/bin/node`],
  ['Node 24', `${ROOT}.cache/node-24/bin/node`],
];

for (const [name, node] of NODES) {
  test(`dist/ copied alone to an empty folder runs on ${name}, koffi included`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-dist-'));
    try {
      cpSync(`${ROOT}dist`, dir, { recursive: true });
      const plain = await run(node, [join(dir, 'init.js'), '--', 'true']);
      assert.equal(plain.code, 0, plain.stderr);
      // As PID 1, reaping loads koffi; -s loads it at start as well.
      const reaping = await run('unshare', ['--fork', '--pid', '--mount-proc', node, join(dir, 'init.js'), '-s', '--', `${FIXTURES}/zombie-factory.sh`, '50', '7']);
      assert.equal(reaping.code, 7, reaping.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const [name, node] of NODES) {
  test(`dist/ copied alone: the listen shim is found beside init.js, and a pm2-style app serves through it with READY=ipc on ${name}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-dist-'));
    try {
      cpSync(`${ROOT}dist`, dir, { recursive: true });
      const port = await freePort();
      const init = startProcess(node, [join(dir, 'init.js')], {
        ...cleanBase(),
        BATON_CONTROL_SOCKET: join(dir, 'control.sock'),
        BATON_APP_COMMAND: JSON.stringify([node, `${FIXTURES}/pm2-style-app.mjs`]),
        BATON_APP_READY: 'ipc',
        BATON_APP_LISTEN: `127.0.0.1:${port}`,
        BATON_APP_LISTEN_SHIM: 'true',
        NODE_OPTIONS: '--no-deprecation',
      });
      await init.waitFor(/generation 1 is running/, 'stderr');
      await init.waitFor(/sent ready/);
      const response = await fetch(`http://127.0.0.1:${port}/`);
      assert.match(await response.text(), /hello from generation 1/);
      init.signal('SIGTERM');
      assert.equal((await init.exited).code, 0, init.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const [name, node] of NODES) {
  test(`the exec step (interactive use) works on ${name}`, async () => {
    const exit = await run('python3', [`${FIXTURES}/pty-run.py`, 'never', '', '--', 'unshare', '--fork', '--pid', '--mount-proc', node, `${ROOT}dist/init.js`, '--', 'sh', '-c', 'ps -o pgid= -o tpgid= -p $$; exit 4']);
    assert.equal(exit.code, 4, exit.stdout);
    const [pgid, tpgid] = exit.stdout.trim().split(/\s+/).slice(-2);
    assert.ok(pgid !== undefined && pgid === tpgid, exit.stdout);
  });
}
