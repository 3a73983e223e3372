// COUNT=auto: the CPUs the container may use, from fixture /proc and /sys trees
// (test/fixtures/cgroup-*): the cgroup v1 or v2 quota, a parent's, the affinity mask.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { autoCount, CpuCountError } from '../../../src/config/cpu-count.ts';
import { readSupervisorConfig } from '../../../src/config/services.ts';
import { FIXTURES } from '../../helpers/init-process.ts';

const temp = mkdtempSync(join(tmpdir(), 'baton-cpu-count-'));
after(() => rmSync(temp, { recursive: true, force: true }));
let trees = 0;

/** A tree of its own under a temporary root: path → content. */
function tree(files: Record<string, string>): string {
  const root = join(temp, String(++trees));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const STATUS = (list: string): string => `Name:\tnode\nCpus_allowed:\tff\nCpus_allowed_list:\t${list}\nMems_allowed_list:\t0\n`;

describe('autoCount from fixture trees', () => {
  const cases: Array<[string, number, string]> = [
    ['cgroup-v2-quota', 2, 'cgroup v2 cpu.max 150000/100000 (/sys/fs/cgroup) = 1.5 CPUs, rounded up; 4 CPUs in the affinity mask'],
    ['cgroup-v2-no-quota', 4, 'no cgroup CPU limit (cgroup v2); 4 CPUs in the affinity mask'],
    ['cgroup-v2-parent-quota', 3, 'cgroup v2 cpu.max 300000/100000 (/sys/fs/cgroup/kubepods.slice/pod1) = 3 CPUs; 8 CPUs in the affinity mask'],
    ['cgroup-v2-affinity', 2, 'cgroup v2 cpu.max 400000/100000 (/sys/fs/cgroup) = 4 CPUs; 2 CPUs in the affinity mask'],
    ['cgroup-v1-quota', 3, 'cgroup v1 cpu.cfs_quota_us/cpu.cfs_period_us 250000/100000 (/sys/fs/cgroup/cpu,cpuacct) = 2.5 CPUs, rounded up; 8 CPUs in the affinity mask'],
    ['cgroup-v1-no-quota', 6, 'no cgroup CPU limit (cgroup v1); 6 CPUs in the affinity mask'],
  ];
  for (const [fixture, count, reason] of cases) {
    test(fixture, () => {
      assert.deepEqual(autoCount(join(FIXTURES, fixture), 256), { count, reason });
    });
  }

  test('the tightest limit on the way up wins, wherever it is', () => {
    const root = tree({
      'proc/self/cgroup': '0::/a/b\n',
      'proc/self/status': STATUS('0-15'),
      'sys/fs/cgroup/a/b/cpu.max': '600000 100000\n',
      'sys/fs/cgroup/a/cpu.max': '50000 100000\n',
      'sys/fs/cgroup/cpu.max': '200000 100000\n',
    });
    assert.deepEqual(autoCount(root, 256), { count: 1, reason: 'cgroup v2 cpu.max 50000/100000 (/sys/fs/cgroup/a) = 0.5 CPUs, rounded up; 16 CPUs in the affinity mask' });
  });

  test('at least 1 and at most the cap', () => {
    const small = tree({ 'proc/self/cgroup': '0::/\n', 'proc/self/status': STATUS('0-3'), 'sys/fs/cgroup/cpu.max': '1000 100000\n' });
    assert.equal(autoCount(small, 256).count, 1);
    const large = tree({ 'proc/self/cgroup': '0::/\n', 'proc/self/status': STATUS('0-511') });
    assert.deepEqual(autoCount(large, 256), { count: 256, reason: 'no cgroup CPU limit (cgroup v2); 512 CPUs in the affinity mask; at most 256' });
  });

  test('a path above the cgroup namespace root reads the mount point only', () => {
    const root = tree({ 'proc/self/cgroup': '0::/../../user.slice\n', 'proc/self/status': STATUS('0-3'), 'sys/fs/cgroup/cpu.max': '200000 100000\n', 'sys/fs/cgroup/user.slice/cpu.max': '100000 100000\n' });
    assert.equal(autoCount(root, 256).count, 2);
  });

  test('no /proc: no cgroup limit, and the CPUs Node sees', () => {
    const root = tree({ 'empty/.keep': '' });
    const cpus = availableParallelism();
    assert.deepEqual(autoCount(root, 256), { count: cpus, reason: `no cgroup CPU limit (/proc/self/cgroup not found); ${cpus} CPU${cpus === 1 ? '' : 's'} available to Node (no Cpus_allowed_list in /proc/self/status)` });
  });

  test('v1 with the cpu controller not mounted: no cgroup limit, said so', () => {
    const root = tree({ 'proc/self/cgroup': '3:cpu:/\n', 'proc/self/status': STATUS('0-1') });
    assert.deepEqual(autoCount(root, 256), { count: 2, reason: 'no cgroup CPU limit (the cgroup v1 cpu controller is not mounted under /sys/fs/cgroup); 2 CPUs in the affinity mask' });
  });

  const malformed: Array<[string, Record<string, string>, RegExp]> = [
    ['cpu.max without a period', { 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': '150000\n' }, /^\/sys\/fs\/cgroup\/cpu\.max holds "150000", not "max PERIOD" or "QUOTA PERIOD"/],
    ['cpu.max with a zero period', { 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': '150000 0\n' }, /holds "150000 0"/],
    ['a v1 quota that is not a number', { 'proc/self/cgroup': '4:cpu:/\n', 'sys/fs/cgroup/cpu/cpu.cfs_quota_us': 'lots\n', 'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' }, /cpu\.cfs_quota_us holds "lots", not -1 or a whole number above 0/],
    ['a v1 quota without a period', { 'proc/self/cgroup': '4:cpu:/\n', 'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '50000\n' }, /sets a quota but \/sys\/fs\/cgroup\/cpu\/cpu\.cfs_period_us is missing/],
    ['a /proc/self/cgroup line without a path', { 'proc/self/cgroup': 'garbage\n' }, /\/proc\/self\/cgroup has the line "garbage"/],
    ['an affinity list that is not one', { 'proc/self/cgroup': '0::/\n', 'proc/self/status': STATUS('3-1') }, /Cpus_allowed_list: 3-1", not a list of CPUs/],
  ];
  for (const [name, files, message] of malformed) {
    test(`malformed: ${name} is an error naming the file`, () => {
      assert.throws(() => autoCount(tree({ 'proc/self/status': STATUS('0-3'), ...files }), 256), (error: unknown) => error instanceof CpuCountError && message.test(error.message));
    });
  }
});

describe('COUNT=auto in the configuration', () => {
  test('resolved once, at config time, for every service; --check shows why', () => {
    const root = join(FIXTURES, 'cgroup-v2-quota');
    const { config, errors } = readSupervisorConfig({ BATON_WEB_COMMAND: 'node web.js', BATON_WEB_COUNT: 'auto', BATON_JOBS_COMMAND: 'node jobs.js', BATON_JOBS_COUNT: ' auto ' }, { root });
    assert.deepEqual(errors, []);
    for (const service of config?.services ?? []) {
      assert.equal(service.count, 2);
      assert.match(service.countAuto ?? '', /^cgroup v2 cpu\.max 150000\/100000 .* = 1\.5 CPUs, rounded up; 4 CPUs in the affinity mask$/);
    }
    assert.equal(config?.services.length, 2);
  });

  test('a number is not resolved: no countAuto, nothing read', () => {
    const { config } = readSupervisorConfig({ BATON_WEB_COMMAND: 'node web.js', BATON_WEB_COUNT: '3' }, { root: join(temp, 'nowhere') });
    assert.equal(config?.services[0]?.count, 3);
    assert.equal(config?.services[0]?.countAuto, undefined);
  });

  test('a malformed cgroup file is a configuration error on the COUNT variable', () => {
    const root = tree({ 'proc/self/cgroup': '0::/\n', 'proc/self/status': STATUS('0-3'), 'sys/fs/cgroup/cpu.max': 'what\n' });
    const { config, errors } = readSupervisorConfig({ BATON_WEB_COMMAND: 'node web.js', BATON_WEB_COUNT: 'auto' }, { root });
    assert.equal(config, undefined);
    assert.deepEqual(errors, [
      {
        variable: 'BATON_WEB_COUNT',
        message: 'BATON_WEB_COUNT: auto cannot tell how many CPUs the container may use: /sys/fs/cgroup/cpu.max holds "what", not "max PERIOD" or "QUOTA PERIOD" (whole numbers above 0); set a number instead',
      },
    ]);
  });
});
