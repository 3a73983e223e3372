// Blue-green reload of the compose example: `docker compose kill -s HUP app` starts a new
// generation of both services beside the live one, and stops the old one only once all of
// the new one is ready; the web service's socket stays with the init, so no request fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, get } from 'node:http';
import { ComposeProject, ContainerLog, buildImages, docker, freePort, requireDocker, uniqueName, type Images, type LogRecord } from './helpers.ts';

const NAME = uniqueName('reload');
let images: Images;
let stack: ComposeProject;
let container: string;
let log: ContainerLog;
/** The generation that is live now. */
let live = 1;

before(async () => {
  await requireDocker();
  images = await buildImages(NAME);
  stack = new ComposeProject(NAME, images, await freePort());
  container = await stack.up();
  log = new ContainerLog(container);
  await log.record(/generation 1 is running/);
});

after(async () => {
  log?.close();
  await stack?.down();
  await images?.remove();
});

const isReady = (generation: number) => (record: LogRecord) => record.msg === 'ready' && record.generation === generation;
const isStopping = (generation: number) => (record: LogRecord) => /^stopping with/.test(String(record.msg)) && record.generation === generation;

/** Sends SIGHUP to the container (the init) and waits for the reload to be committed. */
async function reload(): Promise<number> {
  const next = live + 1;
  await stack.run(['kill', '-s', 'HUP', 'app']);
  await log.record(/reload committed/, { generation: next });
  live = next;
  return next;
}

test('SIGHUP: new pids for both services, and no old instance is stopped before every new one is ready', async () => {
  const old = live;
  const next = await reload();
  // Every old instance has been asked to stop by then; wait for their exits as well.
  await log.waitUntil(() => log.records().filter((r) => r.msg !== undefined && /^exited/.test(r.msg) && r.generation === old).length === 3, `the 3 instances of generation ${old} to exit`);

  const records = log.records();
  const newReady = records.filter(isReady(next));
  const oldReady = records.filter(isReady(old));
  assert.deepEqual(newReady.map((r) => `${r.service}.${r.instance}`).sort(), ['jobs.1', 'web.1', 'web.2']);
  const oldPids = new Set(oldReady.map((r) => r.pid));
  assert.equal(oldPids.size, 3);
  for (const record of newReady) assert.ok(!oldPids.has(record.pid), `pid ${String(record.pid)} of generation ${next} was already in generation ${old}`);
  for (const service of ['web', 'jobs']) assert.ok(newReady.some((r) => r.service === service), service);

  const lastNewReady = Math.max(...newReady.map((r) => records.indexOf(r)));
  const oldStopping = records.map((r, index) => (isStopping(old)(r) ? index : -1)).filter((index) => index >= 0);
  assert.equal(oldStopping.length, 3, 'each old instance is stopped');
  assert.ok(lastNewReady < Math.min(...oldStopping), 'an old instance was stopped before every new one was ready');

  // The live pids are the new ones: `--status --json` from inside the container agrees.
  const status = await docker(['exec', container, 'node', '/init.js', '--status', '--json']);
  const pids = JSON.stringify(JSON.parse(status.stdout));
  for (const record of newReady) assert.ok(pids.includes(String(record.pid)), `pid ${String(record.pid)} not in --status`);
});

interface Load {
  ok: number;
  generations: Set<string>;
  failures: string[];
  /** Resolves once `count` requests have been answered (or one has failed). */
  answered(count: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * HTTP load on the published port, until stopped, at most `max` requests or `deadlineMs`:
 * two clients that keep their connections alive and two that open one per request.
 */
function startLoad(port: number, max = 20_000, deadlineMs = 60_000): Load {
  const waiters: Array<() => void> = [];
  const load: Load = {
    ok: 0,
    generations: new Set(),
    failures: [],
    answered: (count) =>
      new Promise((resolve) => {
        const check = (): void => {
          if (load.ok >= count || load.failures.length > 0 || stopped) resolve();
          else waiters.push(check);
        };
        check();
      }),
    stop: async () => undefined,
  };
  const settled = (): void => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  let stopped = false;
  let sent = 0;
  const ends = Date.now() + deadlineMs;
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 2 });

