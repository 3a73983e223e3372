// The init's own log, the real pino in this process, its records caught by a sink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, lazyLogger } from '../../../src/log/logger.ts';

test('json: one record a line, pino level numbers, no base fields, below the level dropped', () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', format: 'json', sink: (line) => lines.push(line) });
  logger.debug('not at info');
  logger.info({ pid: 42, status: 3 }, 'child exited');
  assert.equal(lines.length, 1, lines.join(''));
  const line = lines[0] ?? '';
  assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'), 'one line');
  const { time, ...record } = JSON.parse(line) as Record<string, unknown>;
  assert.equal(typeof time, 'number');
  assert.deepEqual(record, { level: 30, pid: 42, status: 3, msg: 'child exited' });
});

test('pretty: a record reads "elapsed level: service.instance [pid=N] message (fields)"', () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', format: 'pretty', sink: (line) => lines.push(line) });
  logger.warn({ service: 'web', instance: 1, pid: 7, generation: 2 }, 'ready');
  logger.error('giving up');
  assert.equal(lines.length, 2, lines.join(''));
  assert.match(lines[0] ?? '', /^\d+\.\d\ds warn: web\.1 \[pid=7\] ready \(generation=2\)\n$/);
  assert.match(lines[1] ?? '', /^\d+\.\d\ds error: baton giving up\n$/);
});

test('a lazy logger writes records at or above its level, and nothing below it', () => {
  const lines: string[] = [];
  const logger = lazyLogger({ level: 'warn', sink: (line) => lines.push(line) });
  logger.info({ pid: 1 }, 'below the level');
  assert.deepEqual(lines, []);
  logger.warn({ signal: 'SIGTERM' }, 'stopping');
  logger.fatal('no more');
  assert.deepEqual(
    lines.map((line) => {
      const { level, msg, signal } = JSON.parse(line) as Record<string, unknown>;
      return { level, msg, signal };
    }),
    [
      { level: 40, msg: 'stopping', signal: 'SIGTERM' },
      { level: 60, msg: 'no more', signal: undefined },
    ],
  );
});
