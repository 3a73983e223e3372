// Supervisor mode's BATON_* variables read at once: every key and its default, every bad
// value naming its variable, clashes between services, and no service at all.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultReloadParallel } from '../../../src/config/types.ts';
import { oneError, read, service, valid, WEB } from '../../helpers/read-config.ts';

const TMP = mkdtempSync(join(tmpdir(), 'baton-config-'));
const SRV = join(TMP, 'srv');
mkdirSync(SRV);
after(() => rmSync(TMP, { recursive: true, force: true }));

describe('a valid configuration', () => {
  test('two services with every key, one JSON and one word-split command', () => {
    const config = valid({
      PATH: '/usr/bin',
      BATON_READY_TIMEOUT: '45s',
      BATON_STOP_TIMEOUT: '3s',
      BATON_LOG_LEVEL: 'debug',
      BATON_LOG_FORMAT: 'pretty',
      BATON_OUTPUT: 'prefix',
      BATON_MAX_RESTARTS: '0',
      BATON_RELOAD_PARALLEL: '3',
      BATON_CONTROL_SOCKET: '/run/baton.sock',
      BATON_WEB_COMMAND: '["node", "web.js", "--title", "my site"]',
      BATON_WEB_COUNT: '4',
      BATON_WEB_READY: 'http://127.0.0.1:8080/health',
      BATON_WEB_READY_TIMEOUT: '2m',
      BATON_WEB_STOP_SIGNAL: 'INT',
      BATON_WEB_STOP_TIMEOUT: '500ms',
      BATON_WEB_RESTART: 'on-failure',
      BATON_WEB_USER: 'app',
      BATON_WEB_CWD: SRV,
      BATON_WEB_RELOAD: 'signal',
      BATON_WEB_LISTEN: '8080',
      BATON_WEB_AFTER: 'job_runner',
      BATON_WEB_ESSENTIAL: 'true',
      BATON_SHUTDOWN_DELAY: '5s',
      BATON_WEB_ENV_NODE_OPTIONS: '--max-old-space-size=256',
      BATON_WEB_ENV_PORT: '8080',
      BATON_JOB_RUNNER_COMMAND: '  node   jobs.js  --queue=default ',
      BATON_JOB_RUNNER_COUNT: '2',
      BATON_JOB_RUNNER_READY: 'notify',
      BATON_JOB_RUNNER_READY_TIMEOUT: '10',
      BATON_JOB_RUNNER_STOP_SIGNAL: '15',
      BATON_JOB_RUNNER_STOP_TIMEOUT: '1m',
      BATON_JOB_RUNNER_RESTART: 'never',
      BATON_JOB_RUNNER_USER: '2000:staff',
      BATON_JOB_RUNNER_CWD: TMP,
      BATON_JOB_RUNNER_RELOAD: 'restart',
      BATON_JOB_RUNNER_LISTEN: '/run/jobs.sock',
    });
    assert.deepEqual(config, {
      globals: {
        readyTimeoutMs: 45_000,
        stopTimeoutMs: 3_000,
        logLevel: 'debug',
        logFormat: 'pretty',
        output: 'prefix',
        maxRestarts: 0,
        reloadParallel: 3,
        controlSocket: '/run/baton.sock',
        shutdownDelayMs: 5000,
      },
      services: [
        {
          name: 'job_runner',
          key: 'JOB_RUNNER',
          type: 'service',
          argv: ['node', 'jobs.js', '--queue=default'],
          count: 2,
          readiness: { kind: 'notify' },
          readyTimeoutMs: 10_000,
          stopSignal: 'SIGTERM',
          stopTimeoutMs: 60_000,
          restart: 'never',
          user: { uid: 2000, gid: 50, spec: '2000:staff' },
          cwd: TMP,
          reload: 'restart',
          listen: { kind: 'unix', path: '/run/jobs.sock' },
          after: [],
          essential: false,
        },
        {
          name: 'web',
          key: 'WEB',
          type: 'service',
          argv: ['node', 'web.js', '--title', 'my site'],
          count: 4,
          readiness: { kind: 'http', url: 'http://127.0.0.1:8080/health' },
          readyTimeoutMs: 120_000,
          stopSignal: 'SIGINT',
          stopTimeoutMs: 500,
          restart: 'on-failure',
          user: { uid: 1000, gid: 1001, spec: 'app', name: 'app', home: '/home/app' },
          cwd: SRV,
          env: { NODE_OPTIONS: '--max-old-space-size=256', PORT: '8080' },
          reload: 'signal',
          listen: { kind: 'tcp', host: '0.0.0.0', port: 8080 },
          after: ['job_runner'],
          essential: true,
        },
      ],
    });
  });

  test('defaults: one COMMAND is a whole service', () => {
    assert.deepEqual(valid(WEB), {
      globals: { readyTimeoutMs: 30_000, stopTimeoutMs: 8_000, logLevel: 'info', logFormat: 'json', output: 'inherit', maxRestarts: 5, reloadParallel: defaultReloadParallel(availableParallelism()), shutdownDelayMs: 0 },
      services: [
        {
          name: 'web',
          key: 'WEB',
          type: 'service',
          argv: ['node', 'web.js'],
          count: 1,
          readiness: { kind: 'none' },
          readyTimeoutMs: 30_000,
          stopSignal: 'SIGTERM',
          stopTimeoutMs: 8_000,
          restart: 'always',
          reload: 'replace',
          after: [],
          essential: false,
        },
      ],
    });
  });

  test('the global timeouts are the services\' defaults; a service\'s own value wins', () => {
    const config = valid({
      BATON_READY_TIMEOUT: '1m',
      BATON_STOP_TIMEOUT: '20s',
      BATON_A_COMMAND: 'a',
      BATON_B_COMMAND: 'b',
      BATON_B_READY_TIMEOUT: '5s',
      BATON_B_STOP_TIMEOUT: '250ms',
    });
    assert.deepEqual(
      config.services.map((s) => [s.name, s.readyTimeoutMs, s.stopTimeoutMs]),
      [
        ['a', 60_000, 20_000],
        ['b', 5_000, 250],
      ],
    );
  });

  test('services are sorted by name, whatever the order of the environment', () => {
    const config = valid({ BATON_ZED_COMMAND: 'z', BATON_JOBS_COMMAND: 'j', BATON_ALPHA_COMMAND: 'a', BATON_JOB_RUNNER_COMMAND: 'r', BATON_MID_COMMAND: 'm' });
    assert.deepEqual(
      config.services.map((s) => s.name),
      ['alpha', 'job_runner', 'jobs', 'mid', 'zed'],
    );
  });

  test('durations and signals in every accepted spelling', () => {
    const cases: Array<[string, number]> = [['500ms', 500], ['10s', 10_000], ['2m', 120_000], ['1h', 3_600_000], ['30', 30_000], ['0.5', 500], ['1.5s', 1500]];
    for (const [text, ms] of cases) assert.equal(service({ ...WEB, BATON_WEB_STOP_TIMEOUT: text }).stopTimeoutMs, ms, text);
    const signals: Array<[string, NodeJS.Signals]> = [['TERM', 'SIGTERM'], ['SIGINT', 'SIGINT'], ['2', 'SIGINT'], ['quit', 'SIGQUIT'], ['SIGUSR2', 'SIGUSR2'], ['KILL', 'SIGKILL'], ['HUP', 'SIGHUP'], ['ABRT', 'SIGABRT'], ['PWR', 'SIGPWR']];
    for (const [text, name] of signals) assert.equal(service({ ...WEB, BATON_WEB_STOP_SIGNAL: text }).stopSignal, name, text);
  });

  test('a word-split command splits on any whitespace, with no quote processing', () => {
    assert.deepEqual(service({ BATON_WEB_COMMAND: 'node\tweb.js\n --name "my site"' }).argv, ['node', 'web.js', '--name', '"my', 'site"']);
  });

  test('INSTANCE_VAR: a variable name, kept as written', () => {
    assert.equal(service({ ...WEB, BATON_WEB_INSTANCE_VAR: 'NODE_APP_INSTANCE' }).instanceVar, 'NODE_APP_INSTANCE');
    assert.equal(service({ ...WEB, BATON_WEB_INSTANCE_VAR: ' _worker_id2 ' }).instanceVar, '_worker_id2');
    assert.equal(service(WEB).instanceVar, undefined);
  });

  test('COUNT from 1 to 256', () => {
    assert.equal(service({ ...WEB, BATON_WEB_COUNT: '1' }).count, 1);
    assert.equal(service({ ...WEB, BATON_WEB_COUNT: '256' }).count, 256);
  });

  test('variables that are not baton\'s, unset ones, and the ones baton gives its children are ignored', () => {
    const config = valid({
      ...WEB,
      HOME: '/root',
      baton_web_count: 'x',
      BATONS: 'x',
      BATON_WEB_COUNT: undefined,
      BATON_SERVICE: 'web',
      BATON_INSTANCE: '0',
      BATON_GENERATION: '3',
      BATON_SINGLETON: '1',
    });
    assert.equal(config.services.length, 1);
    assert.equal(config.services[0]?.count, 1);
  });
});

