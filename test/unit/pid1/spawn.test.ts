// planSpawn: a Node IPC channel named in the environment reaches the command, not the exec step.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EXEC_STEP_FLAG, type ExecStep } from '../../../src/pid1/exec-step.ts';
import { planSpawn } from '../../../src/pid1/spawn.ts';

function stepOf(args: string[]): ExecStep {
  const flag = args.find((arg) => arg.startsWith(EXEC_STEP_FLAG));
  assert.ok(flag);
  return JSON.parse(flag.slice(EXEC_STEP_FLAG.length)) as ExecStep;
}

describe('planSpawn and NODE_CHANNEL_FD', () => {
  const env = { PATH: '/bin', NODE_CHANNEL_FD: '5', NODE_CHANNEL_SERIALIZATION_MODE: 'json' };

  test('without an exec step, the command gets the variables as they are', () => {
    const plan = planSpawn({ file: 'node', args: ['app.js'], env, step: {} });
    assert.deepEqual(plan.env, env);
    assert.deepEqual(plan.args, ['app.js']);
  });

  test('with an exec step (Node, which would take the channel for its own), they travel in the step', () => {
    const plan = planSpawn({ file: 'node', args: ['app.js'], env, step: { listenPid: true, fds: 6 } });
    assert.equal(plan.file, process.execPath);
    assert.deepEqual(plan.env, { PATH: '/bin' });
    assert.deepEqual(stepOf(plan.args), { listenPid: true, fds: 6, nodeChannel: { fd: '5', serialization: 'json' } });
  });

  test('no channel: the step carries none', () => {
    const plan = planSpawn({ file: 'node', args: [], env: { PATH: '/bin' }, step: { watchdogPid: true } });
    assert.deepEqual(stepOf(plan.args), { watchdogPid: true });
  });
});
