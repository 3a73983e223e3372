// Credentials in an HTTP readiness URL never reach a log or a plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskedUrl } from '../../../src/readiness/masked-url.ts';
import { parseReadiness } from '../../../src/config/endpoints.ts';

test('the password is masked, the user and the rest kept', () => {
  assert.equal(maskedUrl('http://admin:s3cr%40t@db:8080/health?x=1'), 'http://admin:***@db:8080/health?x=1');
  assert.equal(maskedUrl('http://:pw@host/'), 'http://:***@host/');
});

test('a URL without a password is unchanged', () => {
  for (const url of ['http://host:8080/ready', 'http://user@host/', 'http://host/a:b@c']) assert.equal(maskedUrl(url), url);
});

test('a rejected readiness URL is quoted with its password masked', () => {
  assert.throws(() => parseReadiness('https://me:hunter2@host/'), (error: Error) => !error.message.includes('hunter2') && error.message.includes('me:***@host'));
});
