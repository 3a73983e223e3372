// What spawn would refuse is refused up front: `--check` and start-up exit 2 naming the
// variable, nothing spawned. Real files, the built init, a real non-root user.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INIT, logRecords, run, runInit } from '../helpers/init-process.ts';
import { cleanBase, service, supervise } from '../helpers/supervisor.ts';

const TMP = mkdtempSync(join(tmpdir(), 'baton-guards-'));
const NOT_EXECUTABLE = join(TMP, 'not-executable');
writeFileSync(NOT_EXECUTABLE, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
const OWNER_ONLY = join(TMP, 'owner-only');
writeFileSync(OWNER_ONLY, '#!/bin/sh\nexit 0\n');
chmodSync(OWNER_ONLY, 0o700);
const APP = join(TMP, 'app');
mkdirSync(APP);
writeFileSync(join(APP, 'run'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
const PATH_DIR = join(TMP, 'bin');
mkdirSync(PATH_DIR);
writeFileSync(join(PATH_DIR, 'plain-file'), 'data\n', { mode: 0o644 });

/** The messages of the init's log records, one a line (quotes unescaped). */
function messages(stderr: string): string {
  return logRecords(stderr).map((record) => String(record.msg)).join('\n');
}

const bad: Array<[string, Record<string, string>, RegExp]> = [
  ['a uid above 2^31-1', { BATON_WEB_COMMAND: 'true', BATON_WEB_USER: '3000000000' }, /BATON_WEB_USER: .*uid 3000000000 is above 2147483647/],
  ['a gid above 2^31-1', { BATON_WEB_COMMAND: 'true', BATON_WEB_USER: '0:2147483648' }, /BATON_WEB_USER: .*gid 2147483648 is above 2147483647/],
  ['a NUL byte in an argument', { BATON_WEB_COMMAND: '["true","a\\u0000b"]' }, /BATON_WEB_COMMAND: argument 1 .* holds a NUL byte/],
  ['a program name with leading spaces', { BATON_WEB_COMMAND: '["  true"]' }, /BATON_WEB_COMMAND: the program name " {2}true" starts or ends with whitespace/],
  ['a program name with a trailing newline', { BATON_WEB_COMMAND: '["true\\n"]' }, /BATON_WEB_COMMAND: the program name .* starts or ends with whitespace/],
  ['a program not on PATH', { BATON_WEB_COMMAND: 'no-such-program --flag' }, /BATON_WEB_COMMAND: the program no-such-program is not found in PATH/],
  ['a program on PATH that is not executable', { BATON_WEB_COMMAND: 'plain-file', PATH: `${PATH_DIR}:/usr/bin:/bin` }, /BATON_WEB_COMMAND: the program plain-file is not executable/],
  ['a path that does not exist', { BATON_WEB_COMMAND: join(TMP, 'missing') }, /BATON_WEB_COMMAND: the program .*missing does not exist/],
  ['a path that is not executable', { BATON_WEB_COMMAND: NOT_EXECUTABLE }, /BATON_WEB_COMMAND: the program .*not-executable is not executable/],
  ['a path that is a directory', { BATON_WEB_COMMAND: TMP }, /BATON_WEB_COMMAND: the program .* is not a file/],
  ['a relative path missing from CWD', { BATON_WEB_COMMAND: './run', BATON_WEB_CWD: TMP }, /BATON_WEB_COMMAND: the program \.\/run does not exist \(looked for .*\/run\)/],
  ['a program the USER cannot execute', { BATON_WEB_COMMAND: OWNER_ONLY, BATON_WEB_USER: 'nobody' }, /BATON_WEB_COMMAND: the program .*owner-only is not executable by nobody/],
  ['STOP_SIGNAL=STOP', { BATON_WEB_COMMAND: 'true', BATON_WEB_STOP_SIGNAL: 'STOP' }, /BATON_WEB_STOP_SIGNAL: "STOP" \(SIGSTOP\) cannot ask a process to stop/],
  ['STOP_SIGNAL=CHLD', { BATON_WEB_COMMAND: 'true', BATON_WEB_STOP_SIGNAL: 'CHLD' }, /BATON_WEB_STOP_SIGNAL: "CHLD" \(SIGCHLD\) cannot ask a process to stop/],
  ['STOP_SIGNAL=CONT', { BATON_WEB_COMMAND: 'true', BATON_WEB_STOP_SIGNAL: 'CONT' }, /BATON_WEB_STOP_SIGNAL: .*cannot ask a process to stop/],
  ['STOP_SIGNAL=WINCH', { BATON_WEB_COMMAND: 'true', BATON_WEB_STOP_SIGNAL: 'WINCH' }, /BATON_WEB_STOP_SIGNAL: .*cannot ask a process to stop/],
  ['STOP_SIGNAL=TSTP', { BATON_WEB_COMMAND: 'true', BATON_WEB_STOP_SIGNAL: 'TSTP' }, /BATON_WEB_STOP_SIGNAL: .*cannot ask a process to stop/],
  ['BATON_EXEC_STEP, an internal variable of old', { BATON_WEB_COMMAND: 'true', BATON_EXEC_STEP: '{}' }, /BATON_EXEC_STEP: not a baton variable/],
];

describe('--check refuses what spawn would refuse: exit 2, the variable named', () => {
  for (const [name, env, message] of bad) {
    test(name, async () => {
      const exit = await runInit(['--check'], { pidNamespace: false, env: { ...cleanBase(), ...env }, cleanEnv: true });
      assert.equal(exit.code, 2, `${exit.stdout}\n${exit.stderr}`);
      assert.match(messages(exit.stderr), message);
      assert.equal(exit.stdout, '', 'no plan is printed');
    });
  }

  test('BATON_EXEC_STEP alone no longer takes the init over (it exited 127)', async () => {
    const exit = await runInit(['--check'], { pidNamespace: false, env: { ...cleanBase(), BATON_EXEC_STEP: '{}' }, cleanEnv: true });
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(messages(exit.stderr), /BATON_EXEC_STEP: not a baton variable/);
  });

  test('in single-command mode BATON_EXEC_STEP is the command\'s like any variable: the init runs the command', async () => {
    const exit = await runInit(['--', 'sh', '-c', 'echo "$BATON_EXEC_STEP"; exit 4'], { pidNamespace: false, env: { ...cleanBase(), BATON_EXEC_STEP: '{}' }, cleanEnv: true });
    assert.equal(exit.code, 4, exit.stderr);
    assert.equal(exit.stdout, '{}\n');
  });

  test('what execvp would run passes: a relative path with a slash is found in CWD, a name in PATH', async () => {
    const env = { ...cleanBase(), BATON_A_COMMAND: './run', BATON_A_CWD: APP, BATON_B_COMMAND: 'sh -c true', BATON_C_COMMAND: OWNER_ONLY };
    const exit = await runInit(['--check'], { pidNamespace: false, env, cleanEnv: true });
    assert.equal(exit.code, 0, exit.stderr);
  });
});

describe('start-up refuses the same before spawning anything', () => {
  for (const [name, env, message] of bad) {
    test(name, async () => {
      const marker = join(mkdtempSync(join(tmpdir(), 'baton-spawned-')), 'spawned');
      const s = supervise({ BATON_OTHER_COMMAND: service(`--touch=${marker}`), ...env });
      const exit = await s.init.exited;
      assert.equal(exit.code, 2, exit.stderr);
      assert.match(messages(exit.stderr), message);
      assert.equal(existsSync(marker), false, 'nothing may be spawned');
    });
  }
});

describe('USER when the init is not root', () => {
  const asNobody = (env: Record<string, string>): Promise<{ code: number | null; stderr: string }> =>
    run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, INIT, '--check'], { ...cleanBase(), ...env });

  test('another user cannot be taken (spawn would fail with EPERM): exit 2 naming USER', async () => {
    const exit = await asNobody({ BATON_WEB_COMMAND: 'true', BATON_WEB_USER: 'root' });
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(messages(exit.stderr), /BATON_WEB_USER: "root" \(uid 0, gid 0\): the init runs as uid 65534, gid 65534, not root, and cannot change user/);
  });

  test('its own uid and gid can', async () => {
    const exit = await asNobody({ BATON_WEB_COMMAND: 'true', BATON_WEB_USER: '65534:65534' });
    assert.equal(exit.code, 0, exit.stderr);
  });
});

describe('tini parity on the command line', () => {
  test('-- with no command prints the usage and exits 1, as tini does', async () => {
    const exit = await runInit(['--'], { pidNamespace: false, env: cleanBase(), cleanEnv: true });
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(exit.stderr, /-- must be followed by a COMMAND/);
    assert.match(exit.stderr, /Usage: node init\.js/);
    const tini = await run('tini', ['--']);
    assert.equal(tini.code, exit.code, 'the same exit code as tini');
  });

  test('a flag then -- with no command is the same usage error', async () => {
    const exit = await runInit(['-s', '--'], { pidNamespace: false, env: cleanBase(), cleanEnv: true });
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(exit.stderr, /Usage: node init\.js/);
  });
});
