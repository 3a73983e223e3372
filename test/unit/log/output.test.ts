// How json mode encodes one line, or one piece of a long line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonLine } from '../../../src/log/output.ts';

const tag = { service: 'web', instance: 2, generation: 3, pid: () => 42 };
const record = (bytes: Buffer, continued = false): Record<string, unknown> => {
  const line = jsonLine(tag, 'stderr', { bytes, continued });
  assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'), 'one line');
  return JSON.parse(line) as Record<string, unknown>;
};

test('a UTF-8 line is "line", with the instance it came from', () => {
  assert.deepEqual(record(Buffer.from('héllo "there"')), { service: 'web', instance: 2, generation: 3, pid: 42, stream: 'stderr', line: 'héllo "there"' });
});

test('a line that is not UTF-8 is "line_base64", its bytes exactly', () => {
  const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
  const fields = record(bytes);
  assert.deepEqual(Buffer.from(String(fields.line_base64), 'base64'), bytes);
  assert.equal(fields.line, undefined);
});

test('a whole JSON object is embedded as "json"; other JSON values and broken objects stay strings', () => {
  assert.deepEqual(record(Buffer.from('{"level":30,"msg":"hi"}')).json, { level: 30, msg: 'hi' });
  assert.equal(record(Buffer.from('[1,2]')).line, '[1,2]');
  assert.equal(record(Buffer.from('{"a":')).line, '{"a":');
});

test('a piece that the next one continues is "partial", and never parsed as JSON', () => {
  const fields = record(Buffer.from('{"a":1}'), true);
  assert.equal(fields.partial, true);
  assert.equal(fields.line, '{"a":1}');
  assert.equal(record(Buffer.from('end')).partial, undefined);
});
