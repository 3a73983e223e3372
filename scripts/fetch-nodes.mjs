// Fetches Node 22 and 24 from the npm registry (the node-linux-<arch> packages) into
// .cache/, so that the tests can run the bundle on every Node line baton supports.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';

const LINES = ['22', '24'];
const arch = process.arch === 'arm64' ? 'arm64' : 'x64';

for (const line of LINES) {
  const dir = `.cache/node-${line}`;
  if (existsSync(`${dir}/bin/node`)) continue;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['pack', '--silent', `node-linux-${arch}@${line}`, '--pack-destination', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack node-linux-${arch}@${line} gave no tarball`);
  execFileSync('tar', ['xzf', `${dir}/${tarball}`, '-C', dir, '--strip-components=1', 'package/bin/node']);
  rmSync(`${dir}/${tarball}`);
  process.stdout.write(`fetched Node ${execFileSync(`${dir}/bin/node`, ['--version']).toString().trim()} into ${dir}\n`);
}
