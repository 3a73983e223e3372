// `--help` and the README's flag table list every flag the parser knows, and no other.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { OPTIONS } from '../../../src/cli/args.ts';
import { USAGE } from '../../../src/cli/usage.ts';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** Every spelling of every flag: `-s` and `--subreaper`. */
const KNOWN = new Set(Object.entries(OPTIONS).flatMap(([name, option]) => ['short' in option ? [`-${option.short}`] : [], `--${name}`].flat()));

/** The flags named in the first column of --help's option and query lists. */
function inUsage(): Set<string> {
  const lines = USAGE.split('\n').filter((line) => /^ {2}-/.test(line));
  return new Set(lines.flatMap((line) => [...(line.split(/ {2,}/)[1] ?? '').matchAll(/(?<![\w-])--?[a-z][a-z-]*/g)].map((match) => match[0])));
}

/** The flags named in the first cell of the README's flag table. */
function inReadme(): Set<string> {
  const table = README.slice(README.indexOf('| flag | environment | what it does |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  return new Set(rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`(--?[a-z][a-z-]*)/g)].map((match) => match[1] ?? '')));
}

test('--help lists every flag, short and long, and only those', () => {
  assert.deepEqual([...inUsage()].sort(), [...KNOWN].sort());
});

test('the README\'s flag table lists the same', () => {
  assert.deepEqual([...inReadme()].sort(), [...KNOWN].sort());
});

test('--help covers both modes, every query and the exit codes, and points to the README for BATON_*', () => {
  assert.match(USAGE, /\[--\] COMMAND \[ARG\.\.\.\] +single-command mode/);
  assert.match(USAGE, /supervisor mode/);
  for (const query of ['--check', '--status', '--health', '--reload', '--json']) assert.match(USAGE, new RegExp(`^ {2}${query} `, 'm'));
  for (const code of ['128+N', '127', '126', '\n  1 ', '\n  2 ', ' 3 ']) assert.ok(USAGE.includes(code), `exit code ${code.trim()} in --help`);
  assert.match(USAGE, /BATON_\* .*see the README/);
});
