// rewriteListen: which net.Server#listen calls the listen shim turns into a listen on fd 3.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePort, rewriteListen } from '../../../src/shim/listen-match.ts';

const PORT = 8080;
const cb = (): void => undefined;
const signal = new AbortController().signal;

describe('rewriteListen', () => {
  const rewritten: Array<[string, unknown[], unknown[]]> = [
    ['listen(PORT)', [8080], [{ fd: 3 }]],
    ['listen("PORT")', ['8080'], [{ fd: 3 }]],
    ['listen(PORT, cb)', [8080, cb], [{ fd: 3 }, cb]],
    ['listen(PORT, "0.0.0.0", cb)', [8080, '0.0.0.0', cb], [{ fd: 3 }, cb]],
    ['listen(PORT, "::")', [8080, '::'], [{ fd: 3 }]],
    ['listen(PORT, "", cb)', [8080, '', cb], [{ fd: 3 }, cb]],
    ['listen(PORT, undefined, 511, cb)', [8080, undefined, 511, cb], [{ fd: 3, backlog: 511 }, cb]],
    ['listen(PORT, 100, cb)', [8080, 100, cb], [{ fd: 3, backlog: 100 }, cb]],
    ['listen(PORT, "0.0.0.0", 100, cb)', [8080, '0.0.0.0', 100, cb], [{ fd: 3, backlog: 100 }, cb]],
    ['listen({ port: PORT })', [{ port: 8080 }], [{ fd: 3 }]],
    ['listen({ port: "PORT", host: "::" }, cb)', [{ port: '8080', host: '::' }, cb], [{ fd: 3 }, cb]],
    ['listen({ port: PORT, host: null }) (a cluster primary)', [{ port: 8080, host: null }], [{ fd: 3 }]],
    ['listen({ port: PORT, host: "0.0.0.0", backlog: 64, signal })', [{ port: 8080, host: '0.0.0.0', backlog: 64, signal }], [{ fd: 3, backlog: 64, signal }]],
  ];
  for (const [name, args, expected] of rewritten) {
    test(`rewrites ${name}`, () => assert.deepEqual(rewriteListen(args, PORT), expected));
  }

  const untouched: Array<[string, unknown[]]> = [
    ['listen()', []],
    ['listen(cb)', [cb]],
    ['listen(0)', [0]],
    ['listen(another port)', [8081]],
    ['listen("another port")', ['8081']],
    ['listen(PORT, "127.0.0.1")', [8080, '127.0.0.1']],
    ['listen(PORT, "localhost")', [8080, 'localhost']],
    ['listen(PORT, "::1", cb)', [8080, '::1', cb]],
    ['listen(a unix path)', ['/run/app.sock']],
    ['listen("8080.sock")', ['8080.sock']],
    ['listen(" 8080")', [' 8080']],
    ['listen(PORT as a float)', [8080.5]],
    ['listen({ port: another })', [{ port: 9090 }]],
    ['listen({ port: PORT, host: "127.0.0.1" })', [{ port: 8080, host: '127.0.0.1' }]],
    ['listen({ path })', [{ path: '/run/app.sock' }]],
    ['listen({ fd: 3 })', [{ fd: 3 }]],
    ['listen({ fd: 4, port: PORT })', [{ fd: 4, port: 8080 }]],
    ['listen({ handle })', [{ handle: {} }]],
    ['listen({}) (no port)', [{}]],
    ['listen(null)', [null]],
  ];
  for (const [name, args] of untouched) {
    test(`leaves ${name}`, () => assert.equal(rewriteListen(args, PORT), undefined));
  }
});

describe('parsePort', () => {
  test('a port number, else nothing', () => {
    assert.equal(parsePort('8080'), 8080);
    assert.equal(parsePort('65535'), 65535);
    for (const bad of [undefined, '', '0', '65536', 'http', '80 ', '-1', '8.5']) assert.equal(parsePort(bad), undefined, String(bad));
  });
});
