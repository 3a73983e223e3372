// The NOTIFY_PIPE line protocol with its three conventions (async-container JSON,
// systemd text, s6 newline), and the reader that feeds a pipe to it.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import type { NotifyMessage } from '../../../src/readiness/messages.ts';
import { NotifyPipeParser, readNotifyPipe } from '../../../src/readiness/notify-pipe.ts';

function parseAll(chunks: Array<Buffer | string>): NotifyMessage[] {
  const parser = new NotifyPipeParser();
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

describe('NotifyPipeParser', () => {
  test("async-container's JSON objects", () => {
    assert.deepEqual(
      parseAll([
        '{"ready":true,"status":"All systems go"}\n',
        '{"status":"Loading"}\n',
        '{"ready":false,"reloading":true}\n',
        '{"stopping":true}\n',
        '{"ready":true,"size":3,"extra":{"x":1}}\n',
        '{"healthy":true}\n',
      ]),
      // Every one is a watchdog keep-alive, as async-container counts them.
      [
        { raw: '{"ready":true,"status":"All systems go"}', keepAlive: true, ready: true, status: 'All systems go' },
        { raw: '{"status":"Loading"}', keepAlive: true, status: 'Loading' },
        { raw: '{"ready":false,"reloading":true}', keepAlive: true, ready: false, reloading: true },
        { raw: '{"stopping":true}', keepAlive: true, stopping: true },
        { raw: '{"ready":true,"size":3,"extra":{"x":1}}', keepAlive: true, ready: true },
        { raw: '{"healthy":true}', keepAlive: true },
      ],
    );
  });

  test("systemd's text lines, one message per line", () => {
    assert.deepEqual(parseAll(['READY=1\nSTATUS=Serving on :8080\nSTOPPING=1\nRELOADING=1\nMAINPID=7\n']), [
      { raw: 'READY=1', ready: true },
      { raw: 'STATUS=Serving on :8080', status: 'Serving on :8080' },
      { raw: 'STOPPING=1', stopping: true },
      { raw: 'RELOADING=1', reloading: true },
      { raw: 'MAINPID=7' },
    ]);
  });

  test("s6's bare newline means ready", () => {
    assert.deepEqual(parseAll(['\n']), [{ raw: '', ready: true }]);
  });

  test('the three conventions mixed on one pipe, and CRLF line ends', () => {
    assert.deepEqual(parseAll(['STATUS=warming\r\n{"status":"half"}\r\n\r\n']), [
      { raw: 'STATUS=warming', status: 'warming' },
      { raw: '{"status":"half"}', keepAlive: true, status: 'half' },
      { raw: '', ready: true },
    ]);
  });

  test('lines split across chunks give the same messages, whatever the split', () => {
    const transcript = '{"ready":false,"status":"caf\u00e9 \u2713"}\nSTATUS=d\u00e9marrage\n\nREADY=1\n{"stopping":true}\n';
    const whole = parseAll([Buffer.from(transcript)]);
    assert.equal(whole.length, 5);
    assert.equal(whole[0]?.status, 'caf\u00e9 \u2713');
    const bytes = Buffer.from(transcript);
    // Every byte on its own cuts through every line and every multi-byte character.
    assert.deepEqual(parseAll([...bytes].map((byte) => Buffer.of(byte))), whole);
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.deepEqual(parseAll([bytes.subarray(0, cut), bytes.subarray(cut)]), whole, `cut at byte ${cut}`);
    }
  });

  test('a push returns only the lines it completed', () => {
    const parser = new NotifyPipeParser();
    assert.deepEqual(parser.push('REA'), []);
    assert.deepEqual(parser.push('DY=1\nSTAT'), [{ raw: 'READY=1', ready: true }]);
    assert.deepEqual(parser.push('US=x'), []);
    assert.deepEqual(parser.end(), [{ raw: 'STATUS=x', status: 'x' }]);
  });

  test('a final line without its newline counts at the end of the stream', () => {
    assert.deepEqual(parseAll(['STATUS=a\nREADY=1']), [
      { raw: 'STATUS=a', status: 'a' },
      { raw: 'READY=1', ready: true },
    ]);
    assert.deepEqual(parseAll(['{"ready":true}']), [{ raw: '{"ready":true}', keepAlive: true, ready: true }]);
  });

  test('the end of an empty stream, or one that ended on a newline, adds nothing', () => {
    assert.deepEqual(parseAll([]), []);
    assert.deepEqual(parseAll(['READY=1\n']), [{ raw: 'READY=1', ready: true }]);
  });

  test('a malformed JSON line gives a message with error set, and the lines after it still count', () => {
    const messages = parseAll(['{"ready":tru\n{"ready":true}\n']);
    assert.equal(messages.length, 2);
    assert.equal(messages[0]?.raw, '{"ready":tru');
    assert.match(messages[0]?.error ?? '', /JSON/);
    assert.equal(messages[0]?.ready, undefined);
    assert.deepEqual(messages[1], { raw: '{"ready":true}', keepAlive: true, ready: true });
  });

  test('JSON fields of the wrong type are an error, not a guess', () => {
    const [message] = parseAll(['{"ready":"yes","status":5}\n']);
    assert.match(message?.error ?? '', /"ready".*"status"/);
    assert.equal(message?.ready, undefined);
    assert.equal(message?.status, undefined);
  });

  test('a line too long to be a message is reported once, and the next line is read', () => {
    const huge = 'STATUS=' + 'x'.repeat(200_000);
    const chunks = [huge.slice(0, 70_000), huge.slice(70_000, 140_000), huge.slice(140_000) + '\nREADY=1\n'];
    const messages = parseAll(chunks);
    assert.equal(messages.length, 2);
    assert.match(messages[0]?.error ?? '', /longer than/);
    assert.ok((messages[0]?.raw.length ?? Infinity) < 1000);
    assert.deepEqual(messages[1], { raw: 'READY=1', ready: true });
  });
});

