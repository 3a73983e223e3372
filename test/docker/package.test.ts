// docker/Dockerfile.package, the README's Install section: a build stage installs the packed
// baton-init tarball with npm (no registry: the package has no dependencies), the final
// image takes its runtime at /, and `node /init.js` is a working PID 1 there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { FIXTURES } from '../helpers/init-process.ts';
import { pack } from '../helpers/package.ts';
import { ContainerLog, LABEL, ROOT, docker, nodeImage, requireDocker, run, uniqueName, waitForState, type Result, type RunOptions } from './helpers.ts';

const NAME = uniqueName('package');
const tag = (image: string): string => `baton-test-${image}:${NAME}`;
const IMAGES = { npm: tag('npm'), stage: tag('package-stage'), app: tag('package') };
let built: string[] = [];
const context = mkdtempSync(join(tmpdir(), 'baton-package-context-'));

/** The lock of test/docker/helpers.ts: builds and image removals of the test files take turns. */
const BUILD_LOCK = join(tmpdir(), 'baton-test-docker-build.lock');
function lockedDocker(args: readonly string[], options: RunOptions = {}): Promise<Result> {
  return run('flock', [BUILD_LOCK, 'docker', ...args], { timeoutMs: 180_000, ...options });
}

/**
 * The build stage runs npm. The local base image of scripts/docker-base.sh has Node alone:
 * then this machine's own npm is added on top of it (the official images have npm already).
 */
async function imageWithNpm(base: string): Promise<string> {
  if ((await docker(['run', '--rm', '--entrypoint', 'sh', base, '-c', 'command -v npm'], { check: false })).code === 0) return base;
  const npmContext = join(context, 'npm');
  mkdirSync(npmContext);
  const npmRoot = execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim();
  // Its docs and man pages are left out: npm runs without them.
  cpSync(join(npmRoot, 'npm'), join(npmContext, 'npm'), { recursive: true, filter: (path) => !/^\/(docs|man)(\/|$)/.test(path.slice(join(npmRoot, 'npm').length)) });
  const dockerfile = ['ARG NODE_IMAGE', 'FROM ${NODE_IMAGE}', 'COPY npm/ /usr/local/lib/node_modules/npm/', 'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && npm --version'].join('\n');
  writeFileSync(join(npmContext, 'Dockerfile'), `${dockerfile}\n`);
  built.push(IMAGES.npm);
  await lockedDocker(['build', '--quiet', '--label', LABEL, '--build-arg', `NODE_IMAGE=${base}`, '--tag', IMAGES.npm, '.'], { cwd: npmContext });
  return IMAGES.npm;
}

before(async () => {
  await requireDocker();
  const base = await nodeImage();
  const withNpm = await imageWithNpm(base);
  const packageContext = join(context, 'package');
  mkdirSync(join(packageContext, 'docker'), { recursive: true });
  const { tarball } = await pack(packageContext);
  cpSync(join(ROOT, 'docker/Dockerfile.package'), join(packageContext, 'docker/Dockerfile.package'));
  const common = ['build', '--quiet', '--label', LABEL, '--file', 'docker/Dockerfile.package', '--build-arg', `NODE_IMAGE=${withNpm}`, '--build-arg', `BATON_PACKAGE=/tmp/context/${basename(tarball)}`];
  // Both stages tagged: the classic builder would leave the build stage as an untagged image.
  built.push(IMAGES.stage, IMAGES.app);
  await lockedDocker([...common, '--target', 'baton', '--tag', IMAGES.stage, '.'], { cwd: packageContext });
  await lockedDocker([...common, '--tag', IMAGES.app, '.'], { cwd: packageContext });
});

after(async () => {
  rmSync(context, { recursive: true, force: true });
  if (built.length > 0) await lockedDocker(['image', 'rm', ...built.reverse()], { check: false, timeoutMs: 60_000 });
  built = [];
});

