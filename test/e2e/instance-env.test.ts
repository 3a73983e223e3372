// What an instance finds in its environment besides BATON_SERVICE/INSTANCE/GENERATION:
// INSTANCE_VAR's 0-based index (NODE_APP_INSTANCE for pm2 code) and BATON_SINGLETON=1,
// with the built init as PID 1 and real instances that print what they got.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { supervise } from '../helpers/supervisor.ts';

/** An instance that prints its service, instance, generation, then the named variables in brackets, and stays. */
function printer(...variables: string[]): string {
  const shown = variables.map((name) => `[\${${name}-unset}]`).join(' ');
  return JSON.stringify(['sh', '-c', `echo "env $BATON_SERVICE.$BATON_INSTANCE gen $BATON_GENERATION ${shown}"; exec sleep 600`]);
}

/** The `env ...` lines printed so far for a generation, sorted. */
function envLines(stdout: string, generation: number): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('env ') && line.includes(` gen ${generation} `))
    .sort();
}

describe('INSTANCE_VAR', () => {
  test('the NODE_APP_INSTANCE values of a COUNT=4 service are 0 to 3, over an inherited value', async () => {
    const s = supervise({
      NODE_APP_INSTANCE: '99',
      BATON_WEB_COMMAND: printer('NODE_APP_INSTANCE'),
      BATON_WEB_COUNT: '4',
      BATON_WEB_INSTANCE_VAR: 'NODE_APP_INSTANCE',
      // Without INSTANCE_VAR the inherited value passes through untouched.
      BATON_OTHER_COMMAND: printer('NODE_APP_INSTANCE'),
    });
    await s.record(/generation 1 is running/);
    await s.init.waitFor(/(?:^env .*\n){5}/m);
    assert.deepEqual(envLines(s.init.stdout, 1), ['env other.1 gen 1 [99]', 'env web.1 gen 1 [0]', 'env web.2 gen 1 [1]', 'env web.3 gen 1 [2]', 'env web.4 gen 1 [3]']);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });
});

describe('BATON_SINGLETON', () => {
  test('only instance 1 of a RELOAD=restart or signal service has it, in every generation; never a replace service; the init\'s own is not passed on', async () => {
    const s = supervise({
      // As a nested init would see it: ignored by the configuration, and not inherited.
      BATON_SINGLETON: '1',
      BATON_CRON_COMMAND: printer('BATON_SINGLETON'),
      BATON_CRON_COUNT: '2',
      BATON_CRON_RELOAD: 'restart',
      BATON_HUP_COMMAND: printer('BATON_SINGLETON'),
      BATON_HUP_RELOAD: 'signal',
      BATON_WEB_COMMAND: printer('BATON_SINGLETON'),
      BATON_WEB_COUNT: '2',
    });
    await s.record(/generation 1 is running/);
    await s.init.waitFor(/(?:^env .*\n){5}/m);
    assert.deepEqual(envLines(s.init.stdout, 1), [
      'env cron.1 gen 1 [1]',
      'env cron.2 gen 1 [unset]',
      'env hup.1 gen 1 [1]',
      'env web.1 gen 1 [unset]',
      'env web.2 gen 1 [unset]',
    ]);
    s.init.signal('SIGHUP');
    await s.record(/reload committed/);
    // hup keeps its process (RELOAD=signal): generation 2 spawns cron and web only.
    await s.init.waitFor(/^env \S+ gen 2 .*\n(?:[^]*?^env \S+ gen 2 .*\n){3}/m);
    assert.deepEqual(envLines(s.init.stdout, 2), ['env cron.1 gen 2 [1]', 'env cron.2 gen 2 [unset]', 'env web.1 gen 2 [unset]', 'env web.2 gen 2 [unset]']);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
  });
});
