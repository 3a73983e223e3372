// Supervisor mode through compose.yaml: the example stack comes up healthy, says so in its
// log, serves on the published port, and stops at once and cleanly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ComposeProject, ContainerLog, buildImages, compose, docker, freePort, requireDocker, uniqueName, waitForState, type Images } from './helpers.ts';

const NAME = uniqueName('compose');
let images: Images;
let stack: ComposeProject;
let log: ContainerLog | undefined;

before(async () => {
  await requireDocker();
  images = await buildImages(NAME);
  stack = new ComposeProject(NAME, images, await freePort());
});

after(async () => {
  log?.close();
  await stack?.down();
  await images?.remove();
});

function fetchText(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

test('the example stack comes up healthy, every instance ready, serves, and `compose stop` ends it at once with exit 0', async (t) => {
  const container = await stack.up();
  log = new ContainerLog(container);

  // The compose healthcheck (`node /init.js --health`) turns healthy: polled from docker, with a deadline.
  await waitForState(container, '{{.State.Health.Status}}', (status) => status === 'healthy', 60_000);

  // The init's JSON log (the container's stderr): every instance ready, then the generation running.
  await log.record(/generation 1 is running/);
  const records = log.records();
  const ready = records.filter((record) => record.msg === 'ready');
  assert.deepEqual(ready.map((record) => `${record.service}.${record.instance}`).sort(), ['jobs.1', 'web.1', 'web.2']);
  const lastReady = Math.max(...ready.map((record) => records.indexOf(record)));
  assert.ok(lastReady < records.findIndex((record) => /generation 1 is running/.test(String(record.msg))));

  // Both web instances serve on the one socket the init holds, published on 127.0.0.1.
  const response = await fetchText(stack.port);
  assert.equal(response.status, 200);
  assert.match(response.body, /^hello from web\.[12] \(generation 1, pid \d+\)/);

  const started = performance.now();
  await stack.run(['stop']);
  const stopMs = performance.now() - started;
  t.diagnostic(`${compose.join(' ')} stop took ${Math.round(stopMs)} ms`);
  assert.equal(await waitForState(container, '{{.State.Status}}', (status) => status === 'exited'), 'exited');
  assert.equal((await docker(['inspect', '--format', '{{.State.ExitCode}}', container])).stdout.trim(), '0', log.stderr.slice(-3000));
  // The spec: well under 2 s (compose's default grace period is 10 s; the init drains and exits).
  assert.ok(stopMs < 2_000, `compose stop took ${Math.round(stopMs)} ms`);
  await log.record(/exiting with 0/);
});
