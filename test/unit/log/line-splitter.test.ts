// Cutting a child's output into lines on bytes, with a cap on what is held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, type LinePiece } from '../../../src/log/line-splitter.ts';

/** Runs `step` and collects what it emits, copied: a piece is a view valid only during its emit. */
const collect = (step: (emit: (piece: LinePiece) => void) => void): LinePiece[] => {
  const pieces: LinePiece[] = [];
  step((piece) => pieces.push({ bytes: Buffer.from(piece.bytes), continued: piece.continued }));
  return pieces;
};
const text = (pieces: LinePiece[]): Array<[string, boolean]> => pieces.map((piece) => [piece.bytes.toString('latin1'), piece.continued]);

test('lines across chunks, and a last line without its newline', () => {
  const splitter = new LineSplitter(16);
  assert.deepEqual(text(collect((emit) => splitter.push(Buffer.from('one\ntw'), emit))), [['one', false]]);
  assert.deepEqual(text(collect((emit) => splitter.push(Buffer.from('o\n\nthr'), emit))), [['two', false], ['', false]]);
  assert.deepEqual(text(collect((emit) => splitter.end(emit))), [['thr', false]]);
  assert.deepEqual(collect((emit) => splitter.end(emit)), []);
});

test('bytes are passed on unchanged, invalid UTF-8 included', () => {
  const splitter = new LineSplitter(16);
  const [piece] = collect((emit) => splitter.push(Buffer.from([0xff, 0xfe, 0x62, 0x0a]), emit));
  assert.deepEqual(piece?.bytes, Buffer.from([0xff, 0xfe, 0x62]));
});

test('a line longer than the cap comes out in continued pieces as it arrives, never held whole', () => {
  const splitter = new LineSplitter(4);
  assert.deepEqual(text(collect((emit) => splitter.push(Buffer.from('abcdefghij'), emit))), [['abcd', true], ['efgh', true]]);
  assert.deepEqual(text(collect((emit) => splitter.push(Buffer.from('kl\nm'), emit))), [['ijkl', false]]);
  assert.deepEqual(text(collect((emit) => splitter.end(emit))), [['m', false]]);
});

test('a line of exactly the cap is whole', () => {
  const splitter = new LineSplitter(4);
  assert.deepEqual(text(collect((emit) => splitter.push(Buffer.from('abcd\n'), emit))), [['abcd', false]]);
});

test('a cut never splits a UTF-8 character, so valid text stays valid in every piece', () => {
  const splitter = new LineSplitter(4);
  const pieces = [...collect((emit) => splitter.push(Buffer.from('aaé€b\n', 'utf8'), emit))];
  assert.deepEqual(
    pieces.map((piece) => [piece.bytes.toString('utf8'), piece.continued]),
    [['aaé', true], ['€b', false]],
  );
});

test('one byte at a time, a huge line holds at most the cap', () => {
  const splitter = new LineSplitter(8);
  let out = 0;
  for (let i = 0; i < 1000; i++) for (const piece of collect((emit) => splitter.push(Buffer.from('x'), emit))) out += piece.bytes.length;
  assert.equal(out, 1000);
});

test('the start of a line is copied: the chunk it came in can be reused at once', () => {
  const splitter = new LineSplitter(16);
  const chunk = Buffer.from('one\ntw');
  assert.deepEqual(text(collect((emit) => splitter.push(chunk, emit))), [['one', false]]);
  chunk.fill('z');
  assert.deepEqual(text(collect((emit) => splitter.push(Buffer.from('o\n'), emit))), [['two', false]]);
});

test('the rest of a character cut from a held line starts the next piece whole', () => {
  const splitter = new LineSplitter(4);
  assert.deepEqual(collect((emit) => splitter.push(Buffer.from('a'), emit)), []);
  const pieces = collect((emit) => splitter.push(Buffer.from('bc€d\n', 'utf8'), emit));
  assert.deepEqual(
    pieces.map((piece) => [piece.bytes.toString('utf8'), piece.continued]),
    [['abc', true], ['€d', false]],
  );
});
