// Supervisor mode, the built init as PID 1 of a PID namespace, real child programs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runInit } from '../helpers/init-process.ts';
import { freePort } from '../helpers/net.ts';
import { cleanBase, service, supervise } from '../helpers/supervisor.ts';

describe('start', () => {
  test('two services with counts start in parallel, each instance ready, then the generation runs', async () => {
    const s = supervise({
      BATON_WEB_COMMAND: service('--ready=json'),
      BATON_WEB_COUNT: '2',
      BATON_WEB_READY: 'notify',
      BATON_JOBS_COMMAND: service('--ready=text'),
      BATON_JOBS_READY: 'notify',
    });
    await s.record(/generation 1 is running/);
    const ready = s.records().filter((record) => record.msg === 'ready');
    assert.deepEqual(ready.map((record) => `${record.service}.${record.instance}`).sort(), ['jobs.1', 'web.1', 'web.2']);
    for (const record of ready) assert.equal(typeof record.pid, 'number');
    const records = s.records();
    const running = records.findIndex((record) => /generation 1 is running/.test(String(record.msg)));
    const lastReady = Math.max(...ready.map((record) => records.indexOf(record)));
    assert.ok(lastReady < running, 'every instance is ready before the generation runs');
    const status = await s.query('--status', '--json');
    const snapshot = JSON.parse(status.stdout) as { healthy: boolean; generations: Array<{ instances: Array<{ state: string; service: string; lastStatus: string | null }> }> };
    assert.equal(snapshot.healthy, true);
    assert.deepEqual(snapshot.generations[0]?.instances.map((i) => i.state), ['ready', 'ready', 'ready']);
    assert.equal(snapshot.generations[0]?.instances.find((i) => i.service === 'web')?.lastStatus, 'all systems go');
    const health = await s.query('--health');
    assert.equal(health.code, 0, health.stderr);
    const table = await s.query('--status');
    assert.match(table.stdout, /web\.2/);
    assert.match(table.stdout, /healthy/);
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
  });

  const channels: Array<[string, Record<string, string>]> = [
    ['a JSON line on NOTIFY_PIPE', { BATON_A_COMMAND: service('--ready=json'), BATON_A_READY: 'notify' }],
    ['READY=1 on NOTIFY_PIPE', { BATON_A_COMMAND: service('--ready=text'), BATON_A_READY: 'notify' }],
    ['a bare newline on NOTIFY_PIPE (s6)', { BATON_A_COMMAND: service('--ready=newline'), BATON_A_READY: 'notify' }],
    ['systemd-notify --ready on NOTIFY_SOCKET', { BATON_A_COMMAND: service('--ready=systemd-notify'), BATON_A_READY: 'notify' }],
    [
      'a READY=1 datagram without a final newline on NOTIFY_SOCKET',
      // The sender is the instance itself and stays: the init checks the sender of each datagram.
      { BATON_A_COMMAND: JSON.stringify(['sh', '-c', `exec python3 ${FIXTURES}/notify-send.py --stay "$NOTIFY_SOCKET" READY=1`]), BATON_A_READY: 'notify' },
    ],
  ];
  for (const [name, env] of channels) {
    test(`readiness by ${name}`, async () => {
      const s = supervise(env);
      await s.record(/generation 1 is running/);
      s.init.signal('SIGTERM');
      assert.equal((await s.init.exited).code, 0);
    });
  }

  test('readiness by a TCP probe and by an HTTP probe', async () => {
    const [tcp, http] = [await freePort(), await freePort()];
    const s = supervise({
      BATON_T_COMMAND: service(`--ready=listen:${tcp} --ready-after=300`),
      BATON_T_READY: `tcp:127.0.0.1:${tcp}`,
      BATON_H_COMMAND: service(`--ready=listen:${http} --ready-after=300`),
      BATON_H_READY: `http://127.0.0.1:${http}/health`,
    });
    await s.record(/generation 1 is running/);
    assert.deepEqual(s.records().filter((r) => r.msg === 'ready').map((r) => r.service).sort(), ['h', 't']);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('a child that never becomes ready fails the start within READY_TIMEOUT: everything stops, exit 1', async () => {
    const s = supervise({
      BATON_GOOD_COMMAND: service('--ready=json'),
      BATON_GOOD_READY: 'notify',
      BATON_SLOW_COMMAND: service('--never-ready --status=still-warming'),
      BATON_SLOW_READY: 'notify',
      // long enough for a Node child to start and send its STATUS on a busy machine
      BATON_SLOW_READY_TIMEOUT: '5s',
    });
    const exit = await s.init.exited;
    assert.equal(exit.code, 1, exit.stderr);
    const failure = s.records().find((record) => /start failed/.test(String(record.msg)));
    assert.equal(failure?.service, 'slow');
    assert.match(String(failure?.reason), /not ready within 5000 ms/);
    assert.equal(failure?.lastStatus, 'still-warming');
    assert.ok(s.records().some((record) => record.service === 'good' && /exited/.test(String(record.msg))), 'the good service was stopped too');
  });

  test('an instance that was ready and exits while the others still start fails the start', async () => {
    const s = supervise({
      BATON_QUICK_COMMAND: service('--ready=json --exit-after=0 --code=5'),
      BATON_QUICK_READY: 'notify',
      BATON_SLOW_COMMAND: service('--never-ready'),
      BATON_SLOW_READY: 'notify',
    });
    const exit = await s.init.exited;
    assert.equal(exit.code, 1, exit.stderr);
    const failure = s.records().find((record) => /start failed/.test(String(record.msg)));
    assert.equal(failure?.service, 'quick');
    assert.match(String(failure?.reason), /code 5/);
  });

  test('an instance that exits before it is ready fails the start with its code', async () => {
    const s = supervise({ BATON_BAD_COMMAND: JSON.stringify(['sh', '-c', 'exit 7']), BATON_BAD_READY: 'notify' });
    const exit = await s.init.exited;
    assert.equal(exit.code, 1);
    assert.match(String(s.records().find((record) => /start failed/.test(String(record.msg)))?.reason), /code 7/);
  });

  test('a command that cannot be spawned fails the start with a message naming it', async () => {
    // A program that is there but whose interpreter is not: only exec can tell (a missing program is refused up front, see config-guards.test.ts).
    const program = join(mkdtempSync(join(tmpdir(), 'baton-ghost-')), 'ghost');
    writeFileSync(program, '#!/no/such/interpreter\n', { mode: 0o755 });
    const s = supervise({ BATON_GHOST_COMMAND: `${program} --flag` });
    const exit = await s.init.exited;
    assert.equal(exit.code, 1);
    assert.match(exit.stderr, /ghost/);
    assert.match(String(s.records().find((record) => /start failed/.test(String(record.msg)))?.reason), /ENOENT|ghost/);
  });
});

describe('crashes and restarts', () => {
  test('restart with backoff, then the crash-loop cut-off exits 75', async () => {
    const s = supervise({
      BATON_FLAKY_COMMAND: service('--ready=json --exit-after=0 --code=1'),
      BATON_FLAKY_READY: 'notify',
      BATON_MAX_RESTARTS: '3',
    });
    const exit = await s.init.exited;
    assert.equal(exit.code, 75, exit.stderr);
    const delays = s.records().filter((record) => /restarting in/.test(String(record.msg))).map((record) => record.delayMs);
    assert.deepEqual(delays, [100, 200, 400]);
    assert.ok(s.records().some((record) => record.level === 60 && /restarted more than 3 times/.test(String(record.msg))));
    const generations = s.records().filter((record) => record.msg === 'spawned').length;
    assert.equal(generations, 4, 'the first start and three restarts');
  });

  test('RESTART=never: an instance that exits is not restarted; the init exits with its code once none is left', async () => {
    const s = supervise({
      BATON_ONCE_COMMAND: service('--ready=json --exit-after=0 --code=4'),
      BATON_ONCE_READY: 'notify',
      BATON_ONCE_RESTART: 'never',
    });
    const exit = await s.init.exited;
    assert.equal(exit.code, 4, exit.stderr);
    assert.ok(!s.records().some((record) => /restarting/.test(String(record.msg))));
  });

  test('RESTART=on-failure: exit 0 stays down (init exits 0), a failure is restarted', async () => {
    const clean = supervise({ BATON_JOB_COMMAND: service('--ready=json --exit-after=0 --code=0'), BATON_JOB_READY: 'notify', BATON_JOB_RESTART: 'on-failure' });
    assert.equal((await clean.init.exited).code, 0);
    assert.ok(!clean.records().some((record) => /restarting/.test(String(record.msg))));

    const failing = supervise({ BATON_JOB_COMMAND: service('--ready=json --exit-after=0 --code=2'), BATON_JOB_READY: 'notify', BATON_JOB_RESTART: 'on-failure', BATON_MAX_RESTARTS: '1' });
    const exit = await failing.init.exited;
    assert.equal(exit.code, 75, 'crash loop after one restart');
    assert.equal(failing.records().filter((record) => /restarting in/.test(String(record.msg))).length, 1);
  });

  test('a crashed instance comes back ready and the rest keep running', async () => {
    const mark = join(mkdtempSync(join(tmpdir(), 'baton-mark-')), 'crashed');
    const s = supervise({
      BATON_STEADY_COMMAND: service('--ready=json'),
      BATON_STEADY_READY: 'notify',
      BATON_ONCE_COMMAND: service(`--ready=json --crash-on-usr2=${mark}`),
      BATON_ONCE_READY: 'notify',
    });
    await s.record(/generation 1 is running/);
    s.init.signal('SIGUSR2');
    await s.record(/restarting in 100 ms/, { service: 'once' });
    await s.init.waitUntil(() => s.records().filter((r) => r.msg === 'ready' && r.service === 'once').length === 2, 'the restarted instance is ready');
    const steady = s.records().filter((record) => record.service === 'steady' && record.msg === 'spawned');
    assert.equal(steady.length, 1, 'the other service was left alone');
    assert.equal((await s.query('--health')).code, 0);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });
});

describe('stopping', () => {
  test('a child that ignores SIGTERM is killed after STOP_TIMEOUT while a polite one exits at once', async () => {
    const s = supervise({
      BATON_POLITE_COMMAND: service('--ready=json'),
      BATON_POLITE_READY: 'notify',
      BATON_STUBBORN_COMMAND: service('--ready=json --ignore-term'),
      BATON_STUBBORN_READY: 'notify',
      BATON_STUBBORN_STOP_TIMEOUT: '1s',
    });
    await s.record(/generation 1 is running/);
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    const records = s.records();
    const politeExit = records.findIndex((r) => r.service === 'polite' && /^exited/.test(String(r.msg)));
    const killed = records.findIndex((r) => r.service === 'stubborn' && /killed its process group/.test(String(r.msg)));
    assert.ok(politeExit >= 0 && killed >= 0, exit.stderr);
    assert.ok(politeExit < killed, 'the polite instance exited before the stubborn one was killed');
    assert.equal(records[killed]?.stopTimeoutMs, 1000);
    assert.ok(!records.some((r) => r.service === 'polite' && /killed/.test(String(r.msg))));
  });

  test('the SIGKILL after STOP_TIMEOUT reaches the whole process group, a grandchild that ignores SIGTERM too', async (t) => {
    // Outside a PID namespace (the init is then a subreaper), so that no namespace teardown
    // kills the grandchild for the init; and looked at while the init still runs.
    const s = supervise(
      {
        BATON_G_COMMAND: JSON.stringify(['sh', '-c', "trap '' TERM; sleep 1000 & echo \"grandchild $!\"; wait"]),
        BATON_G_STOP_TIMEOUT: '1s',
      },
      { pidNamespace: false },
    );
    const grandchild = Number((await s.init.waitFor(/^grandchild (\d+)$/m))[1]);
    t.after(() => {
      if (!killedOrGone(grandchild)) process.kill(grandchild, 'SIGKILL'); // a failed run leaves nothing behind
    });
    await s.record(/generation 1 is running/);
    s.init.signal('SIGTERM');
    await s.record(/killed its process group/, { service: 'g' });
    await s.record(/^exited/, { service: 'g' });
    // The group's SIGKILL went out before the shell's exit was logged: by now the grandchild is
    // gone, a zombie, or at least has SIGKILL pending. One signalled by pid alone has none of these.
    assert.ok(killedOrGone(grandchild), `grandchild ${grandchild} is alive and was not sent SIGKILL:\n${procStatus(grandchild)}`);
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
  });

  test('stop does not wait out a timer when the children are fast', { timeout: 30_000 }, async () => {
    // With an 100 s stop timeout, an init that waited for it would hit this test's 30 s limit.
    const s = supervise({ BATON_A_COMMAND: service('--ready=json'), BATON_A_COUNT: '3', BATON_A_READY: 'notify', BATON_STOP_TIMEOUT: '100s' });
    await s.record(/generation 1 is running/);
    s.init.signal('SIGINT');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0);
    assert.equal(s.records().filter((r) => r.service === 'a' && /^exited/.test(String(r.msg))).length, 3);
  });

  test('a second SIGTERM during the stop kills at once', { timeout: 30_000 }, async () => {
    const s = supervise({ BATON_STUBBORN_COMMAND: service('--ready=json --ignore-term'), BATON_STUBBORN_READY: 'notify', BATON_STOP_TIMEOUT: '100s' });
    await s.record(/generation 1 is running/);
    s.init.signal('SIGTERM');
    await s.init.waitFor(/stubborn.1 ignores SIGTERM/);
    s.init.signal('SIGTERM');
    const exit = await s.init.exited;
    assert.equal(exit.code, 0);
    assert.ok(s.records().some((r) => /again: killing every instance/.test(String(r.msg))));
  });

  test('USR1, USR2, QUIT and WINCH reach every running instance', async () => {
    const s = supervise({ BATON_W_COMMAND: service('--ready=json'), BATON_W_COUNT: '2', BATON_W_READY: 'notify', BATON_J_COMMAND: service('--ready=json'), BATON_J_READY: 'notify' });
    await s.record(/generation 1 is running/);
    for (const signal of ['SIGUSR1', 'SIGUSR2', 'SIGQUIT', 'SIGWINCH'] as const) {
      s.init.signal(signal);
      for (const id of ['w.1', 'w.2', 'j.1']) await s.init.waitFor(new RegExp(`${id.replace('.', '\\.')} got ${signal}`));
    }
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });
});

describe('instances', () => {
  test('USER drops the instance to that user while the init stays root', async () => {
    const s = supervise({ BATON_LOW_COMMAND: service('--ready=json --print-ids'), BATON_LOW_READY: 'notify', BATON_LOW_USER: 'nobody' });
    await s.record(/generation 1 is running/);
    assert.match(s.init.stdout, /low\.1 gen 1 pid \d+ uid 65534 started/);
    // nobody's primary group in /etc/passwd; root's supplementary groups are dropped.
    const nobodyGid = /^nobody:[^:]*:\d+:(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'))?.[1];
    const [, uid, gid, groups] = /low\.1 ids uid=(\d+) gid=(\d+) groups=([\d,]*)/.exec(s.init.stdout) ?? [];
    assert.deepEqual([uid, gid], ['65534', nobodyGid], s.init.stdout);
    assert.ok((groups ?? '').split(',').filter(Boolean).every((group) => group === nobodyGid), `supplementary groups left: ${groups}`);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('BATON_SERVICE, BATON_INSTANCE and BATON_GENERATION are set; baton variables are not passed on', async () => {
    const s = supervise({ BATON_E_COMMAND: JSON.stringify(['sh', '-c', 'echo "env $BATON_SERVICE $BATON_INSTANCE $BATON_GENERATION [$BATON_E_COMMAND] [$BATON_CONTROL_SOCKET]"; exit 0']), BATON_E_RESTART: 'never' });
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /env e 1 1 \[\] \[\]/);
  });

  test("the init's own LISTEN_* and NOTIFY_* variables are not passed on: they describe the init's descriptors, not the instance's", async () => {
    // As when the init itself runs under systemd socket activation or podman --sdnotify.
    const s = supervise({
      LISTEN_PID: '1',
      LISTEN_FDS: '2',
      LISTEN_FDNAMES: 'outer',
      NOTIFY_SOCKET: '/run/outer.sock',
      NOTIFY_PIPE: '9',
      BATON_E_COMMAND: JSON.stringify(['sh', '-c', 'echo "env [$LISTEN_PID] [$LISTEN_FDS] [$LISTEN_FDNAMES] [$NOTIFY_SOCKET] [$NOTIFY_PIPE]"; exit 0']),
      BATON_E_RESTART: 'never',
    });
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /^env \[\] \[\] \[\] \[\] \[\]$/m);
  });

  test('prefix output loses no line of a child that writes 100k lines and exits', async () => {
    const s = supervise({ BATON_LINES_COMMAND: service('--lines=100000'), BATON_LINES_RESTART: 'never', BATON_OUTPUT: 'prefix' });
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr.slice(-2000));
    const lines = exit.stdout.split('\n').filter((line) => line.startsWith('lines.1 | line '));
    assert.equal(lines.length, 100_000);
    assert.equal(lines.at(-1), 'lines.1 | line 100000 of 100000');
    assert.match(exit.stdout, /^lines\.1 \| last words without a newline$/m);
    assert.ok(exit.stdout.split('\n').every((line) => line === '' || line.startsWith('lines.1 | ')), 'every line is whole and prefixed');
  });

  test('json output wraps each line with service, instance, generation, pid and stream', async () => {
    const s = supervise({ BATON_J_COMMAND: JSON.stringify(['sh', '-c', 'echo out; echo err >&2']), BATON_J_RESTART: 'never', BATON_OUTPUT: 'json' });
    const exit = await s.init.exited;
    const out = exit.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(out.map(({ service: name, instance, generation, stream, line }) => ({ name, instance, generation, stream, line })), [{ name: 'j', instance: 1, generation: 1, stream: 'stdout', line: 'out' }]);
    assert.equal(typeof out[0]?.pid, 'number');
    assert.ok(exit.stderr.split('\n').some((line) => line.includes('"stream":"stderr"') && line.includes('"line":"err"')));
  });

  test('orphans of a service are reaped', async () => {
    const s = supervise({ BATON_Z_COMMAND: JSON.stringify([join(process.cwd(), 'test/fixtures/zombie-factory.sh'), '200', '0']), BATON_Z_RESTART: 'never' });
    const exit = await s.init.exited;
    assert.equal(exit.code, 0, exit.stderr);
  });
});

describe('configuration', () => {
  const bad: Array<[string, Record<string, string>, RegExp]> = [
    ['no service at all', {}, /BATON_<NAME>_COMMAND/],
    ['an unknown variable', { BATON_WEB_COMMAND: 'true', BATON_WEB_CONUT: '2' }, /BATON_WEB_CONUT/],
    ['a bad count', { BATON_WEB_COMMAND: 'true', BATON_WEB_COUNT: 'many' }, /BATON_WEB_COUNT/],
    ['a bad readiness', { BATON_WEB_COMMAND: 'true', BATON_WEB_READY: 'telepathy' }, /BATON_WEB_READY/],
    ['a bad duration', { BATON_WEB_COMMAND: 'true', BATON_WEB_STOP_TIMEOUT: 'soon' }, /BATON_WEB_STOP_TIMEOUT/],
    ['a bad signal', { BATON_WEB_COMMAND: 'true', BATON_WEB_STOP_SIGNAL: 'SIGNOPE' }, /BATON_WEB_STOP_SIGNAL/],
    ['a bad restart policy', { BATON_WEB_COMMAND: 'true', BATON_WEB_RESTART: 'sometimes' }, /BATON_WEB_RESTART/],
    ['an unknown user', { BATON_WEB_COMMAND: 'true', BATON_WEB_USER: 'no-such-user' }, /BATON_WEB_USER/],
    ['a missing working directory', { BATON_WEB_COMMAND: 'true', BATON_WEB_CWD: '/no/such/dir' }, /BATON_WEB_CWD/],
    ['a key of an undeclared service', { BATON_WEB_COMMAND: 'true', BATON_JOBS_COUNT: '2' }, /BATON_JOBS_COUNT/],
    ['a bad output mode', { BATON_WEB_COMMAND: 'true', BATON_OUTPUT: 'loud' }, /BATON_OUTPUT/],
    ['a MAX_MEMORY under 1M', { BATON_WEB_COMMAND: 'true', BATON_WEB_MAX_MEMORY: '512K' }, /BATON_WEB_MAX_MEMORY: \W+512K\W+ is under 1M/],
    ['a malformed MAX_MEMORY', { BATON_WEB_COMMAND: 'true', BATON_WEB_MAX_MEMORY: 'lots' }, /BATON_WEB_MAX_MEMORY: \W+lots\W+ is not a size/],
  ];
  for (const [name, env, variable] of bad) {
    test(`${name}: exit 2, a message naming the variable, nothing spawned`, async () => {
      const marker = join(mkdtempSync(join(tmpdir(), 'baton-spawned-')), 'spawned');
      // A valid service beside the bad variable: it must not be started either.
      const other: Record<string, string> = Object.keys(env).length > 0 ? { BATON_OTHER_COMMAND: service(`--touch=${marker}`) } : {};
      const s = supervise({ ...other, ...env });
      const exit = await s.init.exited;
      assert.equal(exit.code, 2, exit.stderr);
      assert.match(exit.stderr, variable);
      assert.equal(existsSync(marker), false, 'nothing may be spawned');
    });
  }

  test('all errors are reported together, one line each', async () => {
    const s = supervise({ BATON_WEB_COMMAND: 'true', BATON_WEB_COUNT: 'x', BATON_WEB_RESTART: 'y', BATON_TYPO: '1' });
    const exit = await s.init.exited;
    assert.equal(exit.code, 2);
    const lines = exit.stderr.trim().split('\n');
    assert.equal(lines.length, 3, exit.stderr);
    for (const name of ['BATON_WEB_COUNT', 'BATON_WEB_RESTART', 'BATON_TYPO']) assert.ok(lines.some((line) => line.includes(name)), name);
  });

  test('--check prints the resolved plan and starts nothing; a bad plan exits 2', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'baton-spawned-')), 'spawned');
    const env = { ...cleanBase(), BATON_WEB_COMMAND: service(`--touch=${marker}`), BATON_WEB_COUNT: '3', BATON_WEB_READY: 'tcp:8080' };
    const check = await runInit(['--check'], { pidNamespace: false, cleanEnv: true, env });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /web/);
    assert.match(check.stdout, /service\.mjs/);
    assert.match(check.stdout, /127\.0\.0\.1:8080/);
    assert.equal(existsSync(marker), false);
    const bad = await runInit(['--check'], { pidNamespace: false, cleanEnv: true, env: { ...env, BATON_WEB_COUNT: '0' } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /BATON_WEB_COUNT/);
  });

  test('--health is 1 while an instance is not ready, and --status says why', async () => {
    const s = supervise({ BATON_SLOW_COMMAND: service('--never-ready --status=warming'), BATON_SLOW_READY: 'notify', BATON_SLOW_READY_TIMEOUT: '60s' });
    await s.record(/status: warming/);
    const health = await s.query('--health');
    assert.equal(health.code, 1);
    const status = await s.query('--status');
    assert.match(status.stdout, /slow\.1 .*starting .*warming/);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });

  test('--status and --health without a running init: a clear message', async () => {
    const s = supervise({ BATON_A_COMMAND: 'true', BATON_A_RESTART: 'never' });
    await s.init.exited;
    const status = await s.query('--status');
    assert.equal(status.code, 3);
    assert.match(status.stderr, /control socket .*control\.sock/);
    assert.equal((await s.query('--health')).code, 1);
  });
});

function procStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

/** True when the process is gone, dead or dying, or has SIGKILL pending (bit 9 of SigPnd or ShdPnd). */
function killedOrGone(pid: number): boolean {
  const status = procStatus(pid);
  if (status === '' || /^State:\s+[ZX]/m.test(status)) return true;
  const SIGKILL_BIT = 1n << 8n;
  return ['SigPnd', 'ShdPnd'].some((field) => (BigInt(`0x${new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`) & SIGKILL_BIT) !== 0n);
}
