// The exit-code module and the README's exit-code table name the same codes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as exitCodes from '../../../src/pid1/exit-codes.ts';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The numbers in the first column of the README's exit-code table: `128+N` is 128; "the child's" is none. */
function readmeCodes(): Set<number> {
  const section = README.slice(README.indexOf('## Exit codes'));
  const table = section.slice(section.indexOf('| code | when |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  return new Set(rows.map((row) => /^\|\s*(\d+)/.exec(row)?.[1]).filter((code) => code !== undefined).map(Number));
}

test('every code of src/pid1/exit-codes.ts has a row in the README, and every row a code', () => {
  const codes = new Set(Object.values(exitCodes));
  assert.deepEqual([...codes].sort((a, b) => a - b), [...readmeCodes()].sort((a, b) => a - b));
});

test('the module exports codes only, each a valid exit status', () => {
  for (const [name, code] of Object.entries(exitCodes)) {
    assert.match(name, /^EXIT_[A-Z_]+$/);
    assert.ok(Number.isInteger(code) && code >= 0 && code <= 255, `${name} = ${code}`);
  }
});
