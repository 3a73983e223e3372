// BATON_SINGLETON=1 goes only where two holders can never run at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holdsSingleton } from '../../../src/config/singleton.ts';

test('instance 1 of a RELOAD=restart or signal service; never a replace service, a oneshot, or another instance', () => {
  assert.equal(holdsSingleton({ type: 'service', reload: 'restart' }, 1), true);
  assert.equal(holdsSingleton({ type: 'service', reload: 'signal' }, 1), true);
  assert.equal(holdsSingleton({ type: 'service', reload: 'restart' }, 2), false);
  assert.equal(holdsSingleton({ type: 'service', reload: 'replace' }, 1), false);
  assert.equal(holdsSingleton({ type: 'oneshot', reload: 'replace' }, 1), false);
});