  const once = (agent: Agent | false): Promise<void> =>
    new Promise((resolve) => {
      const request = get({ host: '127.0.0.1', port, path: '/', agent, timeout: 5_000 }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          const generation = /\(generation (\d+)/.exec(body)?.[1];
          if (response.statusCode === 200 && generation !== undefined) {
            load.ok += 1;
            load.generations.add(generation);
          } else {
            load.failures.push(`status ${response.statusCode}: ${body.slice(0, 200)}`);
          }
          resolve();
        });
        response.on('error', (error) => {
          load.failures.push(`response: ${error.message}`);
          resolve();
        });
      });
      request.on('timeout', () => request.destroy(new Error('no answer in 5 s')));
      request.on('error', (error: NodeJS.ErrnoException) => {
        load.failures.push(`${agent ? 'keep-alive' : 'new connection'}${request.reusedSocket ? ' (reused socket)' : ''}: ${error.code ?? ''} ${error.message}`);
        resolve();
      });
    });

  const client = async (agent: Agent | false): Promise<void> => {
    while (!stopped && sent < max && Date.now() < ends) {
      sent += 1;
      await once(agent);
      settled();
    }
  };
  const clients = [client(keepAlive), client(keepAlive), client(false), client(false)];
  load.stop = async () => {
    stopped = true;
    settled();
    await Promise.all(clients);
    keepAlive.destroy();
  };
  return load;
}

test('HTTP load during 5 reloads sees no failure, on kept-alive and on new connections', async (t) => {
  const first = live;
  const load = startLoad(stack.port);
  try {
    // Some traffic before the first reload, then 5 reloads back to back, each committed before the next.
    await load.answered(20);
    for (let i = 0; i < 5; i++) await reload();
  } finally {
    await load.stop();
  }
  t.diagnostic(`${load.ok} requests answered across generations ${[...load.generations].join(', ')}; ${load.failures.length} failed`);
  assert.deepEqual(load.failures.slice(0, 20), []);
  assert.ok(load.ok >= 50, `only ${load.ok} requests went through`);
  assert.ok(load.generations.has(String(first)) && load.generations.size >= 2, `answers came from generations ${[...load.generations].join(', ')}`);
});

test('a reload whose new generation fails rolls back: the old generation stays live and serves', async () => {
  const old = live;
  const oldWeb = log.records().filter((r) => isReady(old)(r) && r.service === 'web').map((r) => r.pid);
  // New web instances fail their start while the file named by WEB_FAIL_START_FILE (compose.yaml) exists.
  await docker(['exec', container, 'touch', '/tmp/web-fail-start']);
  try {
    await stack.run(['kill', '-s', 'HUP', 'app']);
    await log.record(/rolled back/, {}, 60_000);
  } finally {
    await docker(['exec', container, 'rm', '-f', '/tmp/web-fail-start']);
  }
  const failed = old + 1;
  assert.deepEqual(log.records().filter(isStopping(old)), [], 'an instance of the live generation was stopped');
  assert.equal(log.records().filter(isReady(failed)).filter((r) => r.service === 'web').length, 0);

  // Still served by the old generation, on new connections.
  for (let i = 0; i < 10; i++) {
    const body = await new Promise<string>((resolve, reject) => {
      const request = get({ host: '127.0.0.1', port: stack.port, path: '/', agent: false, timeout: 5_000 }, (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve(text));
      });
      request.on('timeout', () => request.destroy(new Error('no answer in 5 s')));
      request.on('error', reject);
    });
    const [, generation, pid] = /\(generation (\d+), pid (\d+)\)/.exec(body) ?? [];
    assert.equal(Number(generation), old, body);
    assert.ok(oldWeb.includes(Number(pid)), `pid ${pid} is not one of generation ${old}'s web instances ${oldWeb.join(', ')}`);
  }
  assert.equal((await docker(['exec', container, 'node', '/init.js', '--health'], { check: false })).code, 0, 'not healthy after the rollback');

  // Once the cause is gone, the next reload goes through.
  await stack.run(['kill', '-s', 'HUP', 'app']);
  const committed = (r: LogRecord): boolean => /reload committed/.test(String(r.msg)) && Number(r.generation) > old;
  await log.waitUntil(() => log.records().some(committed), `a reload committed after generation ${old}`);
  live = Number(log.records().find(committed)?.generation);
});
