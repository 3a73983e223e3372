// Where baton and Debian's tini must agree, run side by side outside a PID namespace.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { INIT, run } from '../helpers/init-process.ts';

/** Runs `argv` after making this process a child subreaper, a bit that survives exec. */
function asSubreaperChild(argv: string[]): ReturnType<typeof run> {
  const script = ['import ctypes, os, sys', 'assert ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0', 'os.execvp(sys.argv[1], sys.argv[1:])'].join('\n');
  return run('python3', ['-c', script, ...argv]);
}

const WARNING = /not registered as a child subreaper/;
const TINI_WARNING = /not running as PID 1 and isn't registered as a child subreaper/;

describe('an inherited child-subreaper bit counts (PR_GET_CHILD_SUBREAPER)', () => {
  test('set by the parent before exec: no warning, as with tini', async () => {
    const baton = await asSubreaperChild([process.execPath, INIT, '--', 'true']);
    assert.equal(baton.code, 0, baton.stderr);
    assert.doesNotMatch(baton.stderr, WARNING);
    const tini = await asSubreaperChild(['tini', '--', 'true']);
    assert.equal(tini.code, 0, tini.stderr);
    assert.doesNotMatch(tini.stderr, TINI_WARNING);
  });

  test('not set: both warn that reaping will not work', async () => {
    const baton = await run(process.execPath, [INIT, '--', 'true']);
    assert.match(baton.stderr, WARNING);
    const tini = await run('tini', ['--', 'true']);
    assert.match(tini.stderr, TINI_WARNING);
  });
});
