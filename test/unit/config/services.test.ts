// Supervisor mode's BATON_* variables: parsing, defaults, and the errors a user sees.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPlan, readSupervisorConfig } from '../../../src/config/services.ts';
import { formatDuration } from '../../../src/config/plan.ts';
import { defaultReloadParallel, type ServiceConfig, type SupervisorConfig } from '../../../src/config/types.ts';

const PASSWD = [
  '# comments and broken lines are skipped',
  '#ghost:x:3000:3000::/home/ghost:/bin/sh',
  'daemon:x:1:1:::/usr/sbin/nologin',
  'root:x:0:0:root:/root:/bin/sh',
  'app:x:1000:1001:App:/home/app:/bin/sh',
  'broken:x:notanumber:1',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'staff:x:50:app', 'app:x:1001:', 'web:x:60:'].join('\n');
const FILES = { passwd: PASSWD, group: GROUP };

const TMP = mkdtempSync(join(tmpdir(), 'baton-config-'));
const SRV = join(TMP, 'srv');
const A_FILE = join(TMP, 'file.txt');
mkdirSync(SRV);
writeFileSync(A_FILE, 'not a directory');
after(() => rmSync(TMP, { recursive: true, force: true }));

function read(env: NodeJS.ProcessEnv) {
  return readSupervisorConfig(env, FILES);
}

/** The config, failing with the errors when there are any. */
function valid(env: NodeJS.ProcessEnv): SupervisorConfig {
  const { config, errors } = read(env);
  assert.deepEqual(errors, []);
  assert.ok(config);
  return config;
}

function service(env: NodeJS.ProcessEnv, name = 'web'): ServiceConfig {
  const found = valid(env).services.find((candidate) => candidate.name === name);
  assert.ok(found, `service ${name}`);
  return found;
}

/** The one error the environment causes; its variable and the start of its message must agree. */
function oneError(env: NodeJS.ProcessEnv, variable: string, pattern: RegExp): string {
  const { config, errors } = read(env);
  assert.equal(config, undefined);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  const [error] = errors;
  assert.ok(error);
  assert.equal(error.variable, variable);
  assert.ok(error.message.startsWith(`${variable}: `), error.message);
  assert.match(error.message, pattern);
  return error.message;
}

