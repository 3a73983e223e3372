// The same cases under Debian's tini and under baton, both as PID 1: same exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { INIT, run } from '../helpers/init-process.ts';

const TINI = '/usr/bin/tini';

const CASES: Array<[string, string[]]> = [
  ['exit 0', ['--', 'true']],
  ['exit 1', ['--', 'false']],
  ['exit 3', ['--', 'sh', '-c', 'exit 3']],
  ['killed by TERM', ['--', 'sh', '-c', 'kill -TERM $$']],
  ['killed by INT', ['--', 'sh', '-c', 'kill -INT $$']],
  ['missing command', ['--', 'no-such-command-here']],
  ['not executable', ['--', '/etc/hostname']],
  ['-e remaps 3', ['-e', '3', '--', 'sh', '-c', 'exit 3']],
  ['-e leaves 4', ['-e', '3', '--', 'sh', '-c', 'exit 4']],
  // Debian's tini is built with GNU getopt, which reads options after the command too
  // (`tini sh -c x` fails on -c); baton stops at the first word that is not an option.
  ['no -- needed', ['sh', '/dev/null']],
  ['unknown flag', ['-x', 'true']],
  ['bad -e', ['-e', '256', 'true']],
  ['help', ['-h']],
];

test('Debian tini is installed for the differential tests (.ci/run installs it)', () => {
  assert.ok(existsSync(TINI), `${TINI} is missing: apt-get install tini`);
});

for (const [name, args] of CASES) {
  test(`same exit code as tini: ${name}`, async () => {
    const ns = ['--fork', '--pid', '--mount-proc'];
    const [tini, baton] = await Promise.all([run('unshare', [...ns, TINI, ...args]), run('unshare', [...ns, process.execPath, INIT, ...args])]);
    assert.equal(baton.code, tini.code, `tini: ${tini.code} ${tini.stderr}\nbaton: ${baton.code} ${baton.stderr}`);
  });
}
