// addListenShim: PORT and a NODE_OPTIONS preload, added to what the user set.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addListenShim, listenShimPath } from '../../../src/supervise/listen-shim.ts';

describe('addListenShim', () => {
  test('the shim is found beside the running init script', () => {
    assert.equal(listenShimPath('/init.js'), '/listen-shim.cjs');
    assert.equal(listenShimPath('/app/node_modules/baton-init/dist/init.js'), '/app/node_modules/baton-init/dist/listen-shim.cjs');
  });

  test('sets PORT and NODE_OPTIONS when there is none', () => {
    const env: Record<string, string | undefined> = { PORT: '3000' };
    addListenShim(env, 8080, '/listen-shim.cjs');
    assert.deepEqual(env, { PORT: '8080', NODE_OPTIONS: '--require "/listen-shim.cjs"' });
  });

  test("appends to the user's NODE_OPTIONS, which stays first", () => {
    const env: Record<string, string | undefined> = { NODE_OPTIONS: '--max-old-space-size=512 --enable-source-maps ' };
    addListenShim(env, 8080, '/listen-shim.cjs');
    assert.equal(env.NODE_OPTIONS, '--max-old-space-size=512 --enable-source-maps --require "/listen-shim.cjs"');
  });

  test('quotes a path with spaces, quotes and backslashes as NODE_OPTIONS reads it', () => {
    const env: Record<string, string | undefined> = {};
    addListenShim(env, 80, '/opt/my "app"\\x/listen-shim.cjs');
    assert.equal(env.NODE_OPTIONS, '--require "/opt/my \\"app\\"\\\\x/listen-shim.cjs"');
  });
});
