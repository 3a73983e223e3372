// Runs every test/**/*.test.ts with node's test runner (Node 20's --test takes no globs).
// Each wait inside a test has a deadline of its own (test/helpers), so a broken behaviour
// fails its test by name; the runner's timeout, which Node 20 applies to a whole file, is
// only the last resort, sized for a file of many reloads on a busy 2-core machine.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const only = process.argv.slice(2);
const files = readdirSync('test', { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.test.ts'))
  .map((file) => `test/${file}`)
  .filter((file) => only.length === 0 || only.some((pattern) => file.includes(pattern)))
  .sort();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
