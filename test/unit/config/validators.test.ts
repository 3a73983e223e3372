// CWD: an existing absolute directory, or a message saying what is wrong with the path.
import { after, describe, test } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { oneError, service, valid, WEB } from '../../helpers/read-config.ts';

const TMP = mkdtempSync(join(tmpdir(), 'baton-config-'));
const SRV = join(TMP, 'srv');
const A_FILE = join(TMP, 'file.txt');
mkdirSync(SRV);
writeFileSync(A_FILE, 'not a directory');
after(() => rmSync(TMP, { recursive: true, force: true }));

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

describe('MAX_MEMORY', () => {
  const bytes = (value: string) => service({ ...WEB, BATON_WEB_MAX_MEMORY: value }).maxMemoryBytes;
  test('bytes, or K, M, G, T as 1024-based units, also spelled KiB ... TiB and Ki ... Ti, in either case', () => {
    assert.equal(bytes('1048576'), 1024 * 1024);
    assert.equal(bytes('1024K'), 1024 * 1024);
    assert.equal(bytes('512M'), 512 * 2 ** 20);
    assert.equal(bytes('512m'), 512 * 2 ** 20);
    assert.equal(bytes('256MiB'), 256 * 2 ** 20);
    assert.equal(bytes('256Mi'), 256 * 2 ** 20);
    assert.equal(bytes('1G'), 2 ** 30);
    assert.equal(bytes('1.5G'), 1.5 * 2 ** 30);
    assert.equal(bytes('2TiB'), 2 * 2 ** 40);
    assert.equal(bytes(' 64M '), 64 * 2 ** 20);
  });
  test('unset: no limit', () => {
    assert.equal(service(WEB).maxMemoryBytes, undefined);
  });
  test('under 1 MiB', () => {
    oneError({ ...WEB, BATON_WEB_MAX_MEMORY: '1048575' }, 'BATON_WEB_MAX_MEMORY', /"1048575" is under 1M/);
    oneError({ ...WEB, BATON_WEB_MAX_MEMORY: '1023K' }, 'BATON_WEB_MAX_MEMORY', /"1023K" is under 1M/);
    oneError({ ...WEB, BATON_WEB_MAX_MEMORY: '0' }, 'BATON_WEB_MAX_MEMORY', /"0" is under 1M/);
  });
  test('malformed', () => {
    for (const value of ['lots', '512X', '-5M', 'M', '1.5', '5 MiBs', '0x100000']) {
      oneError({ ...WEB, BATON_WEB_MAX_MEMORY: value }, 'BATON_WEB_MAX_MEMORY', new RegExp(`"${value}" is not a size`));
    }
  });
  test('KB, MB, GB, TB are refused as ambiguous', () => {
    oneError({ ...WEB, BATON_WEB_MAX_MEMORY: '512MB' }, 'BATON_WEB_MAX_MEMORY', /"512MB" is ambiguous/);
    oneError({ ...WEB, BATON_WEB_MAX_MEMORY: '1gb' }, 'BATON_WEB_MAX_MEMORY', /"1gb" is ambiguous/);
  });
  test('more bytes than a Number holds exactly', () => {
    assert.equal(bytes('8191T'), 8191 * 2 ** 40);
    oneError({ ...WEB, BATON_WEB_MAX_MEMORY: '8192T' }, 'BATON_WEB_MAX_MEMORY', /more bytes than baton can count exactly/);
    oneError({ ...WEB, BATON_WEB_MAX_MEMORY: '99999999999999999999' }, 'BATON_WEB_MAX_MEMORY', /more bytes than baton can count exactly/);
  });
  test('empty', () => {
    oneError({ ...WEB, BATON_WEB_MAX_MEMORY: '' }, 'BATON_WEB_MAX_MEMORY', /is set but empty/);
  });
});

describe('WATCHDOG', () => {
  test('a duration of 100ms or more', () => {
    assert.equal(service({ ...WEB, BATON_WEB_WATCHDOG: '3s' }).watchdogMs, 3000);
    assert.equal(service({ ...WEB, BATON_WEB_WATCHDOG: '100ms' }).watchdogMs, 100);
  });
  test('unset: no watchdog', () => {
    assert.equal(service(WEB).watchdogMs, undefined);
  });
  test('under 100ms', () => {
    oneError({ ...WEB, BATON_WEB_WATCHDOG: '99ms' }, 'BATON_WEB_WATCHDOG', /"99ms" is under 100ms/);
    oneError({ ...WEB, BATON_WEB_WATCHDOG: '0' }, 'BATON_WEB_WATCHDOG', /"0" is under 100ms/);
  });
  test('not a duration', () => {
    oneError({ ...WEB, BATON_WEB_WATCHDOG: 'soon' }, 'BATON_WEB_WATCHDOG', /"soon" is not a duration/);
  });
});

