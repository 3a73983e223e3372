// formatPlan: the configuration --check prints, every value spelled out.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { formatDuration, formatPlan, formatSize } from '../../../src/config/plan.ts';
import { join } from 'node:path';
import { readSupervisorConfig } from '../../../src/config/services.ts';
import { defaultReloadParallel } from '../../../src/config/types.ts';
import { FIXTURES } from '../../helpers/init-process.ts';
import { valid, WEB } from '../../helpers/read-config.ts';

describe('formatPlan', () => {
  test('a sample configuration', () => {
    const config = valid({
      BATON_READY_TIMEOUT: '45s',
      BATON_LOG_FORMAT: 'pretty',
      BATON_CONTROL_SOCKET: '/run/baton.sock',
      BATON_WEB_COMMAND: '["node","web.js","--title","my site"]',
      BATON_WEB_COUNT: '2',
      BATON_WEB_INSTANCE_VAR: 'NODE_APP_INSTANCE',
      BATON_WEB_READY: 'http://127.0.0.1:8080/health',
      BATON_WEB_STOP_SIGNAL: 'INT',
      BATON_WEB_STOP_TIMEOUT: '500ms',
      BATON_WEB_USER: 'app:staff',
      BATON_WEB_CWD: '/',
      BATON_WEB_RELOAD: 'signal',
      BATON_WEB_LISTEN: '8080',
      BATON_WEB_WATCHDOG: '10s',
      BATON_WEB_ENV_PORT: '8080',
      BATON_WEB_ENV_NODE_OPTIONS: '--max-old-space-size=256',
      BATON_WEB_MAX_MEMORY: '512MiB',
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
        '  shutdown delay  none',
        '  start order     web, worker',
        '',
        'service web',
        '  type            service',
        '  argv            ["node","web.js","--title","my site"]',
        '  count           2',
        '  instance var    NODE_APP_INSTANCE (0 to 1)',
        '  singleton       instance 1 gets BATON_SINGLETON=1',
        '  readiness       http http://127.0.0.1:8080/health',
        '  ready timeout   45s',
        '  stop            SIGINT, timeout 500ms',
        '  restart         always',
        '  user            app:staff (1000:50, home /home/app)',
        '  cwd             /',
        "  env             the init's, and sets NODE_OPTIONS, PORT",
        '  reload          signal',
        '  listen          tcp 0.0.0.0:8080',
        '  watchdog        keep-alive within 10s once ready',
        '  after           none',
        '  essential       no',
        '  max memory      512M (536870912 bytes) resident per instance, replaced above it',
        '',
        'service worker',
        '  type            service',
        '  argv            ["node","worker.js"]',
        '  count           1',
        '  instance var    none',
        '  singleton       none (RELOAD=replace runs two instance 1s during a reload)',
        '  readiness       tcp [::1]:9000',
        '  ready timeout   2m',
        '  stop            SIGTERM, timeout 8s',
        '  restart         on-failure',
        '  user            2000 (2000:2000)',
        "  cwd             the init's",
        "  env             the init's",
        '  reload          replace',
        '  listen          unix /run/worker.sock',
        '  watchdog        none',
        '  after           none',
        '  essential       no',
        '  max memory      none',
        '',
      ].join('\n'),
    );
  });

  test('READY=ipc and the listen shim', () => {
    const plan = formatPlan(valid({ ...WEB, BATON_WEB_READY: 'ipc', BATON_WEB_LISTEN: '8080', BATON_WEB_LISTEN_SHIM: 'true' }));
    assert.match(plan, /^ {2}readiness {7}ipc \(process\.send\('ready'\)\)$/m);
    assert.match(plan, /^ {2}listen shim {5}yes: PORT=8080, and the first listen on it takes the socket$/m);
  });

  test('defaults are spelled out', () => {
    const plan = formatPlan(valid(WEB));
    assert.match(plan, /^ {2}control socket {2}\/run\/baton\/control\.sock \(a private temp folder when \/run is not writable\)$/m);
    assert.match(plan, /^ {2}readiness {7}none$/m);
    assert.match(plan, /^ {2}user {12}the init's$/m);
    assert.match(plan, /^ {2}listen {10}none$/m);
    assert.doesNotMatch(plan, /listen shim/);
    const parallel = defaultReloadParallel(availableParallelism());
    assert.match(plan, new RegExp(`^ {2}reload starts {3}${parallel} new instances? at a time$`, 'm'));
  });

  test('per-service variables are listed by name, never with their values', () => {
    const plan = formatPlan(valid({ ...WEB, BATON_WEB_ENV_DATABASE_URL: 'postgres://app:s3cret@db/app', BATON_WEB_ENV_EMPTY: '' }));
    assert.match(plan, /^ {2}env {13}the init's, and sets DATABASE_URL, EMPTY$/m);
    assert.doesNotMatch(plan, /s3cret/);
  });

  test('COUNT=auto says what it resolved to and why; who holds the singleton role', () => {
    const { config, errors } = readSupervisorConfig(
      {
        BATON_WEB_COMMAND: 'node web.js',
        BATON_WEB_COUNT: 'auto',
        BATON_CRON_COMMAND: 'node cron.js',
        BATON_CRON_RELOAD: 'restart',
        BATON_SIGNALLED_COMMAND: 'node s.js',
        BATON_SIGNALLED_RELOAD: 'signal',
        BATON_MIGRATE_COMMAND: 'node migrate.js',
        BATON_MIGRATE_TYPE: 'oneshot',
      },
      { root: join(FIXTURES, 'cgroup-v2-quota') },
    );
    assert.deepEqual(errors, []);
    assert.ok(config);
    const plan = formatPlan(config);
    const part = (name: string): string => plan.slice(plan.indexOf(`service ${name}\n`)).split('\n\n')[0] ?? '';
    assert.match(part('web'), /^ {2}count {11}2 \(auto: cgroup v2 cpu\.max 150000\/100000 \(\/sys\/fs\/cgroup\) = 1\.5 CPUs, rounded up; 4 CPUs in the affinity mask\)$/m);
    assert.match(part('web'), /^ {2}singleton {7}none \(RELOAD=replace runs two instance 1s during a reload\)$/m);
    assert.match(part('cron'), /^ {2}count {11}1$/m);
    assert.match(part('cron'), /^ {2}singleton {7}instance 1 gets BATON_SINGLETON=1$/m);
    assert.match(part('signalled'), /^ {2}singleton {7}instance 1 gets BATON_SINGLETON=1$/m);
    assert.match(part('migrate'), /^ {2}singleton {7}none \(a oneshot\)$/m);
  });

  test('durations in the largest unit that divides evenly', () => {
    assert.deepEqual(
      [500, 1000, 1500, 30_000, 90_000, 120_000, 3_600_000, 5_400_000].map(formatDuration),
      ['500ms', '1s', '1.5s', '30s', '90s', '2m', '1h', '90m'],
    );
  });

  test('a oneshot, an order and a shutdown delay', () => {
    const plan = formatPlan(
      valid({
        BATON_SHUTDOWN_DELAY: '5s',
        BATON_MIGRATE_COMMAND: 'node migrate.js',
        BATON_MIGRATE_TYPE: 'oneshot',
        BATON_MIGRATE_READY_TIMEOUT: '5m',
        BATON_WEB_COMMAND: 'node web.js',
        BATON_WEB_AFTER: 'migrate,cache',
        BATON_WEB_ESSENTIAL: 'yes',
        BATON_CACHE_COMMAND: 'node cache.js',
        BATON_LOG_COMMAND: 'node log.js',
      }),
    );
    assert.match(plan, /^ {2}shutdown delay {2}5s \(--health 1, services running\) before the stop signals$/m);
    assert.match(plan, /^ {2}start order {5}cache, log, migrate; then web$/m);
    const migrate = plan.slice(plan.indexOf('service migrate'), plan.indexOf('service web'));
    assert.match(migrate, /^ {2}type {12}oneshot \(done when it exits 0; never restarted; runs again on every reload\)$/m);
    assert.match(migrate, /^ {2}time limit {6}5m$/m);
    assert.doesNotMatch(migrate, /^ {2}(readiness|restart|reload|watchdog) /m);
    const web = plan.slice(plan.indexOf('service web'));
    assert.match(web, /^ {2}after {11}migrate, cache$/m);
    assert.match(web, /^ {2}essential {7}yes: when it ends for good, everything stops and the init exits with its code$/m);
  });

  test('formatSize: the largest 1024-based unit that divides evenly', () => {
    assert.deepEqual([1_048_576, 1_572_864, 2 ** 30, 3 * 2 ** 40, 1_048_577, 1025 * 1024].map(formatSize), ['1M', '1536K', '1G', '3T', '1048577B', '1025K']);
  });
});
