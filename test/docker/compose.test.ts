// Supervisor mode through compose.yaml: the example stack comes up healthy, says so in its
// log, serves on the published port, and stops at once and cleanly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { ComposeProject, ContainerLog, buildImages, docker, freePort, requireDocker, uniqueName, waitForState, type Images, type LogRecord } from './helpers.ts';

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

test('the example stack comes up healthy, every instance ready, serves, and `compose stop` ends it by the stop signal alone with exit 0', async () => {
  const container = await stack.up();
  log = new ContainerLog(container);

  // The compose healthcheck (`node /init.js --health`) turns healthy: polled from docker, with a deadline.
  await waitForState(container, '{{.State.Health.Status}}', (status) => status === 'healthy', 60_000);

  // The init's JSON log (the container's stderr): the migration completed before web was
  // spawned, every instance ready, then the generation running.
  await log.record(/generation 1 is running/);
  const records = log.records();
  const completed = records.findIndex((record) => record.service === 'migrate' && record.msg === 'completed (code 0)');
  const webSpawned = records.findIndex((record) => record.service === 'web' && record.msg === 'spawned');
  assert.ok(completed !== -1 && completed < webSpawned, 'the migrate oneshot completed before web was spawned');
  const output = log;
  await output.waitUntil(() => /migrate \(generation 1\): schema up to date/.test(output.stdout), "the migration's own output on stdout");
  const ready = records.filter((record) => record.msg === 'ready');
  const instances = ['jobs.1', 'web.1', 'web.2'];
  assert.deepEqual(ready.map((record) => `${record.service}.${record.instance}`).sort(), instances);
  const lastReady = Math.max(...ready.map((record) => records.indexOf(record)));
  assert.ok(lastReady < records.findIndex((record) => /generation 1 is running/.test(String(record.msg))));

  // Both web instances serve on the one socket the init holds, published on 127.0.0.1.
  const response = await fetchText(stack.port);
  assert.equal(response.status, 200);
  assert.match(response.body, /^hello from web\.[12] \(generation 1, pid \d+\)/);

  // A fast stop, said without a clock: docker's SIGTERM reaches the init, every instance gets its
  // STOP_SIGNAL and exits by itself (none killed after STOP_TIMEOUT), and the init exits 0 by
  // itself, before compose's own SIGKILL timeout (an init killed by docker would show 137).
  await stack.run(['stop', '--timeout', '10']);
  assert.equal(await waitForState(container, '{{.State.Status}}', (status) => status === 'exited'), 'exited');
  assert.equal((await docker(['inspect', '--format', '{{.State.ExitCode}}', container])).stdout.trim(), '0', log.stderr.slice(-3000));
  await log.record(/exiting with 0/);
  const stop = log.records();
  const id = (record: LogRecord): string => `${record.service}.${record.instance}`;
  assert.ok(stop.some((record) => /^SIGTERM: stopping every instance/.test(String(record.msg))), 'the init got SIGTERM');
  assert.deepEqual(stop.filter((record) => record.msg === 'stopping with SIGTERM').map(id).sort(), instances, 'each instance got its STOP_SIGNAL');
  assert.deepEqual(stop.filter((record) => /^exited \(/.test(String(record.msg)) && record.generation === 1).map(id).sort(), instances, 'each instance exited');
  assert.deepEqual(stop.filter((record) => /killed its process group/.test(String(record.msg))).map(id), [], 'none had to be killed');
});
