// Which service a BATON_* variable belongs to, and what a user sees for one baton does not know.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { oneError, service, valid, WEB } from '../../helpers/read-config.ts';

describe('unknown variables', () => {
  test('a typo in a service key lists the known keys and suggests the closest', () => {
    const message = oneError({ ...WEB, BATON_WEB_CONUT: '2' }, 'BATON_WEB_CONUT', /^BATON_WEB_CONUT: not a known variable of service web/);
    assert.equal(
      message,
      'BATON_WEB_CONUT: not a known variable of service web (known: COMMAND, COUNT, READY, READY_TIMEOUT, STOP_SIGNAL, STOP_TIMEOUT, RESTART, USER, CWD, RELOAD, LISTEN, LISTEN_SHIM, WATCHDOG, TYPE, AFTER, ESSENTIAL); did you mean BATON_WEB_COUNT?',
    );
  });

  test('a typo is blamed on the longest declared service it starts with', () => {
    oneError(
      { BATON_JOB_COMMAND: 'j', BATON_JOB_RUNNER_COMMAND: 'r', BATON_JOB_RUNNER_CONUT: '2' },
      'BATON_JOB_RUNNER_CONUT',
      /not a known variable of service job_runner .*; did you mean BATON_JOB_RUNNER_COUNT\?$/,
    );
  });

  test('a key far from every known one gets no suggestion', () => {
    const message = oneError({ ...WEB, BATON_WEB_MEMORY: '1g' }, 'BATON_WEB_MEMORY', /not a known variable of service web/);
    assert.doesNotMatch(message, /did you mean/);
  });

  test('a key of a service that is not declared', () => {
    oneError({ ...WEB, BATON_JOBS_COUNT: '2' }, 'BATON_JOBS_COUNT', /^BATON_JOBS_COUNT: no service jobs is declared \(BATON_JOBS_COMMAND is not set\)$/);
    oneError({ ...WEB, BATON_JOBS_READY_TIMEOUT: '2s' }, 'BATON_JOBS_READY_TIMEOUT', /no service jobs is declared \(BATON_JOBS_COMMAND is not set\)/);
    oneError({ ...WEB, BATON_JOBS_STOP_SIGNAL: 'INT' }, 'BATON_JOBS_STOP_SIGNAL', /no service jobs is declared/);
  });

  test('a misspelt service name is undeclared, with the declared one suggested', () => {
    oneError({ ...WEB, BATON_WEBB_COUNT: '2' }, 'BATON_WEBB_COUNT', /no service webb is declared .*; did you mean BATON_WEB_COUNT\?$/);
  });

  test('a key of an undeclared service whose name extends a declared one', () => {
    oneError({ ...WEB, BATON_WEB_API_COUNT: '2' }, 'BATON_WEB_API_COUNT', /no service web_api is declared \(BATON_WEB_API_COMMAND is not set\)/);
  });

  test('a variable that is neither a global nor a service key', () => {
    const message = oneError({ ...WEB, BATON_FOO: '1' }, 'BATON_FOO', /^BATON_FOO: not a baton variable \(globals: BATON_READY_TIMEOUT, .*BATON_SHUTDOWN_DELAY; services are declared with BATON_<NAME>_COMMAND\)$/);
    assert.doesNotMatch(message, /did you mean/);
    oneError({ ...WEB, BATON_LOG_LEVL: 'debug' }, 'BATON_LOG_LEVL', /not a baton variable .*; did you mean BATON_LOG_LEVEL\?$/);
    oneError({ ...WEB, BATON_: '1' }, 'BATON_', /not a baton variable/);
  });

  test('a service name that does not follow the rules', () => {
    oneError({ ...WEB, BATON_api_COMMAND: 'x' }, 'BATON_api_COMMAND', /"api" is not a service name \(use upper-case letters and digits/);
    oneError({ ...WEB, BATON_JOB__RUNNER_COMMAND: 'x' }, 'BATON_JOB__RUNNER_COMMAND', /"JOB__RUNNER" is not a service name/);
    oneError({ ...WEB, BATON_WEB__COMMAND: 'x' }, 'BATON_WEB__COMMAND', /"WEB_" is not a service name/);
    oneError({ ...WEB, BATON_COMMAND: 'x' }, 'BATON_COMMAND', /declares a service without a name/);
  });
});

describe('service names with underscores', () => {
  test('BATON_JOB_RUNNER_COMMAND declares job_runner, and its keys go to it', () => {
    const runner = service({ BATON_JOB_RUNNER_COMMAND: 'node jobs.js', BATON_JOB_RUNNER_COUNT: '3', BATON_JOB_RUNNER_STOP_SIGNAL: 'INT' }, 'job_runner');
    assert.equal(runner.key, 'JOB_RUNNER');
    assert.equal(runner.count, 3);
    assert.equal(runner.stopSignal, 'SIGINT');
  });

  test('with JOB and JOB_RUNNER declared, each variable goes to the longest service it fits', () => {
    const config = valid({
      BATON_JOB_COMMAND: 'job',
      BATON_JOB_COUNT: '2',
      BATON_JOB_RUNNER_COMMAND: 'runner',
      BATON_JOB_RUNNER_COUNT: '3',
    });
    assert.deepEqual(
      config.services.map((s) => [s.name, s.argv, s.count]),
      [
        ['job', ['job'], 2],
        ['job_runner', ['runner'], 3],
      ],
    );
  });

  test('with WEB and WEB_READY declared, READY vs READY_TIMEOUT still resolves', () => {
    const config = valid({
      BATON_WEB_COMMAND: 'web',
      BATON_WEB_READY: 'notify',
      BATON_WEB_READY_TIMEOUT: '7s',
      BATON_WEB_READY_COMMAND: 'ready',
      BATON_WEB_READY_COUNT: '2',
      BATON_WEB_READY_READY: 'tcp:9000',
    });
    const [web, webReady] = [config.services.find((s) => s.name === 'web'), config.services.find((s) => s.name === 'web_ready')];
    assert.deepEqual([web?.readiness, web?.readyTimeoutMs, web?.count], [{ kind: 'notify' }, 7000, 1]);
    assert.deepEqual([webReady?.readiness, webReady?.count], [{ kind: 'tcp', host: '127.0.0.1', port: 9000 }, 2]);
  });

  test('STOP_SIGNAL and STOP_TIMEOUT are told apart', () => {
    const web = service({ ...WEB, BATON_WEB_STOP_SIGNAL: 'HUP', BATON_WEB_STOP_TIMEOUT: '3s' });
    assert.deepEqual([web.stopSignal, web.stopTimeoutMs], ['SIGHUP', 3000]);
  });
});