describe('TYPE, AFTER, ESSENTIAL, SHUTDOWN_DELAY', () => {
  test('TYPE: service (the default) or oneshot', () => {
    assert.equal(service(WEB).type, 'service');
    assert.equal(service({ ...WEB, BATON_WEB_TYPE: 'oneshot' }).type, 'oneshot');
    oneError({ ...WEB, BATON_WEB_TYPE: 'daemon' }, 'BATON_WEB_TYPE', /"daemon" is not one of service, oneshot/);
  });

  test('a oneshot has no READY, RESTART, RELOAD, WATCHDOG or ESSENTIAL', () => {
    for (const key of ['READY', 'RESTART', 'RELOAD', 'WATCHDOG', 'ESSENTIAL']) {
      const value = { READY: 'notify', RESTART: 'always', RELOAD: 'replace', WATCHDOG: '5s', ESSENTIAL: 'true' }[key] as string;
      oneError({ ...WEB, BATON_WEB_TYPE: 'oneshot', [`BATON_WEB_${key}`]: value }, `BATON_WEB_${key}`, new RegExp(`web is a oneshot \\(BATON_WEB_TYPE=oneshot\\).*so ${key} does not apply`));
    }
  });

  test('AFTER: declared names, lower-cased, separated by commas', () => {
    const env = { ...WEB, BATON_MIGRATE_COMMAND: 'node m.js', BATON_JOB_RUNNER_COMMAND: 'node j.js', BATON_WEB_AFTER: ' MIGRATE, job_runner ,migrate' };
    assert.deepEqual(service(env).after, ['migrate', 'job_runner']);
    assert.deepEqual(service(WEB).after, []);
  });

  test('AFTER: a bad name', () => {
    oneError({ ...WEB, BATON_WEB_AFTER: 'a,,b' }, 'BATON_WEB_AFTER', /"" is not a service name/);
  });

  test('ESSENTIAL: true or false, and their usual spellings', () => {
    assert.equal(service(WEB).essential, false);
    assert.equal(service({ ...WEB, BATON_WEB_ESSENTIAL: 'true' }).essential, true);
    assert.equal(service({ ...WEB, BATON_WEB_ESSENTIAL: 'YES' }).essential, true);
    assert.equal(service({ ...WEB, BATON_WEB_ESSENTIAL: '0' }).essential, false);
    oneError({ ...WEB, BATON_WEB_ESSENTIAL: 'sometimes' }, 'BATON_WEB_ESSENTIAL', /"sometimes" is not true or false/);
  });

  test('SHUTDOWN_DELAY: a duration, 0 by default', () => {
    assert.equal(valid(WEB).globals.shutdownDelayMs, 0);
    assert.equal(valid({ ...WEB, BATON_SHUTDOWN_DELAY: '3s' }).globals.shutdownDelayMs, 3000);
    oneError({ ...WEB, BATON_SHUTDOWN_DELAY: 'soon' }, 'BATON_SHUTDOWN_DELAY', /"soon" is not a duration/);
  });
});

test('INSTANCE_VAR and ENV_<VAR> cannot both set one variable', () => {
  oneError({ ...WEB, BATON_WEB_INSTANCE_VAR: 'NODE_APP_INSTANCE', BATON_WEB_ENV_NODE_APP_INSTANCE: '5' }, 'BATON_WEB_INSTANCE_VAR', /^BATON_WEB_INSTANCE_VAR: NODE_APP_INSTANCE is also set by BATON_WEB_ENV_NODE_APP_INSTANCE; one of the two would be lost: keep one$/);
});

test('LISTEN_SHIM and ENV_PORT cannot both set PORT; NODE_CHANNEL_FD is baton\'s', () => {
  oneError({ ...WEB, BATON_WEB_LISTEN: '8080', BATON_WEB_LISTEN_SHIM: 'true', BATON_WEB_ENV_PORT: '3000' }, 'BATON_WEB_LISTEN_SHIM', /sets PORT to the LISTEN port, and BATON_WEB_ENV_PORT sets it too/);
  oneError({ ...WEB, BATON_WEB_ENV_NODE_CHANNEL_FD: '3' }, 'BATON_WEB_ENV_NODE_CHANNEL_FD', /NODE_CHANNEL_FD/);
});
