// The forms of READY and LISTEN.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { oneError, service, WEB } from '../../helpers/read-config.ts';

describe('READY forms', () => {
  const cases: Array<[string, unknown]> = [
    ['none', { kind: 'none' }],
    ['notify', { kind: 'notify' }],
    ['ipc', { kind: 'ipc' }],
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
});

describe('LISTEN_SHIM', () => {
  test('off unless set', () => assert.equal(service({ ...WEB, BATON_WEB_LISTEN: '8080' }).listenShim, undefined));
  test('on with a TCP LISTEN', () => {
    for (const yes of ['true', 'yes', '1']) assert.equal(service({ ...WEB, BATON_WEB_LISTEN: '127.0.0.1:8080', BATON_WEB_LISTEN_SHIM: yes }).listenShim, true);
    assert.equal(service({ ...WEB, BATON_WEB_LISTEN: '8080', BATON_WEB_LISTEN_SHIM: 'false' }).listenShim, undefined);
  });
  test('refused without a LISTEN, and with a unix one', () => {
    oneError({ ...WEB, BATON_WEB_LISTEN_SHIM: 'true' }, 'BATON_WEB_LISTEN_SHIM', /BATON_WEB_LISTEN is not set; set a TCP LISTEN/);
    oneError({ ...WEB, BATON_WEB_LISTEN: '/run/web.sock', BATON_WEB_LISTEN_SHIM: 'true' }, 'BATON_WEB_LISTEN_SHIM', /BATON_WEB_LISTEN is a unix socket, which has no port/);
    oneError({ ...WEB, BATON_WEB_LISTEN: '8080', BATON_WEB_LISTEN_SHIM: 'maybe' }, 'BATON_WEB_LISTEN_SHIM', /"maybe" is not true or false/);
  });
});
