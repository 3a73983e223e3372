// COUNT=auto and INSTANCE_VAR through the built init's --check, on this machine's own /proc
// and /sys (the fixture trees are in test/unit/config/cpu-count.test.ts; a real quota in
// test/docker/count-auto.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoCount } from '../../src/config/cpu-count.ts';
import { runInit } from '../helpers/init-process.ts';
import { cleanBase } from '../helpers/supervisor.ts';

test('--check shows what COUNT=auto resolved to on this machine, and why', async () => {
  const exit = await runInit(['--check'], { pidNamespace: false, env: { ...cleanBase(), BATON_WEB_COMMAND: 'node web.js', BATON_WEB_COUNT: 'auto', BATON_WEB_INSTANCE_VAR: 'NODE_APP_INSTANCE' }, cleanEnv: true });
  assert.equal(exit.code, 0, exit.stderr);
  const expected = autoCount('/', 256);
  const row = /^ {2}count {11}(\d+) \(auto: (.*)\)$/m.exec(exit.stdout);
  assert.ok(row, exit.stdout);
  assert.equal(Number(row[1]), expected.count);
  assert.equal(row[2], expected.reason);
  assert.match(exit.stdout, new RegExp(`^ {2}instance var {4}NODE_APP_INSTANCE \\(0 to ${expected.count - 1}\\)$`, 'm'));
});

test('an INSTANCE_VAR baton sets itself is refused: exit 2, the variable named', async () => {
  const exit = await runInit(['--check'], { pidNamespace: false, env: { ...cleanBase(), BATON_WEB_COMMAND: 'node web.js', BATON_WEB_INSTANCE_VAR: 'LISTEN_FDS' }, cleanEnv: true });
  assert.equal(exit.code, 2, exit.stdout);
  assert.match(exit.stderr, /BATON_WEB_INSTANCE_VAR: \\"LISTEN_FDS\\" is a variable baton sets itself/);
});