/** Collects what readNotifyPipe delivers; `count(n)` resolves once n messages have come. */
function collect(stream: PassThrough): { messages: NotifyMessage[]; count(n: number): Promise<void> } {
  const messages: NotifyMessage[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  readNotifyPipe(stream, (message) => {
    messages.push(message);
    for (const waiter of waiters.filter((w) => messages.length >= w.n)) waiter.resolve();
  });
  return {
    messages,
    count: (n) => (messages.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

describe('readNotifyPipe', () => {
  test('delivers each message as its line completes, and the last line when the pipe closes', async () => {
    const stream = new PassThrough();
    const { messages, count } = collect(stream);
    stream.write('{"status":"starting"}\nREA');
    await count(1);
    assert.deepEqual(messages, [{ raw: '{"status":"starting"}', keepAlive: true, status: 'starting' }]);
    const ended = once(stream, 'end');
    stream.end('DY=1');
    await ended;
    assert.deepEqual(messages, [
      { raw: '{"status":"starting"}', keepAlive: true, status: 'starting' },
      { raw: 'READY=1', ready: true },
    ]);
  });

  test('a pipe closed without a word is not a failure', async () => {
    const stream = new PassThrough();
    const { messages } = collect(stream);
    const closed = once(stream, 'close');
    stream.end();
    await closed;
    assert.deepEqual(messages, []);
  });

  test('a read error is passed on as a message, after what was read before it', async () => {
    const stream = new PassThrough();
    const { messages, count } = collect(stream);
    stream.write('READY=1\nSTATUS=half a li');
    await count(1);
    stream.destroy(new Error('EIO: i/o error, read'));
    await count(3);
    assert.deepEqual(messages.slice(0, 2), [
      { raw: 'READY=1', ready: true },
      { raw: 'STATUS=half a li', status: 'half a li' },
    ]);
    assert.match(messages[2]?.error ?? '', /EIO/);
  });
});