/** The Dockerfile's instructions: comments and blank lines dropped, continuation lines joined. */
function instructions(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

test('the README\'s Install Dockerfile is docker/Dockerfile.package with baton-init from the registry, followed by the app', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const install = /^## Install\n[\s\S]*?```dockerfile\n([\s\S]*?)```/m.exec(readme)?.[1];
  assert.ok(install !== undefined, 'README.md has an Install section with a dockerfile block');
  // The build arguments take their defaults (the registry's baton-init), and the COPY that
  // only brings a tarball in goes.
  const lines = instructions(readFileSync(join(ROOT, 'docker/Dockerfile.package'), 'utf8'));
  const defaults = new Map<string, string>();
  for (const [, name, value] of lines.map((line) => /^ARG (\w+)=(\S+)$/.exec(line) ?? [])) {
    if (name !== undefined && value !== undefined) defaults.set(name, value);
  }
  const tested = lines
    .filter((line) => !line.startsWith('ARG ') && !line.startsWith('COPY docker/Dockerfile.package'))
    .map((line) => line.replace(/"?\$\{?(\w+)\}?"?/g, (whole: string, name: string) => defaults.get(name) ?? whole));
  assert.deepEqual(instructions(install).slice(0, tested.length), tested);
});

test('the final image has the runtime at / (no package.json there, nothing of npm\'s install) and runs --version', async () => {
  const listing = await docker(['run', '--rm', '--entrypoint', 'sh', IMAGES.app, '-c', 'ls -A / /koffi; test ! -e /package.json && test ! -e /opt/baton && echo clean']);
  assert.match(listing.stdout, /^init\.js$/m);
  assert.match(listing.stdout, /^baton\.js$/m);
  assert.match(listing.stdout, /^linux_(x64|arm64)$/m);
  assert.match(listing.stdout, /^musl_(x64|arm64)$/m);
  assert.match(listing.stdout, /^clean$/m, listing.stdout);
  const version = await docker(['run', '--rm', IMAGES.app, '--version']);
  const packageVersion = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  assert.match(version.stdout, new RegExp(packageVersion.replaceAll('.', '\\.')));
});

/** A container of the image, not started yet, with the test's fixtures copied in at /fixtures. */
async function createWithFixtures(name: string, args: readonly string[]): Promise<string> {
  await docker(['create', '--name', name, '--label', LABEL, ...args]);
  await docker(['cp', FIXTURES, `${name}:/fixtures`]);
  return name;
}

test('single-command mode: the init reaps every orphan as PID 1 and exits with the command\'s code', async () => {
  const name = await createWithFixtures(`${NAME}-reap`, [IMAGES.app, '--', '/fixtures/zombie-factory.sh', '40', '7']);
  try {
    // zombie-factory.sh exits 7 once PID 1 has reaped its orphans, 99 if they stay zombies.
    const started = await docker(['start', '--attach', name], { check: false, timeoutMs: 90_000 });
    assert.equal(started.code, 7, started.stderr);
  } finally {
    await docker(['rm', '--force', name], { check: false });
  }
});

test('supervisor mode: a service of two instances, --status from docker exec, a clean docker stop', async () => {
  const name = await createWithFixtures(`${NAME}-supervise`, [
    '--env', 'BATON_WEB_COMMAND=["node","/fixtures/service.mjs","--ready=json"]',
    '--env', 'BATON_WEB_READY=notify',
    '--env', 'BATON_WEB_COUNT=2',
    IMAGES.app,
  ]);
  try {
    await docker(['start', name]);
    const log = new ContainerLog(name);
    try {
      await log.record(/generation 1 is running/, {}, 60_000);
      const status = await docker(['exec', name, 'node', '/init.js', '--status', '--json']);
      const snapshot = JSON.parse(status.stdout) as { pid: number; healthy: boolean; generations: Array<{ instances: Array<{ service: string; instance: number; state: string }> }> };
      assert.equal(snapshot.pid, 1);
      assert.equal(snapshot.healthy, true);
      assert.deepEqual(snapshot.generations[0]?.instances.map((i) => `${i.service}.${i.instance} ${i.state}`), ['web.1 ready', 'web.2 ready']);
      await docker(['stop', '--time', '20', name], { timeoutMs: 60_000 });
      assert.equal(await waitForState(name, '{{.State.ExitCode}} {{.State.Running}}', (value) => value.endsWith('false')), '0 false');
    } finally {
      log.close();
    }
  } finally {
    await docker(['rm', '--force', name], { check: false });
  }
});
