// A refusal is logged as the code that found it would have logged it, and gives its exit code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configRefusal, exitCodeOfRefusal, logRefusal, Refusal } from '../../../src/modes/refusal.ts';
import { EXIT_BAD_CONFIG, EXIT_SETUP_FAILED } from '../../../src/pid1/exit-codes.ts';

type Call = [level: string, ...args: unknown[]];

function recordingLog(): { calls: Call[]; log: Record<'error' | 'fatal', (fields: object | string, message?: string) => void> } {
  const calls: Call[] = [];
  return { calls, log: { error: (...args) => calls.push(['error', ...args]), fatal: (...args) => calls.push(['fatal', ...args]) } };
}

test('configuration errors: exit 2, one record each at level error with the variable named', () => {
  const { calls, log } = recordingLog();
  const refusal = configRefusal([
    { variable: 'BATON_WEB_COUNT', message: 'BATON_WEB_COUNT: not a number' },
    { variable: 'BATON_X', message: 'BATON_X: unknown variable' },
  ]);
  logRefusal(refusal, log);
  assert.equal(refusal.code, EXIT_BAD_CONFIG);
  assert.deepEqual(calls, [
    ['error', { variable: 'BATON_WEB_COUNT' }, 'BATON_WEB_COUNT: not a number'],
    ['error', { variable: 'BATON_X' }, 'BATON_X: unknown variable'],
  ]);
});

test('a line without fields is logged as a bare message, as pino prints it', () => {
  const { calls, log } = recordingLog();
  logRefusal(new Refusal(EXIT_SETUP_FAILED, 'fatal', [{ message: 'prctl failed' }]), log);
  assert.deepEqual(calls, [['fatal', 'prctl failed']]);
});

test('a failed set-up goes to the log given, and gives its code', () => {
  const { calls, log } = recordingLog();
  assert.equal(exitCodeOfRefusal(new Refusal(EXIT_SETUP_FAILED, 'fatal', [{ message: 'prctl failed' }]), log), EXIT_SETUP_FAILED);
  assert.deepEqual(calls, [['fatal', 'prctl failed']]);
});

test('anything but a refusal is not swallowed: it goes on up, to be reported as a bug', () => {
  const bug = new TypeError('x is undefined');
  assert.throws(() => exitCodeOfRefusal(bug, recordingLog().log), (error) => error === bug);
});
