// The start order from BATON_<NAME>_AFTER: names that must be declared, no cycle, and
// the waves --check prints.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWaves } from '../../../src/config/start-order.ts';
import { oneError, valid, WEB } from '../../helpers/read-config.ts';

describe('start order', () => {
  test('an AFTER name that no service has', () => {
    oneError({ ...WEB, BATON_WEB_AFTER: 'migrate' }, 'BATON_WEB_AFTER', /^BATON_WEB_AFTER: no service migrate is declared \(BATON_MIGRATE_COMMAND is not set\)$/);
  });

  test('a cycle is named, and so is a service that comes after itself', () => {
    oneError(
      { BATON_A_COMMAND: 'a', BATON_A_AFTER: 'c', BATON_B_COMMAND: 'b', BATON_B_AFTER: 'a', BATON_C_COMMAND: 'c', BATON_C_AFTER: 'b' },
      'BATON_A_AFTER',
      /^BATON_A_AFTER: a cycle: a -> c -> b -> a; none of these could ever start/,
    );
    oneError({ ...WEB, BATON_WEB_AFTER: 'web' }, 'BATON_WEB_AFTER', /^BATON_WEB_AFTER: web comes after itself$/);
  });

  test('waves: what has no AFTER starts first, together; each service once all it comes after is in an earlier wave', () => {
    const { services } = valid({
      BATON_MIGRATE_COMMAND: 'm',
      BATON_CACHE_COMMAND: 'c',
      BATON_WEB_COMMAND: 'w',
      BATON_WEB_AFTER: 'migrate,cache',
      BATON_JOBS_COMMAND: 'j',
      BATON_JOBS_AFTER: 'migrate',
      BATON_ADMIN_COMMAND: 'a',
      BATON_ADMIN_AFTER: 'web',
    });
    assert.deepEqual(startWaves(services), [['cache', 'migrate'], ['jobs', 'web'], ['admin']]);
  });
});
