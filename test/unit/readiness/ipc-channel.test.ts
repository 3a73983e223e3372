// IpcChannelParser: the lines of JSON a Node child's process.send writes, bounded.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IpcChannelParser, MAX_LINE } from '../../../src/readiness/ipc-channel.ts';

describe('IpcChannelParser', () => {
  test("process.send('ready') is ready; anything else is other", () => {
    const parser = new IpcChannelParser();
    const lines = ['"ready"', '{"type":"process:msg","data":{}}', '"READY"', '"ready "', 'ready', '{"ready":true}', '"ready"'].map((line) => `${line}\n`);
    assert.deepEqual(parser.push(lines.join('')), ['ready', 'other', 'other', 'other', 'other', 'other', 'ready']);
  });

  test('a message split across chunks, and inside a multi-byte character', () => {
    const parser = new IpcChannelParser();
    assert.deepEqual(parser.push('"rea'), []);
    assert.deepEqual(parser.push(Buffer.from('dy"\n"é')), ['ready']);
    const bytes = Buffer.from('"\n');
    assert.deepEqual(parser.push(bytes), ['other']);
    const euro = Buffer.from('"€"\n');
    assert.deepEqual([...parser.push(euro.subarray(0, 2)), ...parser.push(euro.subarray(2))], ['other']);
  });

  test('a line longer than MAX_LINE is skipped without being held, and the next one still counts', () => {
    const parser = new IpcChannelParser();
    const chunk = 'x'.repeat(MAX_LINE);
    // The line is other once, as soon as it outgrows MAX_LINE; the rest of it is skipped.
    assert.deepEqual(Array.from({ length: 100 }, () => parser.push(chunk)).flat(), ['other']);
    // Nothing of the long line is held: what the parser keeps stays under MAX_LINE.
    assert.ok((parser as unknown as { lines: { partial: string } }).lines.partial.length <= MAX_LINE);
    assert.deepEqual(parser.push('x"ready"\n"ready"\n'), ['ready']);
  });

  test('a long line that ends inside one chunk is other, not ready', () => {
    const parser = new IpcChannelParser();
    assert.deepEqual(parser.push(`"${'y'.repeat(MAX_LINE + 10)}"\n"ready"\n`), ['other', 'ready']);
  });
});
