// Which service a BATON_* variable belongs to, and what a user sees for one baton does not know.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { oneError, read, service, valid, WEB } from '../../helpers/read-config.ts';

describe('unknown variables', () => {
  test('a typo in a service key lists the known keys and suggests the closest', () => {
    const message = oneError({ ...WEB, BATON_WEB_CONUT: '2' }, 'BATON_WEB_CONUT', /^BATON_WEB_CONUT: not a known variable of service web/);
    assert.equal(
      message,
      'BATON_WEB_CONUT: not a known variable of service web (known: COMMAND, COUNT, READY, READY_TIMEOUT, STOP_SIGNAL, STOP_TIMEOUT, RESTART, USER, CWD, RELOAD, LISTEN, LISTEN_SHIM, WATCHDOG, TYPE, AFTER, ESSENTIAL, MAX_MEMORY, INSTANCE_VAR, ENV_<VAR>); did you mean BATON_WEB_COUNT?',
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

describe('per-service environment: BATON_<NAME>_ENV_<VAR>', () => {
  test('a variable goes to its service only, with its value as is, an empty one included', () => {
    const config = valid({
      ...WEB,
      BATON_JOBS_COMMAND: 'node jobs.js',
      BATON_JOBS_ENV_NODE_OPTIONS: '--max-old-space-size=256',
      BATON_JOBS_ENV_QUEUE: '',
      BATON_WEB_ENV_PORT: '8080',
      BATON_WEB_ENV_http_proxy: 'http://proxy:3128',
    });
    assert.deepEqual(
      config.services.map((s) => [s.name, s.env]),
      [
        ['jobs', { NODE_OPTIONS: '--max-old-space-size=256', QUEUE: '' }],
        ['web', { PORT: '8080', http_proxy: 'http://proxy:3128' }],
      ],
    );
  });

  test('a service without any has no env', () => {
    assert.equal(service(WEB).env, undefined);
  });

  test('the service is the name before the first _ENV_: JOB and JOB_RUNNER each get their own', () => {
    const config = valid({
      BATON_JOB_COMMAND: 'job',
      BATON_JOB_RUNNER_COMMAND: 'runner',
      BATON_JOB_ENV_RUNNER_ENV_X: 'job',
      BATON_JOB_RUNNER_ENV_X: 'runner',
      BATON_JOB_ENV_ENV: 'job',
    });
    assert.deepEqual(
      config.services.map((s) => [s.name, s.env]),
      [
        ['job', { RUNNER_ENV_X: 'job', ENV: 'job' }],
        ['job_runner', { X: 'runner' }],
      ],
    );
  });

  test('a variable named like a key is a variable, not the key', () => {
    const web = service({ ...WEB, BATON_WEB_ENV_COUNT: '9', BATON_WEB_ENV_READY: 'x' });
    assert.equal(web.count, 1);
    assert.deepEqual(web.env, { COUNT: '9', READY: 'x' });
  });

  test('a variable ending in _COMMAND is the service\'s variable, not a declaration', () => {
    const config = valid({ ...WEB, BATON_WEB_ENV_GIT_SSH_COMMAND: 'ssh -i /run/key' });
    assert.deepEqual(
      config.services.map((s) => [s.name, s.env]),
      [['web', { GIT_SSH_COMMAND: 'ssh -i /run/key' }]],
    );
  });

  test('a service name cannot have ENV as a word, which is what keeps every variable unambiguous', () => {
    oneError({ ...WEB, BATON_ENV_COMMAND: 'x' }, 'BATON_ENV_COMMAND', /"ENV" is not a service name: ENV cannot be one of its words, since BATON_<NAME>_ENV_<VAR> sets VAR for service NAME \(rename the service, e.g. ENVIRONMENT\)$/);
    oneError({ ...WEB, BATON_ENV_API_COMMAND: 'x' }, 'BATON_ENV_API_COMMAND', /"ENV_API" is not a service name: ENV cannot be one of its words/);
    // With A declared, A_ENV_B cannot be a service: its COMMAND is A's variable B_COMMAND.
    const a = service({ BATON_A_COMMAND: 'a', BATON_A_ENV_B_COMMAND: 'b', BATON_A_ENV_B_ENV_C: 'c' }, 'a');
    assert.deepEqual(a.env, { B_COMMAND: 'b', B_ENV_C: 'c' });
  });

  test('a would-be declaration of a service named with ENV, its service undeclared, says both readings', () => {
    oneError(
      { ...WEB, BATON_DEV_ENV_COMMAND: 'x' },
      'BATON_DEV_ENV_COMMAND',
      /^BATON_DEV_ENV_COMMAND: sets COMMAND for service dev, but no service dev is declared \(BATON_DEV_COMMAND is not set\); it does not declare a service dev_env: a service name cannot have ENV as a word$/,
    );
  });

  test('a variable for an undeclared service', () => {
    oneError({ ...WEB, BATON_JOBS_ENV_X: '1' }, 'BATON_JOBS_ENV_X', /^BATON_JOBS_ENV_X: sets X for service jobs, but no service jobs is declared \(BATON_JOBS_COMMAND is not set\)$/);
    oneError({ ...WEB, BATON_web_ENV_X: '1' }, 'BATON_web_ENV_X', /"web" is not a service name \(use upper-case letters/);
  });

  const badNames: Array<[string, RegExp]> = [
    ['BATON_WEB_ENV_', /no variable name after _ENV_/],
    ['BATON_WEB_ENV_1ST', /"1ST" is not an environment variable name/],
    ['BATON_WEB_ENV_A-B', /"A-B" is not an environment variable name/],
    ['BATON_WEB_ENV_A.B', /"A.B" is not an environment variable name/],
    ['BATON_WEB_ENV_ÉTÉ', /"ÉTÉ" is not an environment variable name/],
  ];
  for (const [variable, pattern] of badNames) {
    test(`a bad variable name: ${variable}`, () => {
      oneError({ ...WEB, [variable]: 'x' }, variable, pattern);
    });
  }

  const reserved = ['NOTIFY_SOCKET', 'NOTIFY_PIPE', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'WATCHDOG_USEC', 'WATCHDOG_PID'];
  for (const name of reserved) {
    test(`baton's own ${name} cannot be set per service`, () => {
      oneError({ ...WEB, [`BATON_WEB_ENV_${name}`]: '1' }, `BATON_WEB_ENV_${name}`, new RegExp(`: ${name} cannot be set per service: baton sets it`));
    });
  }

  test('nor can any BATON_* name, BATON_SERVICE included', () => {
    oneError({ ...WEB, BATON_WEB_ENV_BATON_SERVICE: 'x' }, 'BATON_WEB_ENV_BATON_SERVICE', /BATON_SERVICE cannot be set per service: BATON_\* names are baton's own/);
    oneError({ ...WEB, BATON_WEB_ENV_BATON_LOG_LEVEL: 'x' }, 'BATON_WEB_ENV_BATON_LOG_LEVEL', /BATON_LOG_LEVEL cannot be set per service/);
  });

  test('a bad variable is reported with the service\'s other errors, and no config', () => {
    const { config, errors } = read({ ...WEB, BATON_WEB_COUNT: 'x', BATON_WEB_ENV_NOTIFY_SOCKET: '/x', BATON_WEB_ENV_OK: '1' });
    assert.equal(config, undefined);
    assert.deepEqual(errors.map((e) => e.variable), ['BATON_WEB_COUNT', 'BATON_WEB_ENV_NOTIFY_SOCKET']);
  });
});
