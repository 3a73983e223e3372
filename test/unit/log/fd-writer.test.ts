// The ordered writer of one descriptor, against a stream the test drains by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { FdWriter, HIGH_WATER } from '../../../src/log/fd-writer.ts';

/** A stream that takes one write at a time and finishes it only when told. */
function slowStream(): { stream: Writable; written: Buffer[]; release(): void; fail(error: Error): void } {
  const written: Buffer[] = [];
  let pending: ((error?: Error) => void) | undefined;
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      // A copy: once called back, the writer reuses the memory of what it wrote.
      written.push(Buffer.from(chunk));
      pending = callback;
    },
  });
  return {
    stream,
    written,
    release: () => {
      const callback = pending;
      pending = undefined;
      callback?.();
    },
    fail: (error) => {
      const callback = pending;
      pending = undefined;
      callback?.(error);
    },
  };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('past the high-water mark the caller is told to stop, and resumed once it is written out', { timeout: 10_000 }, async () => {
  const { stream, release } = slowStream();
  const writer = new FdWriter('stdout', stream, -1);
  let resumed = 0;
  const line = Buffer.from(`${'x'.repeat(1023)}\n`);
  let accepted = 0;
  while (writer.push([line], () => resumed++)) accepted++;
  assert.ok(accepted * line.length < HIGH_WATER + line.length, 'stops at the high-water mark');
  await turn();
  assert.equal(resumed, 0);
  for (let i = 0; i < 1000 && resumed === 0; i++) {
    release();
    await turn();
  }
  assert.equal(resumed, 1);
});

test("the init's records go ahead of waiting lines, and only between whole lines", { timeout: 10_000 }, async () => {
  const { stream, written, release } = slowStream();
  const writer = new FdWriter('stderr', stream, -1);
  for (let i = 0; i < 20_000; i++) writer.push([Buffer.from(`line ${i}\n`)], () => undefined);
  await turn();
  writer.record('{"msg":"crash"}\n');
  for (let i = 0; i < 100 && writer.stats().pendingBytes > 0; i++) {
    release();
    await turn();
  }
  const text = Buffer.concat(written).toString();
  const lines = text.split('\n').slice(0, -1);
  const at = lines.indexOf('{"msg":"crash"}');
  assert.ok(at > 0 && at < 10_000, `the record comes early, not after every waiting line (at line ${at})`);
  assert.deepEqual(lines.filter((l) => l !== '{"msg":"crash"}'), Array.from({ length: 20_000 }, (_, i) => `line ${i}`));
});

test('a line is copied when pushed: the caller reuses its buffer at once, and what is written is the line pushed', { timeout: 10_000 }, async () => {
  const { stream, written, release } = slowStream();
  const writer = new FdWriter('stdout', stream, -1);
  const reused = Buffer.alloc(1000);
  const expected: string[] = [];
  for (let i = 0; i < 2000; i++) {
    reused.fill(String.fromCharCode(97 + (i % 26)));
    writer.push([Buffer.from(`${i} `), reused.subarray(0, 100 + (i % 900)), '\n'], () => undefined);
    expected.push(`${i} ${String.fromCharCode(97 + (i % 26)).repeat(100 + (i % 900))}`);
    if (i % 200 === 0) {
      release();
      await turn();
    }
  }
  for (let i = 0; i < 10_000 && writer.stats().pendingBytes > 0; i++) {
    release();
    await turn();
  }
  assert.deepEqual(Buffer.concat(written).toString().split('\n').slice(0, -1), expected);
});

test('a write error turns the writer broken: nothing throws, everything after is counted, callers are resumed', { timeout: 10_000 }, async () => {
  const { stream, fail } = slowStream();
  const writer = new FdWriter('stdout', stream, -1);
  let broken: string | undefined;
  writer.whenBroken((reason) => (broken = reason));
  let resumed = 0;
  while (writer.push([Buffer.from('abc\n')], () => resumed++));
  await turn();
  fail(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  await turn();
  assert.equal(broken, 'EPIPE');
  assert.equal(resumed, 1);
  assert.equal(writer.push([Buffer.from('more\n')], () => undefined), true);
  writer.record('{"msg":"x"}\n');
  writer.discard(Buffer.from('a\nb\nc'));
  const stats = writer.stats();
  assert.equal(stats.error, 'EPIPE');
  assert.ok(stats.droppedLines >= 4);
  await writer.idle();
});