const WEB = { BATON_WEB_COMMAND: 'node web.js' };

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
      },
      services: [
        {
          name: 'job_runner',
          key: 'JOB_RUNNER',
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
        },
        {
          name: 'web',
          key: 'WEB',
          argv: ['node', 'web.js', '--title', 'my site'],
          count: 4,
          readiness: { kind: 'http', url: 'http://127.0.0.1:8080/health' },
          readyTimeoutMs: 120_000,
          stopSignal: 'SIGINT',
          stopTimeoutMs: 500,
          restart: 'on-failure',
          user: { uid: 1000, gid: 1001, spec: 'app', name: 'app', home: '/home/app' },
          cwd: SRV,
          reload: 'signal',
          listen: { kind: 'tcp', host: '0.0.0.0', port: 8080 },
        },
      ],
    });
  });

  test('defaults: one COMMAND is a whole service', () => {
    assert.deepEqual(valid(WEB), {
      globals: { readyTimeoutMs: 30_000, stopTimeoutMs: 8_000, logLevel: 'info', logFormat: 'json', output: 'inherit', maxRestarts: 5, reloadParallel: defaultReloadParallel(availableParallelism()) },
      services: [
        {
          name: 'web',
          key: 'WEB',
          argv: ['node', 'web.js'],
          count: 1,
          readiness: { kind: 'none' },
          readyTimeoutMs: 30_000,
          stopSignal: 'SIGTERM',
          stopTimeoutMs: 8_000,
          restart: 'always',
          reload: 'replace',
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
    ['BATON_WEB_COUNT', '0', /"0" is not a whole number from 1 to 256/],
    ['BATON_WEB_COUNT', '257', /"257" is not a whole number from 1 to 256/],
    ['BATON_WEB_COUNT', '1.5', /not a whole number/],
    ['BATON_WEB_COUNT', 'two', /not a whole number/],
    ['BATON_WEB_COUNT', '', /is set but empty \(use a whole number from 1 to 256\)/],
    ['BATON_WEB_READY', 'yes', /"yes" is not a readiness check; use none, notify, tcp:PORT, tcp:HOST:PORT or an http:\/\/ URL/],
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

describe('unknown variables', () => {
  test('a typo in a service key lists the known keys and suggests the closest', () => {
    const message = oneError({ ...WEB, BATON_WEB_CONUT: '2' }, 'BATON_WEB_CONUT', /^BATON_WEB_CONUT: not a known variable of service web/);
    assert.equal(
      message,
      'BATON_WEB_CONUT: not a known variable of service web (known: COMMAND, COUNT, READY, READY_TIMEOUT, STOP_SIGNAL, STOP_TIMEOUT, RESTART, USER, CWD, RELOAD, LISTEN); did you mean BATON_WEB_COUNT?',
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
    const message = oneError({ ...WEB, BATON_FOO: '1' }, 'BATON_FOO', /^BATON_FOO: not a baton variable \(globals: BATON_READY_TIMEOUT, .*BATON_CONTROL_SOCKET; services are declared with BATON_<NAME>_COMMAND\)$/);
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

describe('READY forms', () => {
  const cases: Array<[string, unknown]> = [
    ['none', { kind: 'none' }],
    ['notify', { kind: 'notify' }],
    ['tcp:8080', { kind: 'tcp', host: '127.0.0.1', port: 8080 }],
    ['tcp:db:5432', { kind: 'tcp', host: 'db', port: 5432 }],
    ['tcp:10.0.0.2:6379', { kind: 'tcp', host: '10.0.0.2', port: 6379 }],
    ['tcp:[::1]:80', { kind: 'tcp', host: '::1', port: 80 }],
    ['tcp:65535', { kind: 'tcp', host: '127.0.0.1', port: 65535 }],
    ['http://127.0.0.1:8080/health', { kind: 'http', url: 'http://127.0.0.1:8080/health' }],
    ['http://localhost:3000', { kind: 'http', url: 'http://localhost:3000/' }],
    ['http://[::1]:3000/ready?deep=1', { kind: 'http', url: 'http://[::1]:3000/ready?deep=1' }],
  ];
  for (const [text, readiness] of cases) {
    test(text, () => assert.deepEqual(service({ ...WEB, BATON_WEB_READY: text }).readiness, readiness));
  }
});

describe('USER forms against /etc/passwd and /etc/group', () => {
  const cases: Array<[string, unknown]> = [
    ['app', { uid: 1000, gid: 1001, spec: 'app', name: 'app', home: '/home/app' }],
    ['root', { uid: 0, gid: 0, spec: 'root', name: 'root', home: '/root' }],
    ['1000', { uid: 1000, gid: 1001, spec: '1000', name: 'app', home: '/home/app' }],
    ['2000', { uid: 2000, gid: 2000, spec: '2000' }],
    ['app:staff', { uid: 1000, gid: 50, spec: 'app:staff', name: 'app', home: '/home/app' }],
    ['app:60', { uid: 1000, gid: 60, spec: 'app:60', name: 'app', home: '/home/app' }],
    ['2000:3000', { uid: 2000, gid: 3000, spec: '2000:3000' }],
    ['2000:web', { uid: 2000, gid: 60, spec: '2000:web' }],
    ['daemon', { uid: 1, gid: 1, spec: 'daemon', name: 'daemon' }],
    ['nobody', { uid: 65534, gid: 65534, spec: 'nobody', name: 'nobody', home: '/nonexistent' }],
  ];
  for (const [text, user] of cases) {
    test(text, () => assert.deepEqual(service({ ...WEB, BATON_WEB_USER: text }).user, user));
  }

  const bad: Array<[string, RegExp]> = [
    ['ghost', /"ghost": unknown user "ghost" \(not in \/etc\/passwd\); use name, uid, name:group, uid:gid, name:gid or uid:group/],
    ['broken', /unknown user "broken"/],
    ['#ghost', /unknown user "#ghost"/],
    ['app:wheel', /unknown group "wheel" \(not in \/etc\/group\)/],
    ['ghost:staff', /unknown user "ghost"/],
    ['app:', /"app:" is not a user/],
    [':staff', /":staff" is not a user/],
    ['a:b:c', /"a:b:c" is not a user/],
    ['4294967295', /uid 4294967295 is above 2147483647/],
    ['1:4294967296', /gid 4294967296 is above/],
    // Node's spawn takes a signed 32-bit id: these used to pass --check and fail at spawn.
    ['3000000000', /uid 3000000000 is above 2147483647/],
    ['2147483648', /uid 2147483648 is above 2147483647/],
    ['1:2147483648', /gid 2147483648 is above 2147483647/],
  ];
  for (const [text, pattern] of bad) {
    test(`${text} is refused`, () => {
      oneError({ ...WEB, BATON_WEB_USER: text }, 'BATON_WEB_USER', pattern);
    });
  }

  test('without files given, the real /etc/passwd is read (a missing one knows no one)', () => {
    const { errors } = readSupervisorConfig({ ...WEB, BATON_WEB_USER: 'baton-no-such-user-x7' });
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /^BATON_WEB_USER: .*unknown user "baton-no-such-user-x7"/);
  });
});

describe('CWD', () => {
  test('an existing absolute directory', () => {
    assert.equal(service({ ...WEB, BATON_WEB_CWD: SRV }).cwd, SRV);
  });
  test('a relative path', () => {
    oneError({ ...WEB, BATON_WEB_CWD: 'srv' }, 'BATON_WEB_CWD', /"srv" is not an absolute path/);
  });
  test('a missing directory', () => {
    const missing = join(TMP, 'missing');
    oneError({ ...WEB, BATON_WEB_CWD: missing }, 'BATON_WEB_CWD', new RegExp(`"${missing}" does not exist`));
  });
  test('a file', () => {
    oneError({ ...WEB, BATON_WEB_CWD: A_FILE }, 'BATON_WEB_CWD', new RegExp(`"${A_FILE}" is not a directory`));
  });
  test('a path through a file', () => {
    oneError({ ...WEB, BATON_WEB_CWD: join(A_FILE, 'sub') }, 'BATON_WEB_CWD', /cannot be used as a directory \(a part of the path is a file/);
  });
});

describe('LISTEN', () => {
  const cases: Array<[string, unknown]> = [
    ['8080', { kind: 'tcp', host: '0.0.0.0', port: 8080 }],
    ['127.0.0.1:9000', { kind: 'tcp', host: '127.0.0.1', port: 9000 }],
    ['[::]:80', { kind: 'tcp', host: '::', port: 80 }],
    ['localhost:3000', { kind: 'tcp', host: 'localhost', port: 3000 }],
    ['/run/web.sock', { kind: 'unix', path: '/run/web.sock' }],
  ];
  for (const [text, listen] of cases) {
    test(text, () => assert.deepEqual(service({ ...WEB, BATON_WEB_LISTEN: text }).listen, listen));
  }

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

describe('formatPlan', () => {
  test('a sample configuration', () => {
    const config = valid({
      BATON_READY_TIMEOUT: '45s',
      BATON_LOG_FORMAT: 'pretty',
      BATON_CONTROL_SOCKET: '/run/baton.sock',
      BATON_WEB_COMMAND: '["node","web.js","--title","my site"]',
      BATON_WEB_COUNT: '2',
      BATON_WEB_READY: 'http://127.0.0.1:8080/health',
      BATON_WEB_STOP_SIGNAL: 'INT',
      BATON_WEB_STOP_TIMEOUT: '500ms',
      BATON_WEB_USER: 'app:staff',
      BATON_WEB_CWD: '/',
      BATON_WEB_RELOAD: 'signal',
      BATON_WEB_LISTEN: '8080',
      BATON_WORKER_COMMAND: 'node worker.js',
      BATON_WORKER_READY: 'tcp:[::1]:9000',
      BATON_WORKER_READY_TIMEOUT: '2m',
      BATON_WORKER_RESTART: 'on-failure',
      BATON_WORKER_USER: '2000',
      BATON_WORKER_LISTEN: '/run/worker.sock',
      BATON_RELOAD_PARALLEL: 'all',
    });
    assert.equal(
      formatPlan(config),
      [
        'globals',
        '  ready timeout   45s',
        '  stop timeout    8s',
        '  log level       info',
        '  log format      pretty',
        '  output          inherit',
        '  max restarts    5',
        '  reload starts   all new instances at once',
        '  control socket  /run/baton.sock',
        '',
        'service web',
        '  argv            ["node","web.js","--title","my site"]',
        '  count           2',
        '  readiness       http http://127.0.0.1:8080/health',
        '  ready timeout   45s',
        '  stop            SIGINT, timeout 500ms',
        '  restart         always',
        '  user            app:staff (1000:50, home /home/app)',
        '  cwd             /',
        '  reload          signal',
        '  listen          tcp 0.0.0.0:8080',
        '',
        'service worker',
        '  argv            ["node","worker.js"]',
        '  count           1',
        '  readiness       tcp [::1]:9000',
        '  ready timeout   2m',
        '  stop            SIGTERM, timeout 8s',
        '  restart         on-failure',
        '  user            2000 (2000:2000)',
        "  cwd             the init's",
        '  reload          replace',
        '  listen          unix /run/worker.sock',
        '',
      ].join('\n'),
    );
  });

  test('defaults are spelled out', () => {
    const plan = formatPlan(valid(WEB));
    assert.match(plan, /^ {2}control socket {2}\/run\/baton\/control\.sock \(a private temp folder when \/run is not writable\)$/m);
    assert.match(plan, /^ {2}readiness {7}none$/m);
    assert.match(plan, /^ {2}user {12}the init's$/m);
    assert.match(plan, /^ {2}listen {10}none$/m);
    const parallel = defaultReloadParallel(availableParallelism());
    assert.match(plan, new RegExp(`^ {2}reload starts {3}${parallel} new instances? at a time$`, 'm'));
  });

  test('BATON_RELOAD_PARALLEL defaults to half the CPUs, at least one', () => {
    assert.deepEqual([1, 2, 3, 4, 7, 16].map(defaultReloadParallel), [1, 1, 1, 2, 3, 8]);
    assert.equal(valid({ ...WEB, BATON_RELOAD_PARALLEL: 'all' }).globals.reloadParallel, Infinity);
    assert.equal(valid({ ...WEB, BATON_RELOAD_PARALLEL: ' 12 ' }).globals.reloadParallel, 12);
  });

  test('durations in the largest unit that divides evenly', () => {
    assert.deepEqual(
      [500, 1000, 1500, 30_000, 90_000, 120_000, 3_600_000, 5_400_000].map(formatDuration),
      ['500ms', '1s', '1.5s', '30s', '90s', '2m', '1h', '90m'],
    );
  });
});
