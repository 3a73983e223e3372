// The npm package baton-init: `npm pack` of the build holds the runtime and nothing else,
// installs offline into an empty folder without pulling a single dependency, and the
// installed entry point (the file and its node_modules/.bin link) is a working PID 1:
// it reaps, supervises a service, and answers --status.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, logRecords, run, startProcess, WAIT_MS } from '../helpers/init-process.ts';
import { installOffline, pack, type Packed } from '../helpers/package.ts';
import { cleanBase, service } from '../helpers/supervisor.ts';

const packDir = mkdtempSync(join(tmpdir(), 'baton-pack-'));
let packed: Packed;
let app: string;
const installs: string[] = [];

before(async () => {
  packed = await pack(packDir);
  app = await installOffline(packed.tarball);
  installs.push(join(app, '..'));
});

after(() => {
  rmSync(packDir, { recursive: true, force: true });
  for (const dir of installs) rmSync(dir, { recursive: true, force: true });
});

test('the tarball holds dist/ (entry point, bundle, koffi, the bundled packages\' notices), README.md, LICENSE and package.json, nothing else', () => {
  assert.deepEqual(packed.files, [
    'LICENSE',
    'README.md',
    'dist/THIRD-PARTY-NOTICES.txt',
    'dist/baton-execa.js',
    'dist/baton-pino.js',
    'dist/baton.js',
    'dist/init.js',
    'dist/koffi/linux_arm64/koffi.node',
    'dist/koffi/linux_x64/koffi.node',
    'dist/koffi/musl_arm64/koffi.node',
    'dist/koffi/musl_x64/koffi.node',
    'dist/package.json',
    'package.json',
  ]);
});

test('the packed package.json is publishable: named baton-init, two bins on dist/init.js, nothing for npm to install', () => {
  const manifest = JSON.parse(readFileSync(join(app, 'node_modules/baton-init/package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(manifest.name, 'baton-init');
  assert.equal(manifest.private, undefined);
  assert.deepEqual(manifest.bin, { 'baton-init': 'dist/init.js', baton: 'dist/init.js' });
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies']) {
    assert.equal(manifest[field], undefined, `${field} would make npm install more than baton-init`);
  }
  assert.match(String((manifest.engines as Record<string, string>).node), /^>=20/);
});

test('the offline install into an empty folder adds baton-init alone, with both bin links', () => {
  assert.deepEqual(readdirSync(join(app, 'node_modules')).sort(), ['.bin', '.package-lock.json', 'baton-init']);
  assert.deepEqual(readdirSync(join(app, 'node_modules/.bin')).sort(), ['baton', 'baton-init']);
});

const entryPoints = (): Array<[string, string[]]> => [
  ['node node_modules/baton-init/dist/init.js', [process.execPath, join(app, 'node_modules/baton-init/dist/init.js')]],
  ['node_modules/.bin/baton-init (its #! line)', [join(app, 'node_modules/.bin/baton-init')]],
];

test('the installed entry point reaps orphans as PID 1 and exits with the command\'s code', async (t) => {
  for (const [name, command] of entryPoints()) {
    await t.test(name, async () => {
      // zombie-factory.sh exits 7 once PID 1 has reaped its 50 orphans, 99 if they stay zombies.
      const exit = await run('unshare', ['--fork', '--pid', '--mount-proc', ...command, '--', `${FIXTURES}/zombie-factory.sh`, '50', '7']);
      assert.equal(exit.code, 7, exit.stderr);
    });
  }
});

test('the installed .bin link runs supervisor mode as PID 1: a oneshot that makes orphans, a service, --status, a clean stop', async () => {
  const bin = join(app, 'node_modules/.bin/baton-init');
  const dir = mkdtempSync(join(tmpdir(), 'baton-package-'));
  installs.push(dir);
  const controlSocket = join(dir, 'control.sock');
  const env = { ...cleanBase(), BATON_CONTROL_SOCKET: controlSocket };
  const init = startProcess('unshare', ['--fork', '--pid', '--mount-proc', '--kill-child', bin], {
    ...env,
    // Orphans handed to PID 1 in supervisor mode: the oneshot completes only once they are reaped.
    BATON_REAP_COMMAND: JSON.stringify([`${FIXTURES}/zombie-factory.sh`, '20', '0']),
    BATON_REAP_TYPE: 'oneshot',
    BATON_WEB_COMMAND: service('--ready=json'),
    BATON_WEB_READY: 'notify',
    BATON_WEB_COUNT: '2',
    BATON_WEB_AFTER: 'reap',
  });
  await init.waitUntil(() => /generation 1 is running/.test(init.stderr), 'generation 1 is running');
  assert.ok(logRecords(init.stderr).some((record) => record.service === 'reap' && /completed \(code 0\)/.test(String(record.msg))), init.stderr);

  const status = await run(bin, ['--status', '--json'], env);
  assert.equal(status.code, 0, status.stderr);
  const snapshot = JSON.parse(status.stdout) as { pid: number; healthy: boolean; generations: Array<{ instances: Array<{ service: string; instance: number; state: string; pid: number }> }> };
  assert.equal(snapshot.pid, 1, 'the installed init is PID 1 of its namespace');
  assert.equal(snapshot.healthy, true);
  const web = snapshot.generations[0]?.instances.filter((instance) => instance.service === 'web') ?? [];
  assert.deepEqual(web.map((instance) => `${instance.service}.${instance.instance} ${instance.state}`), ['web.1 ready', 'web.2 ready']);
  const table = await run(join(app, 'node_modules/.bin/baton'), ['--status'], env);
  assert.match(table.stdout, /web\.2 +\d+ +ready/, table.stdout);

  // The init's pid as the host sees it: unshare's only child.
  const unshare = init.process.pid as number;
  const inner = Number(readFileSync(`/proc/${unshare}/task/${unshare}/children`, 'utf8').trim().split(' ')[0]);
  process.kill(inner, 'SIGTERM');
  const exit = await init.ended(WAIT_MS);
  assert.equal(exit.code, 0, exit.stderr);
});
