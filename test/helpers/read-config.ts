// Reads supervisor mode's configuration from a test's environment, against a passwd and
// group of the test's own, and asserts what came of it.
import assert from 'node:assert/strict';
import { readSupervisorConfig } from '../../src/config/services.ts';
import type { ServiceConfig, SupervisorConfig } from '../../src/config/types.ts';

const PASSWD = [
  '# comments and broken lines are skipped',
  '#ghost:x:3000:3000::/home/ghost:/bin/sh',
  'daemon:x:1:1:::/usr/sbin/nologin',
  'root:x:0:0:root:/root:/bin/sh',
  'app:x:1000:1001:App:/home/app:/bin/sh',
  'broken:x:notanumber:1',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'staff:x:50:app', 'app:x:1001:', 'web:x:60:'].join('\n');
const FILES = { passwd: PASSWD, group: GROUP };

export function read(env: NodeJS.ProcessEnv) {
  return readSupervisorConfig(env, FILES);
}

/** The config, failing with the errors when there are any. */
export function valid(env: NodeJS.ProcessEnv): SupervisorConfig {
  const { config, errors } = read(env);
  assert.deepEqual(errors, []);
  assert.ok(config);
  return config;
}

export function service(env: NodeJS.ProcessEnv, name = 'web'): ServiceConfig {
  const found = valid(env).services.find((candidate) => candidate.name === name);
  assert.ok(found, `service ${name}`);
  return found;
}

/** The one error the environment causes; its variable and the start of its message must agree. */
export function oneError(env: NodeJS.ProcessEnv, variable: string, pattern: RegExp): string {
  const { config, errors } = read(env);
  assert.equal(config, undefined);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  const [error] = errors;
  assert.ok(error);
  assert.equal(error.variable, variable);
  assert.ok(error.message.startsWith(`${variable}: `), error.message);
  assert.match(error.message, pattern);
  return error.message;
}

/** The least environment that declares a service. */
export const WEB = { BATON_WEB_COMMAND: 'node web.js' };
