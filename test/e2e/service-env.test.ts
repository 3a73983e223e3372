// BATON_<NAME>_ENV_<VAR> with real processes: what each instance's environment really holds
// (read from /proc/<pid>/environ, so the init runs outside a PID namespace and the pids of its
// `spawned` records are the test's), where execvp looks for the program, and the refusals.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logRecords, runInit } from '../helpers/init-process.ts';
import { freePort } from '../helpers/net.ts';
import { cleanBase, service, supervise } from '../helpers/supervisor.ts';

const TMP = mkdtempSync(join(tmpdir(), 'baton-service-env-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
/** A directory only a per-service PATH names, with a program found nowhere else. */
const BIN = join(TMP, 'bin');
mkdirSync(BIN);
const PROGRAM = 'baton-only-in-service-path';
writeFileSync(join(BIN, PROGRAM), '#!/bin/sh\necho "$BATON_SERVICE ran $0"\nexec sleep 600\n', { mode: 0o755 });

/** A process's environment as the kernel kept it at exec. */
function environOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** The pid of each `spawned` record, by `service.instance`. */
function spawnedPids(records: Array<Record<string, unknown>>): Map<string, number> {
  return new Map(records.filter((record) => record.msg === 'spawned').map((record) => [`${String(record.service)}.${String(record.instance)}`, record.pid as number]));
}

function messages(stderr: string): string {
  return logRecords(stderr).map((record) => String(record.msg)).join('\n');
}

describe('per-service environment', () => {
  test("a service's variables are in its instances' environ and in no other service's", async () => {
    const s = supervise(
      {
        SHARED: 'from the init',
        BATON_WEB_COMMAND: service('--ready=json'),
        BATON_WEB_READY: 'notify',
        BATON_WEB_COUNT: '2',
        BATON_WEB_ENV_NODE_OPTIONS: '--max-old-space-size=256',
        BATON_WEB_ENV_SHARED: 'from web',
        BATON_WEB_ENV_EMPTY: '',
        BATON_WEB_ENV_http_proxy: 'http://proxy:3128',
        BATON_JOBS_COMMAND: service('--ready=json'),
        BATON_JOBS_READY: 'notify',
        BATON_JOBS_ENV_QUEUE: 'default',
        BATON_SIDE_COMMAND: service('--ready=json'),
        BATON_SIDE_READY: 'notify',
        // USER sets HOME, USER and LOGNAME from /etc/passwd; a variable asked for by name wins.
        BATON_SIDE_USER: 'root',
        BATON_SIDE_ENV_HOME: TMP,
      },
      { pidNamespace: false },
    );
    await s.record(/generation 1 is running/);
    const pids = spawnedPids(s.records());
    assert.deepEqual([...pids.keys()].sort(), ['jobs.1', 'side.1', 'web.1', 'web.2']);
    const environs = new Map([...pids].map(([name, pid]) => [name, environOf(pid)]));
    const only = (variable: string): string[] => [...environs].filter(([, environ]) => environ.has(variable)).map(([name]) => name).sort();

    for (const web of ['web.1', 'web.2']) {
      const environ = environs.get(web);
      assert.equal(environ?.get('NODE_OPTIONS'), '--max-old-space-size=256', web);
      assert.equal(environ?.get('SHARED'), 'from web', `${web}: a per-service variable wins over the init's`);
      assert.equal(environ?.get('EMPTY'), '', `${web}: an empty value is set, empty`);
      assert.equal(environ?.get('http_proxy'), 'http://proxy:3128', `${web}: names keep their case`);
      assert.equal(environ?.get('BATON_SERVICE'), 'web');
    }
    assert.deepEqual(only('NODE_OPTIONS'), ['web.1', 'web.2']);
    assert.deepEqual(only('EMPTY'), ['web.1', 'web.2']);
    assert.deepEqual(only('http_proxy'), ['web.1', 'web.2']);
    assert.deepEqual(only('QUEUE'), ['jobs.1']);
    assert.equal(environs.get('jobs.1')?.get('QUEUE'), 'default');
    for (const other of ['jobs.1', 'side.1']) assert.equal(environs.get(other)?.get('SHARED'), 'from the init', `${other} keeps the init's SHARED`);
    assert.deepEqual([environs.get('side.1')?.get('HOME'), environs.get('side.1')?.get('USER')], [TMP, 'root'], "side's HOME is its own, its USER root's");
    assert.equal(only('BATON_WEB_ENV_NODE_OPTIONS').length, 0, 'the BATON_ variables themselves are not passed on');
    assert.doesNotMatch(s.init.stderr, /proxy:3128/, "the init's log shows no value");

    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
  });

  test("a per-service PATH is where the program is looked for, with and without the exec step, and --check agrees", async () => {
    const port = await freePort();
    const path = `${BIN}:/usr/bin:/bin`;
    const env = {
      // Spawned straight away (execa, libuv's execvp) ...
      BATON_DIRECT_COMMAND: PROGRAM,
      BATON_DIRECT_ENV_PATH: path,
      // ... and through the init's exec step (LISTEN needs LISTEN_PID set after fork), which calls execvpe.
      BATON_STEPPED_COMMAND: PROGRAM,
      BATON_STEPPED_ENV_PATH: path,
      BATON_STEPPED_LISTEN: `127.0.0.1:${port}`,
    };
    const check = await runInit(['--check'], { pidNamespace: false, env: { ...cleanBase(), ...env }, cleanEnv: true });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^service direct\n(?: {2}.*\n)* {2}env {13}the init's, and sets PATH$/m);

    const s = supervise(env, { pidNamespace: false });
    // Printed by the program itself: found, and run (past the exec step's own exec).
    await s.init.waitFor(new RegExp(`^direct ran ${BIN}/${PROGRAM}$`, 'm'));
    await s.init.waitFor(new RegExp(`^stepped ran ${BIN}/${PROGRAM}$`, 'm'));
    const pids = spawnedPids(s.records());
    for (const name of ['direct.1', 'stepped.1']) {
      const pid = pids.get(name);
      assert.ok(pid !== undefined, name);
      assert.equal(environOf(pid).get('PATH'), path, name);
    }
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test("without it, the init's PATH is searched: --check refuses the program, naming the PATH it searched", async () => {
    const withIt = await runInit(['--check'], { pidNamespace: false, env: { ...cleanBase(), PATH: '/usr/bin:/bin', BATON_A_COMMAND: PROGRAM }, cleanEnv: true });
    assert.equal(withIt.code, 2, withIt.stderr);
    assert.match(messages(withIt.stderr), new RegExp(`BATON_A_COMMAND: the program ${PROGRAM} is not found in PATH \\(/usr/bin:/bin\\)`));
    // And a per-service PATH that lacks it is the one named, even when the init's PATH has it.
    const env = { ...cleanBase(), PATH: `${BIN}:/usr/bin:/bin`, BATON_A_COMMAND: PROGRAM, BATON_A_ENV_PATH: '/usr/bin:/bin' };
    const exit = await runInit(['--check'], { pidNamespace: false, env, cleanEnv: true });
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(messages(exit.stderr), new RegExp(`BATON_A_COMMAND: the program ${PROGRAM} is not found in PATH \\(/usr/bin:/bin, from BATON_A_ENV_PATH\\)`));
  });

  test('--check lists the names, never the values', async () => {
    const env = { ...cleanBase(), BATON_WEB_COMMAND: 'true', BATON_WEB_ENV_DATABASE_URL: 'postgres://app:s3cret@db/app', BATON_WEB_ENV_PORT: '8080' };
    const exit = await runInit(['--check'], { pidNamespace: false, env, cleanEnv: true });
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /^ {2}env {13}the init's, and sets DATABASE_URL, PORT$/m);
    assert.doesNotMatch(exit.stdout + exit.stderr, /s3cret/);
  });

  const refused: Array<[string, Record<string, string>, RegExp]> = [
    ['a variable baton sets for each instance', { BATON_WEB_ENV_NOTIFY_SOCKET: '/tmp/x.sock' }, /BATON_WEB_ENV_NOTIFY_SOCKET: NOTIFY_SOCKET cannot be set per service/],
    ['a BATON_ name', { BATON_WEB_ENV_BATON_SERVICE: 'other' }, /BATON_WEB_ENV_BATON_SERVICE: BATON_SERVICE cannot be set per service/],
    ['a name that is not a variable name', { BATON_WEB_ENV_A_B: 'ok', 'BATON_WEB_ENV_A-B': 'x' }, /BATON_WEB_ENV_A-B: "A-B" is not an environment variable name/],
    ['a service name with the word ENV', { BATON_ENV_COMMAND: 'true' }, /BATON_ENV_COMMAND: "ENV" is not a service name: ENV cannot be one of its words/],
    ['a variable for an undeclared service', { BATON_JOBS_ENV_X: '1' }, /BATON_JOBS_ENV_X: sets X for service jobs, but no service jobs is declared/],
  ];
  for (const [name, env, message] of refused) {
    test(`start-up refuses ${name}: exit 2, nothing spawned`, async () => {
      const marker = join(mkdtempSync(join(TMP, 'spawned-')), 'spawned');
      const s = supervise({ BATON_WEB_COMMAND: service(`--touch=${marker}`), ...env });
      const exit = await s.init.exited;
      assert.equal(exit.code, 2, exit.stderr);
      assert.match(messages(exit.stderr), message);
      assert.equal(existsSync(marker), false, 'nothing may be spawned');
    });
  }
});