describe('bad values name their variable and say what is accepted', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['BATON_WEB_COMMAND', '', /is set but empty.*JSON array/],
    ['BATON_WEB_COMMAND', '   ', /is set but empty/],
    ['BATON_WEB_COMMAND', '[]', /empty JSON array/],
    ['BATON_WEB_COMMAND', '["node", 1]', /not a JSON array of strings/],
    ['BATON_WEB_COMMAND', '["", "x"]', /empty program name/],
    ['BATON_WEB_COMMAND', '["node", "a\\u0000b"]', /argument 1 "a\\u0000b" holds a NUL byte/],
    ['BATON_WEB_COMMAND', '["no\\u0000de"]', /the program name .* holds a NUL byte/],
    ['BATON_WEB_COMMAND', '["  node", "web.js"]', /the program name " {2}node" starts or ends with whitespace/],
    ['BATON_WEB_COMMAND', '["node\\t"]', /starts or ends with whitespace/],
    ['BATON_WEB_COMMAND', '["node", "web.js"', /not valid JSON.*\["node","web.js"\]/],
    ['BATON_WEB_COUNT', '0', /"0" is not a whole number from 1 to 256, or auto/],
    ['BATON_WEB_COUNT', '257', /"257" is not a whole number from 1 to 256, or auto/],
    ['BATON_WEB_COUNT', '1.5', /not a whole number/],
    ['BATON_WEB_COUNT', 'two', /not a whole number/],
    ['BATON_WEB_COUNT', 'AUTO', /"AUTO" is not a whole number from 1 to 256, or auto/],
    ['BATON_WEB_COUNT', '', /is set but empty \(use a whole number from 1 to 256, or auto\)/],
    ['BATON_WEB_INSTANCE_VAR', '', /is set but empty \(use a variable name such as NODE_APP_INSTANCE\)/],
    ['BATON_WEB_INSTANCE_VAR', '1ST', /"1ST" is not a variable name/],
    ['BATON_WEB_INSTANCE_VAR', 'APP-INSTANCE', /"APP-INSTANCE" is not a variable name/],
    ['BATON_WEB_INSTANCE_VAR', 'A=B', /"A=B" is not a variable name/],
    ['BATON_WEB_INSTANCE_VAR', 'BATON_INSTANCE', /"BATON_INSTANCE" is a variable baton sets itself \(BATON_\*, NOTIFY_\*, LISTEN_\*, WATCHDOG_\*, HOME, USER, LOGNAME, PORT\); choose another name/],
    ['BATON_WEB_INSTANCE_VAR', 'BATON_SINGLETON', /a variable baton sets itself/],
    ['BATON_WEB_INSTANCE_VAR', 'NOTIFY_SOCKET', /a variable baton sets itself/],
    ['BATON_WEB_INSTANCE_VAR', 'LISTEN_FDS', /a variable baton sets itself/],
    ['BATON_WEB_INSTANCE_VAR', 'WATCHDOG_USEC', /a variable baton sets itself/],
    ['BATON_WEB_INSTANCE_VAR', 'HOME', /a variable baton sets itself/],
    ['BATON_WEB_INSTANCE_VAR', 'PORT', /a variable baton sets itself/],
    ['BATON_WEB_READY', 'yes', /"yes" is not a readiness check; use none, notify, ipc, tcp:PORT, tcp:HOST:PORT or an http:\/\/ URL/],
    ['BATON_WEB_READY', 'tcp:', /has no port/],
    ['BATON_WEB_READY', 'tcp:0', /port 0, outside 1\.\.65535/],
    ['BATON_WEB_READY', 'tcp:db:99999', /port 99999, outside 1\.\.65535/],
    ['BATON_WEB_READY', 'tcp:db:http', /"http" as port, which is not a number/],
    ['BATON_WEB_READY', 'tcp::8080', /empty host/],
    ['BATON_WEB_READY', 'tcp:bad host:80', /neither an IP address nor a host name/],
    ['BATON_WEB_READY', 'https://127.0.0.1/health', /https: URL, only http:\/\/ is supported/],
    ['BATON_WEB_READY', 'http://', /not a valid URL/],
    ['BATON_WEB_READY', 'NOTIFY', /not a readiness check/],
    ['BATON_WEB_READY', '', /is set but empty/],
    ['BATON_WEB_READY_TIMEOUT', '0', /"0" is not more than 0/],
    ['BATON_WEB_READY_TIMEOUT', '0ms', /not more than 0/],
    ['BATON_WEB_READY_TIMEOUT', 'soon', /"soon" is not a duration \(use 500ms, 10s, 2m or plain seconds\)/],
    ['BATON_WEB_READY_TIMEOUT', '1000h', /longer than the longest timer/],
    ['BATON_WEB_STOP_SIGNAL', 'NOPE', /"NOPE" is not a signal \(use TERM, SIGINT or a number\)/],
    ['BATON_WEB_STOP_SIGNAL', 'STOP', /"STOP" \(SIGSTOP\) cannot ask a process to stop/],
    ['BATON_WEB_STOP_SIGNAL', 'CHLD', /\(SIGCHLD\) cannot ask a process to stop/],
    ['BATON_WEB_STOP_SIGNAL', 'SIGCONT', /cannot ask a process to stop/],
    ['BATON_WEB_STOP_SIGNAL', 'WINCH', /cannot ask a process to stop/],
    ['BATON_WEB_STOP_SIGNAL', 'URG', /cannot ask a process to stop/],
    ['BATON_WEB_STOP_SIGNAL', 'TSTP', /cannot ask a process to stop/],
    ['BATON_WEB_STOP_SIGNAL', 'TTIN', /cannot ask a process to stop/],
    ['BATON_WEB_STOP_SIGNAL', '22', /\(SIGTTOU\) cannot ask a process to stop/],
    ['BATON_WEB_STOP_SIGNAL', '', /is set but empty/],
    ['BATON_WEB_STOP_TIMEOUT', '-1', /not a duration/],
    ['BATON_WEB_STOP_TIMEOUT', '', /is set but empty/],
    ['BATON_WEB_RESTART', 'sometimes', /"sometimes" is not one of always, on-failure, never/],
    ['BATON_WEB_RESTART', '', /is set but empty \(use one of always, on-failure, never\)/],
    ['BATON_WEB_RELOAD', 'reload', /"reload" is not one of replace, restart, signal/],
    ['BATON_WEB_USER', '', /is set but empty/],
    ['BATON_WEB_CWD', '', /is set but empty/],
    ['BATON_WEB_LISTEN', '', /is set but empty/],
    ['BATON_WEB_LISTEN', '0', /port 0, outside 1\.\.65535/],
    ['BATON_WEB_LISTEN', '65536', /port 65536/],
    ['BATON_WEB_LISTEN', 'run/web.sock', /"run\/web.sock" is not a port number; use PORT, HOST:PORT or an absolute unix socket path/],
    ['BATON_WEB_LISTEN', '127.0.0.1:', /has no port/],
    ['BATON_READY_TIMEOUT', '0', /not more than 0/],
    ['BATON_READY_TIMEOUT', '', /is set but empty/],
    ['BATON_STOP_TIMEOUT', '10x', /"10x" is not a duration/],
    ['BATON_OUTPUT', 'pretty', /"pretty" is not one of inherit, prefix, json/],
    ['BATON_MAX_RESTARTS', '-1', /"-1" is not a whole number of at least 0/],
    ['BATON_MAX_RESTARTS', '', /is set but empty/],
    ['BATON_RELOAD_PARALLEL', '0', /"0" is not a whole number of at least 1, or all/],
    ['BATON_RELOAD_PARALLEL', 'half', /"half" is not a whole number of at least 1, or all/],
    ['BATON_RELOAD_PARALLEL', '', /is set but empty/],
    ['BATON_CONTROL_SOCKET', 'baton.sock', /"baton.sock" is not an absolute path/],
    ['BATON_CONTROL_SOCKET', '', /is set but empty/],
    ['BATON_LOG_LEVEL', 'loud', /"loud".*trace,debug,info,warn,error,fatal,silent/],
    ['BATON_LOG_FORMAT', 'xml', /"xml".*json,pretty/],
  ];
  for (const [variable, value, pattern] of cases) {
    test(`${variable}=${JSON.stringify(value)}`, () => {
      oneError({ ...WEB, [variable]: value }, variable, pattern);
    });
  }

  test('several errors are reported together, sorted by variable, and no config', () => {
    const { config, errors } = read({
      BATON_WEB_COMMAND: 'node web.js',
      BATON_WEB_COUNT: '0',
      BATON_WEB_RESTART: 'maybe',
      BATON_API_COMMAND: '[]',
      BATON_API_READY: 'tcp:x',
      BATON_OUTPUT: 'loud',
      BATON_LOG_LEVEL: 'chatty',
      BATON_WEB_CONUT: '3',
    });
    assert.equal(config, undefined);
    assert.deepEqual(
      errors.map((error) => error.variable),
      ['BATON_API_COMMAND', 'BATON_API_READY', 'BATON_LOG_LEVEL', 'BATON_OUTPUT', 'BATON_WEB_CONUT', 'BATON_WEB_COUNT', 'BATON_WEB_RESTART'],
    );
    for (const error of errors) assert.ok(error.message.startsWith(`${error.variable}: `), error.message);
  });
});

