// Cutting a child's output into lines on bytes, with a cap on what is held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, type LinePiece } from '../../../src/log/line-splitter.ts';

const text = (pieces: LinePiece[]): Array<[string, boolean]> => pieces.map((piece) => [piece.bytes.toString('latin1'), piece.continued]);

test('lines across chunks, and a last line without its newline', () => {
  const splitter = new LineSplitter(16);
  assert.deepEqual(text(splitter.push(Buffer.from('one\ntw'))), [['one', false]]);
  assert.deepEqual(text(splitter.push(Buffer.from('o\n\nthr'))), [['two', false], ['', false]]);
  assert.deepEqual(text(splitter.end()), [['thr', false]]);
  assert.deepEqual(splitter.end(), []);
});

test('bytes are passed on unchanged, invalid UTF-8 included', () => {
  const splitter = new LineSplitter(16);
  const [piece] = splitter.push(Buffer.from([0xff, 0xfe, 0x62, 0x0a]));
  assert.deepEqual(piece?.bytes, Buffer.from([0xff, 0xfe, 0x62]));
});

test('a line longer than the cap comes out in continued pieces as it arrives, never held whole', () => {
  const splitter = new LineSplitter(4);
  assert.deepEqual(text(splitter.push(Buffer.from('abcdefghij'))), [['abcd', true], ['efgh', true]]);
  assert.deepEqual(text(splitter.push(Buffer.from('kl\nm'))), [['ijkl', false]]);
  assert.deepEqual(text(splitter.end()), [['m', false]]);
});

test('a line of exactly the cap is whole', () => {
  const splitter = new LineSplitter(4);
  assert.deepEqual(text(splitter.push(Buffer.from('abcd\n'))), [['abcd', false]]);
});

test('a cut never splits a UTF-8 character, so valid text stays valid in every piece', () => {
  const splitter = new LineSplitter(4);
  const pieces = [...splitter.push(Buffer.from('aaé€b\n', 'utf8'))];
  assert.deepEqual(
    pieces.map((piece) => [piece.bytes.toString('utf8'), piece.continued]),
    [['aaé', true], ['€b', false]],
  );
});

test('one byte at a time, a huge line holds at most the cap', () => {
  const splitter = new LineSplitter(8);
  let out = 0;
  for (let i = 0; i < 1000; i++) for (const piece of splitter.push(Buffer.from('x'))) out += piece.bytes.length;
  assert.equal(out, 1000);
});
