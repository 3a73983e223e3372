// docker/Dockerfile: what the init adds to an image, and that it runs from there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { COMPOSE_FILE, LABEL, OFFICIAL_NODE_IMAGE, buildImages, compose, docker, requireDocker, run, uniqueName, type Images } from './helpers.ts';

const NAME = uniqueName('image');
const MAX_BYTES = 5 * 1024 * 1024;
let images: Images;

before(async () => {
  await requireDocker();
  images = await buildImages(NAME);
});

after(async () => {
  await images?.remove();
});

/** The files of an image, from `docker export` of a container made (not started) from it. */
async function filesOf(image: string): Promise<Array<{ path: string; bytes: number }>> {
  const name = `${NAME}-files`;
  await docker(['create', '--name', name, '--label', LABEL, image, 'none']);
  try {
    const { stdout } = await run('sh', ['-c', `docker export ${name} | tar -tvf -`]);
    return stdout
      .split('\n')
      .filter((line) => line.startsWith('-'))
      .map((line) => {
        const fields = line.trim().split(/\s+/);
        return { path: fields.at(-1) ?? '', bytes: Number(fields[2]) };
      })
      // Docker puts these in every container; they are not the image's.
      .filter((file) => !['.dockerenv', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'dev/console'].includes(file.path));
  } finally {
    await docker(['rm', '--force', name], { check: false });
  }
}

test('the init stage holds /init.js, /baton.js, /baton-execa.js, /baton-pino.js, /listen-shim.cjs, the code cache for the image\'s Node and koffi for glibc and musl of the image architecture, nothing else, under 5 MB', async () => {
  const arch = (await docker(['run', '--rm', images.app, '--', 'node', '-p', 'process.arch'])).stdout.trim();
  const files = await filesOf(images.init);
  const paths = files.map((file) => file.path).sort();
  // One cache file, for baton.js on the image's Node and arch.
  const cache = paths.filter((path) => path.startsWith('init.js.cache/'));
  assert.ok(cache.length === 1 && cache.every((path) => new RegExp(`^init\\.js\\.cache/baton\\.js-[0-9a-f]{16}-v\\d+\\.\\d+\\.\\d+-${arch}\\.cache$`).test(path)), cache.join(', '));
  assert.deepEqual(paths.filter((path) => !cache.includes(path)), ['baton-execa.js', 'baton-pino.js', 'baton.js', 'init.js', `koffi/linux_${arch}/koffi.node`, `koffi/musl_${arch}/koffi.node`, 'listen-shim.cjs']);
  const total = files.reduce((sum, file) => sum + file.bytes, 0);
  assert.ok(total < MAX_BYTES, `the init adds ${total} bytes`);
  const size = Number((await docker(['image', 'inspect', '--format', '{{.Size}}', images.init])).stdout.trim());
  assert.ok(size > 0 && size < MAX_BYTES, `the init image is ${size} bytes`);
  // In the app image it is one layer of that size on top of the Node image.
  const base = Number((await docker(['image', 'inspect', '--format', '{{.Size}}', images.nodeImage])).stdout.trim());
  const app = Number((await docker(['image', 'inspect', '--format', '{{.Size}}', images.app])).stdout.trim());
  assert.ok(app - base < MAX_BYTES + 1024 * 1024, `the app image adds ${app - base} bytes to ${images.nodeImage} (init and examples)`);
});

test('/init.js runs as CommonJS with no package.json beside it, and loads koffi (reaping) as PID 1', async () => {
  const exit = await docker(['run', '--rm', images.app, '--', 'sh', '-c', 'test ! -e /package.json && node /init.js --version']);
  assert.match(exit.stdout, /^baton \d+\.\d+\.\d+/);
  // -s loads koffi at start (the child subreaper call), so a koffi that cannot load fails here.
  const koffi = await docker(['run', '--rm', '--entrypoint', 'node', images.app, '/init.js', '-s', '--', 'sh', '-c', 'sh -c "sleep 0.1 &"; exit 5'], { check: false });
  assert.equal(koffi.code, 5, koffi.stderr);
});

test('compose.yaml is valid for this compose, builds docker/Dockerfile, defaults NODE_IMAGE to the official image', async () => {
  const [file, ...rest] = compose as [string, ...string[]];
  const env = { NODE_IMAGE: undefined, EXAMPLE_IMAGE: undefined, EXAMPLE_PORT: undefined, HEALTHCHECK_INTERVAL: undefined };
  const { stdout } = await run(file, [...rest, '--file', COMPOSE_FILE, 'config'], { env });
  assert.match(stdout, /dockerfile: docker\/Dockerfile/);
  assert.match(stdout, new RegExp(`NODE_IMAGE: ${OFFICIAL_NODE_IMAGE.replace(/[.]/g, '\\.')}`));
  assert.match(stdout, /127\.0\.0\.1:8080:8080/);
  assert.match(stdout, /--health/);
});
