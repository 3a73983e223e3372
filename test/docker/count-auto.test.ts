// COUNT=auto under a real cgroup CPU quota: `docker run --cpus` writes cpu.max (cgroup v2) or
// cpu.cfs_quota_us (v1) for the container, and the image's `node /init.js --check` must read it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LABEL, docker, imagesForFile, uniqueName } from './helpers.ts';

const NAME = uniqueName('count-auto');
const file = imagesForFile(NAME);

/** `--check` in a container limited to `cpus`: its exit code and output. */
async function checkWithCpus(cpus: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const name = file.containerName();
  try {
    return await docker(
      ['run', '--name', name, '--label', `${LABEL}=${NAME}`, '--cpus', cpus, '--env', 'BATON_WEB_COMMAND=node examples/web.mjs', '--env', 'BATON_WEB_COUNT=auto', file.images.app, '--check'],
      { check: false, timeoutMs: 60_000 },
    );
  } finally {
    await docker(['rm', '--force', name], { check: false });
  }
}

/** The quota as either cgroup version names it, from the --check row `count  N (auto: ...)`. */
function countRow(stdout: string): { count: number; reason: string } {
  const row = /^ {2}count {11}(\d+) \(auto: (.*)\)$/m.exec(stdout);
  assert.ok(row, `no auto count row in:\n${stdout}`);
  return { count: Number(row[1]), reason: row[2] ?? '' };
}

const QUOTA_FILES = '(?:cgroup v2 cpu\\.max|cgroup v1 cpu\\.cfs_quota_us/cpu\\.cfs_period_us)';

test('docker run --cpus 1.5: COUNT=auto is 2, from the quota, rounded up', async () => {
  const result = await checkWithCpus('1.5');
  assert.equal(result.code, 0, result.stderr);
  const { count, reason } = countRow(result.stdout);
  // Bounded by the affinity mask too: on a one-CPU machine 1 would be right, and the reason says so.
  const affinity = Number(/; (\d+) CPUs? in the affinity mask/.exec(reason)?.[1]);
  assert.equal(count, Math.min(2, affinity), reason);
  assert.match(reason, new RegExp(`^${QUOTA_FILES} 150000/100000 \\(/sys/fs/cgroup[^)]*\\) = 1\\.5 CPUs, rounded up; `));
});

test('docker run --cpus 0.5: COUNT=auto is 1, which the affinity mask alone would not give on a machine of 2 or more CPUs', async () => {
  const result = await checkWithCpus('0.5');
  assert.equal(result.code, 0, result.stderr);
  const { count, reason } = countRow(result.stdout);
  assert.equal(count, 1, reason);
  assert.match(reason, new RegExp(`^${QUOTA_FILES} 50000/100000 \\(/sys/fs/cgroup[^)]*\\) = 0\\.5 CPUs, rounded up; `));
});
