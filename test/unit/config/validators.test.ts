// CWD: an existing absolute directory, or a message saying what is wrong with the path.
import { after, describe, test } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { oneError, service, WEB } from '../../helpers/read-config.ts';

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