describe('LISTEN clashes between services', () => {
  test('the same port twice is an error on the second service, even on another host', () => {
    oneError(
      { ...WEB, BATON_WEB_LISTEN: '8080', BATON_API_COMMAND: 'api', BATON_API_LISTEN: '127.0.0.1:8080' },
      'BATON_WEB_LISTEN',
      /^BATON_WEB_LISTEN: port 8080 is already taken by service api \(BATON_API_LISTEN\)/,
    );
  });

  test('the same socket path twice is an error on the second service', () => {
    oneError(
      { ...WEB, BATON_WEB_LISTEN: '/run/app.sock', BATON_ZED_COMMAND: 'zed', BATON_ZED_LISTEN: '/run/app.sock' },
      'BATON_ZED_LISTEN',
      /socket \/run\/app.sock is already taken by service web \(BATON_WEB_LISTEN\)/,
    );
  });

  test('three services on one port: two errors', () => {
    const { errors } = read({ A_X: '1', BATON_A_COMMAND: 'a', BATON_A_LISTEN: '80', BATON_B_COMMAND: 'b', BATON_B_LISTEN: '80', BATON_C_COMMAND: 'c', BATON_C_LISTEN: '80' });
    assert.deepEqual(
      errors.map((e) => e.variable),
      ['BATON_B_LISTEN', 'BATON_C_LISTEN'],
    );
  });

  test('different ports and paths are fine', () => {
    const config = valid({ ...WEB, BATON_WEB_LISTEN: '8080', BATON_API_COMMAND: 'api', BATON_API_LISTEN: '8081', BATON_SOCK_COMMAND: 's', BATON_SOCK_LISTEN: '/run/s.sock' });
    assert.equal(config.services.length, 3);
  });

  test('a clash is found even when the service has another bad variable', () => {
    const { errors } = read({ ...WEB, BATON_WEB_LISTEN: '8080', BATON_WEB_COUNT: 'x', BATON_API_COMMAND: 'api', BATON_API_LISTEN: '8080' });
    assert.deepEqual(
      errors.map((e) => e.variable),
      ['BATON_WEB_COUNT', 'BATON_WEB_LISTEN'],
    );
  });
});

