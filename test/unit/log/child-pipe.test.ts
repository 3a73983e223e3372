// Reading a child's pipe into one shared buffer, against real children spawned as the
// supervisor spawns them (execa, output not buffered).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { readChildPipe } from '../../../src/log/child-pipe.ts';

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const spawn = (script: string) => execa('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], buffer: false, reject: false, stripFinalNewline: false });

test('a pipe is read to its end into one buffer shared by every pipe, the stream it came as closed, the child awaited as usual', { timeout: 60_000 }, async () => {
  const first = spawn('head -c 1000000 /dev/zero | tr "\\0" x; printf end');
  const second = spawn('printf "to stderr" >&2');
  const memory = new Set<ArrayBufferLike>();
  const read = (stream: NonNullable<typeof first.stdout>): { ended: Promise<void>; text: () => string; bytes: () => number } => {
    let bytes = 0;
    let text = '';
    const ended = new Promise<void>((resolve) => {
      readChildPipe(stream, {
        data(chunk) {
          memory.add(chunk.buffer);
          bytes += chunk.length;
          text = (text + chunk.toString('latin1')).slice(-16);
        },
        end: resolve,
      });
    });
    return { ended, text: () => text, bytes: () => bytes };
  };
  assert.ok(first.stdout && second.stderr);
  const out = read(first.stdout);
  const err = read(second.stderr);
  assert.equal(first.stdout.destroyed, true, 'the stream is closed: its descriptor was taken over');
  await within(30_000, 'the end of both pipes', Promise.all([out.ended, err.ended]));
  assert.equal(out.bytes(), 1_000_003);
  assert.ok(out.text().endsWith('end'));
  assert.equal(err.text(), 'to stderr');
  assert.equal(memory.size, 1, 'every chunk of both pipes was read into the same memory');
  const [a, b] = await within(30_000, 'both children awaited', Promise.all([first, second]));
  assert.equal(a.exitCode, 0);
  assert.equal(b.exitCode, 0);
});
