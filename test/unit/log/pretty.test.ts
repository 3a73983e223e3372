// BATON_LOG_FORMAT=pretty: a pino record as a line a person reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prettyLine } from '../../../src/log/pretty.ts';

test('an instance record reads "elapsed level: service.instance [pid=N] message (fields)"', () => {
  const line = prettyLine({ level: 30, time: 1650, service: 'web', instance: 1, generation: 2, pid: 96760, msg: 'ready', ms: 58 }, 1000);
  assert.equal(line, '0.65s info: web.1 [pid=96760] ready (generation=2 ms=58)\n');
});

test("the init's own record names baton, and strings stay unquoted", () => {
  const line = prettyLine({ level: 40, time: 2000, msg: 'SIGTERM: stopping every instance', signal: 'SIGTERM' }, 0);
  assert.equal(line, '2.00s warn: baton SIGTERM: stopping every instance (signal=SIGTERM)\n');
});
