// Blue-green reload on SIGHUP and --reload, with rollback and the LISTEN handoff.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/init-process.ts';
import { createServer } from 'node:net';
import { freePort, get, startLoad } from '../helpers/net.ts';
import { service, supervise, type Supervised } from '../helpers/supervisor.ts';
import type { StatusSnapshot } from '../../src/control/protocol.ts';

function tempFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'baton-reload-')), name);
}

type Status = StatusSnapshot;

async function status(s: Supervised): Promise<Status> {
  const exit = await s.query('--status', '--json');
  assert.equal(exit.code, 0, exit.stderr);
  return JSON.parse(exit.stdout) as Status;
}

function livePids(snapshot: Status): (number | null)[] {
  return snapshot.generations.filter((g) => g.state === 'live').flatMap((g) => g.instances.map((i) => i.pid)).sort();
}


const web = (port: number, extra: Record<string, string> = {}): Record<string, string> => ({
  BATON_WEB_COMMAND: JSON.stringify([process.execPath, `${ROOT}examples/web.mjs`]),
  BATON_WEB_COUNT: '2',
  BATON_WEB_READY: 'notify',
  BATON_WEB_LISTEN: `127.0.0.1:${port}`,
  ...extra,
});

describe('reload', () => {
  test('SIGHUP replaces every pid; no old instance is signalled before every new one is ready', async () => {
    // Every new instance at once: one at a time (the default on 2 CPUs) could not show a
    // generation that commits before its last instance is ready.
    const s = supervise({
      BATON_A_COMMAND: service('--ready=json'),
      BATON_A_COUNT: '2',
      BATON_A_READY: 'notify',
      BATON_B_COMMAND: service('--ready=text --ready-after=200'),
      BATON_B_READY: 'notify',
      BATON_RELOAD_PARALLEL: 'all',
    });
    await s.record(/generation 1 is running/);
    const before = livePids(await status(s));
    s.init.signal('SIGHUP');
    await s.record(/reload committed/);
    const after = livePids(await status(s));
    assert.equal(after.length, 3);
    assert.deepEqual(after.filter((pid) => before.includes(pid)), [], 'every pid is new');
    const records = s.records();
    const lastNewReady = Math.max(...records.map((r, i) => (r.msg === 'ready' && r.generation === 2 ? i : -1)));
    const firstOldStop = records.findIndex((r) => /^stopping with/.test(String(r.msg)) && r.generation === 1);
    assert.ok(lastNewReady > 0 && firstOldStop > lastNewReady, 'old instances are stopped only after all new ones are ready');
    assert.equal(records.filter((r) => r.msg === 'ready' && r.generation === 2).length, 3);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('a new generation that crashes rolls back; the old pids stay and keep serving', async () => {
    const port = await freePort();
    const fail = tempFile('fail');
    const s = supervise(web(port, { WEB_FAIL_START_FILE: fail }));
    await s.record(/generation 1 is running/);
    const before = livePids(await status(s));
    writeFileSync(fail, '');
    const reload = await s.query('--reload');
    assert.equal(reload.code, 1, reload.stdout);
    assert.match(reload.stderr, /rolled back: generation 2: web\.\d exited before it was ready \(code 3\)/);
    assert.deepEqual(livePids(await status(s)), before);
    assert.match(await get(port, false), /generation 1/);
    const rolledBack = await s.record(/reload rolled back/);
    assert.equal(rolledBack.live, 1);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('a new generation that never becomes ready rolls back after READY_TIMEOUT', async () => {
    const hang = tempFile('hang');
    const s = supervise({ BATON_A_COMMAND: service(`--ready=json --hang-if=${hang} --status=booting`), BATON_A_READY: 'notify', BATON_A_READY_TIMEOUT: '1s' });
    await s.record(/generation 1 is running/);
    const before = livePids(await status(s));
    writeFileSync(hang, '');
    const reload = await s.query('--reload');
    assert.equal(reload.code, 1);
    assert.match(reload.stderr, /a\.1 not ready within 1000 ms \(last status: booting\)/);
    assert.deepEqual(livePids(await status(s)), before);
    assert.equal((await s.query('--health')).code, 0);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('--reload exits 0 on commit and prints the generation', async () => {
    const s = supervise({ BATON_A_COMMAND: service('--ready=json'), BATON_A_READY: 'notify' });
    await s.record(/generation 1 is running/);
    const reload = await s.query('--reload');
    assert.equal(reload.code, 0, reload.stderr);
    assert.match(reload.stdout, /reload committed: generation 2 is live \(\d+ ms\)/);
    const again = await s.query('--reload', '--json');
    assert.deepEqual(Object.keys(JSON.parse(again.stdout) as object).sort(), ['committed', 'generation', 'ms']);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('after reloads the init collects its own garbage: a debug record with the used heap before and after, the last after the last reload', async () => {
    // As the bench's memoryOverReloads: four instances that cost the init its whole reload work and nothing else.
    const s = supervise({
      BATON_A_COMMAND: JSON.stringify(['sh', '-c', 'echo READY=1 >&"$NOTIFY_PIPE"; exec sleep 1000']),
      BATON_A_COUNT: '4',
      BATON_A_READY: 'notify',
      BATON_RELOAD_PARALLEL: 'all',
      BATON_LOG_LEVEL: 'debug',
    });
    await s.record(/generation 1 is running/);
    for (let i = 0; i < 5; i++) {
      const reload = await s.query('--reload');
      assert.equal(reload.code, 0, reload.stderr);
    }
    const committed = (): number => s.records().findIndex((r) => /reload committed/.test(String(r.msg)) && r.generation === 6);
    const collectedAfterLast = (): Array<Record<string, unknown>> => s.records().filter((r, i) => /^collected the init's garbage after a reload/.test(String(r.msg)) && committed() !== -1 && i > committed());
    await s.init.waitUntil(() => collectedAfterLast().length > 0, "a collection of the init's garbage after the last reload");
    const [last] = collectedAfterLast();
    assert.equal(typeof last?.usedHeapBefore, 'number', JSON.stringify(last));
    assert.ok((last?.usedHeapAfter as number) < (last?.usedHeapBefore as number), `the old generations' objects were freed: ${JSON.stringify(last)}`);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('50 SIGHUPs during a reload give exactly one more reload and leave no process behind', async () => {
    // The new instances are ready only once the gate file exists, so that every SIGHUP
    // lands while generation 2 starts.
    const gate = tempFile('gate');
    writeFileSync(gate, '');
    // Readiness is the gate's to give: a ready timeout running out while a busy machine is
    // slow to deliver 50 signals would roll generation 2 back.
    const s = supervise({ BATON_A_COMMAND: service(`--ready=json --ready-when=${gate}`), BATON_A_COUNT: '2', BATON_A_READY: 'notify', BATON_RELOAD_PARALLEL: 'all', BATON_READY_TIMEOUT: '10m' });
    await s.record(/generation 1 is running/);
    rmSync(gate);
    s.init.signal('SIGHUP');
    await s.record(/^reload requested: generation 2/);
    for (let i = 0; i < 49; i++) s.init.signal('SIGHUP');
    // A signal of a higher number is taken after any SIGHUP still pending, and the init acts
    // on signals in the order it takes them: once SIGWINCH reached an instance, every SIGHUP was
    // handled. SIGWINCH, whose default is to be ignored: it also reaches generation 2's instances,
    // which may not handle signals yet, and SIGUSR1 would kill one of those, failing the reload.
    s.init.signal('SIGWINCH');
    await s.init.waitFor(/a\.1 got SIGWINCH/);
    await s.record(/it will run next/);
    writeFileSync(gate, '');
    await s.record(/reload committed/, { generation: 3 });
    const snapshot = await status(s);
    assert.equal(snapshot.reload, 'idle');
    assert.deepEqual(
      s.records().filter((r) => /reload committed/.test(String(r.msg))).map((r) => r.generation),
      [2, 3],
      'the reload in progress and exactly one more',
    );
    assert.deepEqual(snapshot.generations.map((g) => [g.number, g.state]), [[3, 'live']]);
    // The init's children as its own PID namespace numbers them (the last NSpid), to compare with --status.
    const children = readFileSync(`/proc/${s.init.pid}/task/${s.init.pid}/children`, 'utf8')
      .trim()
      .split(' ')
      .map((pid) => Number(/NSpid:.*\s(\d+)\n/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]))
      .sort();
    assert.deepEqual(children, livePids(snapshot), 'only the live instances are left under the init');
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('SIGTERM in the middle of a reload stops both generations and exits cleanly', async () => {
    const slow = tempFile('slow');
    // All at once, so that both new instances are running (never ready) when SIGTERM comes.
    const s = supervise({ BATON_A_COMMAND: service(`--ready=json --hang-if=${slow}`), BATON_A_COUNT: '2', BATON_A_READY: 'notify', BATON_RELOAD_PARALLEL: 'all' });
    await s.record(/generation 1 is running/);
    writeFileSync(slow, '');
    s.init.signal('SIGHUP');
    await s.record(/^spawned$/, { generation: 2, instance: 2 });
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    const exited = s.records().filter((r) => /^exited/.test(String(r.msg)));
    assert.equal(exited.length, 4, 'two instances of each generation exited');
  });

  test('BATON_RELOAD_PARALLEL=1: one new instance at a time, the others queued; SIGTERM then starts none of them', async () => {
    const slow = tempFile('slow');
    const s = supervise({ BATON_A_COMMAND: service(`--ready=json --hang-if=${slow}`), BATON_A_COUNT: '3', BATON_A_READY: 'notify', BATON_RELOAD_PARALLEL: '1' });
    await s.record(/generation 1 is running/);
    writeFileSync(slow, '');
    s.init.signal('SIGHUP');
    await s.record(/^spawned$/, { generation: 2, instance: 1 });
    const starting = (await status(s)).generations.find((g) => g.number === 2);
    assert.deepEqual(starting?.instances.map((i) => [i.instance, i.state, i.pid === null]), [
      [1, 'starting', false],
      [2, 'queued', true],
      [3, 'queued', true],
    ]);
    const table = await s.query('--status');
    assert.match(table.stdout, /^2 \(starting\)\s+a\.2\s+-\s+queued(\s+-){4}\s+0\s+-$/m, 'FOR, READY FOR, KEEP-ALIVE and RSS are empty');
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.deepEqual(s.records().filter((r) => r.msg === 'spawned' && r.generation === 2).map((r) => r.instance), [1]);
  });

  test('BATON_RELOAD_PARALLEL=1: each new instance starts once the one before it is ready', async () => {
    const s = supervise({ BATON_A_COMMAND: service('--ready=json --ready-after=50'), BATON_A_COUNT: '3', BATON_A_READY: 'notify', BATON_RELOAD_PARALLEL: '1' });
    await s.record(/generation 1 is running/);
    assert.equal((await s.query('--reload')).code, 0);
    const steps = s.records().filter((r) => r.generation === 2 && (r.msg === 'spawned' || r.msg === 'ready')).map((r) => `${String(r.msg)} a.${String(r.instance)}`);
    assert.deepEqual(steps, ['spawned a.1', 'ready a.1', 'spawned a.2', 'ready a.2', 'spawned a.3', 'ready a.3']);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('RELOAD=restart: the singleton never runs twice, and the reload commits', async () => {
    const lock = tempFile('lock');
    const s = supervise({
      BATON_WEB_COMMAND: service('--ready=json'),
      BATON_WEB_READY: 'notify',
      BATON_CRON_COMMAND: service(`--ready=json --exclusive=${lock}`),
      BATON_CRON_READY: 'notify',
      BATON_CRON_RELOAD: 'restart',
    });
    await s.record(/generation 1 is running/);
    const reload = await s.query('--reload');
    assert.equal(reload.code, 0, `${reload.stderr}\n${s.init.stdout}`);
    assert.doesNotMatch(s.init.stdout, /DOUBLE/);
    const records = s.records();
    const oldCronExit = records.findIndex((r) => r.service === 'cron' && r.generation === 1 && /^exited/.test(String(r.msg)));
    const newCronSpawn = records.findIndex((r) => r.service === 'cron' && r.generation === 2 && r.msg === 'spawned');
    const newWebReady = records.findIndex((r) => r.service === 'web' && r.generation === 2 && r.msg === 'ready');
    assert.ok(newWebReady < oldCronExit && oldCronExit < newCronSpawn, 'new web ready, then old cron gone, then new cron');
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('RELOAD=replace on the same singleton would run it twice: the reload rolls back', async () => {
    const lock = tempFile('lock');
    const s = supervise({ BATON_CRON_COMMAND: service(`--ready=json --exclusive=${lock}`), BATON_CRON_READY: 'notify' });
    await s.record(/generation 1 is running/);
    const reload = await s.query('--reload');
    assert.equal(reload.code, 1);
    assert.match(s.init.stdout, /DOUBLE/);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('RELOAD=signal: the instance gets SIGHUP and keeps its pid', async () => {
    const s = supervise({ BATON_A_COMMAND: service('--ready=json'), BATON_A_READY: 'notify', BATON_S_COMMAND: service('--ready=json'), BATON_S_READY: 'notify', BATON_S_RELOAD: 'signal' });
    await s.record(/generation 1 is running/);
    const before = (await status(s)).generations[0]?.instances.find((i) => i.service === 's')?.pid;
    assert.equal((await s.query('--reload')).code, 0);
    await s.init.waitFor(/s\.1 got SIGHUP/);
    const after = (await status(s)).generations[0]?.instances.find((i) => i.service === 's')?.pid;
    assert.equal(after, before);
    assert.equal((await status(s)).generations[0]?.number, 2);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('LISTEN hands the socket as fd 3 with LISTEN_PID equal to the instance pid; NOTIFY_PIPE moves to 4', async () => {
    const port = await freePort();
    const s = supervise({ BATON_A_COMMAND: service('--ready=json --print-listen'), BATON_A_READY: 'notify', BATON_A_LISTEN: `127.0.0.1:${port}` });
    await s.record(/generation 1 is running/);
    const [, pid, listenPid] = s.init.stdout.match(/LISTEN_FDS=1 LISTEN_PID=(\d+) LISTEN_FDNAMES=a NOTIFY_PIPE=4 pid=(\d+)/) ?? [];
    assert.ok(pid !== undefined && pid === listenPid, s.init.stdout);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('a LISTEN address that cannot be bound: exit 2 naming the variable, nothing spawned', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const s = supervise(web(port));
      const exit = await s.init.exited;
      assert.equal(exit.code, 2);
      assert.match(exit.stderr, /BATON_WEB_LISTEN: cannot listen: bind 127\.0\.0\.1:\d+: Address already in use/);
      assert.ok(!s.records().some((r) => r.msg === 'spawned'));
    } finally {
      blocker.close();
    }
  });

  test('HTTP load during 10 back-to-back reloads sees zero failed requests', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const s = supervise(web(port, { BATON_WEB_STOP_TIMEOUT: '10s' }));
    await s.record(/generation 1 is running/);
    const load = startLoad(port, 2000);
    for (let i = 0; i < 10; i++) {
      const reload = await s.query('--reload');
      assert.equal(reload.code, 0, reload.stderr);
    }
    const { ok, failures, generations } = await load.stop();
    assert.deepEqual(failures, []);
    assert.ok(ok > 100, `${ok} requests`);
    assert.ok(generations.size >= 3, `served by generations ${[...generations].join(',')}`);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });
});
