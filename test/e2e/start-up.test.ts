// What single-command mode loads on its way to the command: nothing that only another mode,
// a log record or a later moment needs. Each of these cost start-up measurable time when it
// was loaded (README, *The build*); this keeps them off the path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, INIT, ROOT, run } from '../helpers/init-process.ts';

const NODES: Array<[string, string]> = [
  [`Node ${process.versions.node}`, process.execPath],
  ['Node 22', `${ROOT}.cache/node-22/bin/node`],
  ['Node 24', `${ROOT}.cache/node-24/bin/node`],
];

for (const [name, node] of NODES) {
  test(`on ${name}, \`init -- true\` as PID 1 loads neither node:module, parseArgs, execa, pino nor koffi`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-start-up-'));
    try {
      const file = join(dir, 'loaded.json');
      const exit = await run('unshare', ['--fork', '--pid', '--mount-proc', node, '-r', `${FIXTURES}/loaded-modules.cjs`, INIT, '--', 'true'], { LOADED_MODULES_FILE: file });
      assert.deepEqual([exit.code, exit.stdout, exit.stderr], [0, '', '']);
      const loaded = JSON.parse(readFileSync(file, 'utf8')) as { builtins: string[]; files: string[] };
      // node:module brings Node's ES module loader with it on Node 20 and 22.
      for (const builtin of ['NativeModule module', 'NativeModule internal/util/parse_args/parse_args']) {
        assert.ok(!loaded.builtins.includes(builtin), `${builtin} was loaded`);
      }
      assert.deepEqual(
        loaded.files.filter((path) => /baton-(execa|pino)\.js$|koffi\.node$/.test(path)),
        [],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