describe('no service declared', () => {
  const pattern = /^BATON_<NAME>_COMMAND: no service is declared.*BATON_WEB_COMMAND.*node \/init\.js -- COMMAND/;

  test('an empty environment', () => {
    oneError({ PATH: '/bin' }, 'BATON_<NAME>_COMMAND', pattern);
  });

  test('only globals set', () => {
    oneError({ BATON_OUTPUT: 'prefix', BATON_LOG_LEVEL: 'debug' }, 'BATON_<NAME>_COMMAND', pattern);
  });

  test('along with the keys of the missing service', () => {
    const { config, errors } = read({ BATON_WEB_COUNT: '2' });
    assert.equal(config, undefined);
    assert.deepEqual(
      errors.map((e) => e.variable),
      ['BATON_<NAME>_COMMAND', 'BATON_WEB_COUNT'],
    );
    assert.match(errors[1]?.message ?? '', /no service web is declared/);
  });
});

describe('BATON_RELOAD_PARALLEL', () => {
  test('BATON_RELOAD_PARALLEL defaults to half the CPUs, at least one', () => {
    assert.deepEqual([1, 2, 3, 4, 7, 16].map(defaultReloadParallel), [1, 1, 1, 2, 3, 8]);
    assert.equal(valid({ ...WEB, BATON_RELOAD_PARALLEL: 'all' }).globals.reloadParallel, Infinity);
    assert.equal(valid({ ...WEB, BATON_RELOAD_PARALLEL: ' 12 ' }).globals.reloadParallel, 12);
  });
});
