// How users name signals (BATON_*_STOP_SIGNAL, -p) and how the init names them back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignal, signalName, signalNumber, STOP_SIGNALS } from '../../../src/pid1/signal-names.ts';

test('a signal is named with or without SIG, in any case, or by its number', () => {
  for (const text of ['TERM', 'SIGTERM', 'sigterm', ' term ', '15']) assert.equal(parseSignal(text), 'SIGTERM', text);
  for (const text of ['NOPE', 'SIG', '', '999', '-15', 'TERM1']) assert.equal(parseSignal(text), undefined, text);
});

test('names and numbers turn into each other; a shared number reads as its usual name', () => {
  assert.equal(signalNumber('SIGKILL'), 9);
  assert.equal(signalName(9), 'SIGKILL');
  assert.equal(signalName(6), 'SIGABRT', 'not SIGIOT');
  assert.equal(signalName(29), 'SIGIO', 'not SIGPOLL');
  assert.equal(signalName(0), undefined);
});

test('a stop signal is one whose default action ends a process, or SIGKILL', () => {
  for (const name of ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGKILL'] as const) assert.ok(STOP_SIGNALS.includes(name), name);
  for (const name of ['SIGSTOP', 'SIGTSTP', 'SIGCHLD', 'SIGCONT', 'SIGWINCH', 'SIGURG'] as const) assert.ok(!STOP_SIGNALS.includes(name), name);
});
