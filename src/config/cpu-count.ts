// BATON_<NAME>_COUNT=auto: how many CPUs the container may use. Inside a container the CPU
// count of the machine says nothing: only the cgroup CPU quota (docker --cpus, a Kubernetes
// CPU limit) and the affinity mask (docker --cpuset-cpus, taskset) tell the truth.
// Everything is read under `root`, so that tests can give a tree of their own.
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export interface AutoCount {
  count: number;
  /** For --check: where the count came from, e.g. `cgroup v2 cpu.max 150000/100000 = 1.5 CPUs ...; 2 CPUs in the affinity mask`. */
  reason: string;
}

/** A file that exists but does not say what the kernel writes there: guessing would hide a broken setup. */
export class CpuCountError extends Error {}

interface Quota {
  quota: number;
  period: number;
  /** `cgroup v2 cpu.max 150000/100000 (/sys/fs/cgroup/app)` */
  source: string;
}

const CGROUP_MOUNT = '/sys/fs/cgroup';
/** Where cgroup v1 mounts the cpu controller, alone or joined with cpuacct. */
const V1_CPU_MOUNTS = ['cpu', 'cpu,cpuacct', 'cpuacct,cpu'].map((name) => `${CGROUP_MOUNT}/${name}`);

/** The number of CPUs the init may use, capped at `max`, at least 1, and why. */
export function autoCount(root: string, max: number): AutoCount {
  const quota = cgroupQuota(root);
  const affinity = affinityCpus(root);
  let count = affinity.cpus;
  let limit = `no cgroup CPU limit${quota.why === undefined ? '' : ` (${quota.why})`}`;
  if (quota.tightest !== undefined) {
    const { quota: q, period, source } = quota.tightest;
    // Rounded up: 1.5 CPUs keep two processes busy; rounding down would leave half a CPU idle.
    const cpus = Math.floor((q + period - 1) / period);
    const exact = q % period === 0;
    limit = `${source} = ${formatCpus(q / period)} CPU${q === period ? '' : 's'}${exact ? '' : ', rounded up'}`;
    count = Math.min(count, cpus);
  }
  const parts = [limit, affinity.text];
  count = Math.max(1, count);
  if (count > max) {
    count = max;
    parts.push(`at most ${max}`);
  }
  return { count, reason: parts.join('; ') };
}

function formatCpus(cpus: number): string {
  return String(Number(cpus.toFixed(2)));
}

/** The lowest CPU quota on the way from the init's cgroup up to the root: a parent's limit applies to everything under it. */
function cgroupQuota(root: string): { tightest?: Quota; why?: string } {
  const membership = readText(root, '/proc/self/cgroup');
  if (membership === undefined) return { why: '/proc/self/cgroup not found' };
  const cgroup = ownCgroup(membership);
  if (cgroup === undefined) return { why: 'no cpu controller in /proc/self/cgroup' };
  const mount = cgroup.version === 2 ? CGROUP_MOUNT : V1_CPU_MOUNTS.find((dir) => isDirectory(root, dir));
  if (mount === undefined) return { why: `the cgroup v1 cpu controller is not mounted under ${CGROUP_MOUNT}` };
  let tightest: Quota | undefined;
  for (const dir of ancestry(mount, cgroup.path)) {
    const found = cgroup.version === 2 ? v2Quota(root, dir) : v1Quota(root, dir);
    if (found !== undefined && (tightest === undefined || found.quota / found.period < tightest.quota / tightest.period)) tightest = found;
  }
  return tightest === undefined ? { why: `cgroup v${cgroup.version}` } : { tightest };
}

/**
 * The init's cgroup: the cpu controller's line of cgroup v1 (which, in a hybrid setup, is where
 * the cpu controller is), else the `0::/path` line of cgroup v2.
 */
function ownCgroup(text: string): { version: 1 | 2; path: string } | undefined {
  let v2: string | undefined;
  for (const line of text.split('\n').filter((line) => line.trim() !== '')) {
    const match = /^(\d+):([^:]*):(\/.*)$/.exec(line);
    if (match === null) throw new CpuCountError(`/proc/self/cgroup has the line "${line}", not ID:CONTROLLERS:/PATH`);
    const [, id, controllers = '', path = '/'] = match;
    if (controllers.split(',').includes('cpu')) return { version: 1, path };
    if (id === '0' && controllers === '') v2 = path;
  }
  return v2 === undefined ? undefined : { version: 2, path: v2 };
}

/**
 * The cgroup's directory and each parent's up to the mount point, leaf first. Directories that
 * are not there are skipped when read: without a cgroup namespace (docker on cgroup v1), the
 * path names the cgroup on the host, and the container sees its own cgroup at the mount point.
 * A path above the namespace's root (`/../..`) is outside what can be read: the mount point alone.
 */
function ancestry(mount: string, path: string): string[] {
  // Before any normalising, which would turn /../../user.slice into /user.slice.
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) return [mount];
  const dirs: string[] = [];
  for (let depth = segments.length; depth >= 0; depth--) dirs.push([mount, ...segments.slice(0, depth)].join('/'));
  return dirs;
}

/** `cpu.max`: `max PERIOD` (no limit) or `QUOTA PERIOD`, in microseconds. The root cgroup has none. */
function v2Quota(root: string, dir: string): Quota | undefined {
  const file = `${dir}/cpu.max`;
  const text = readText(root, file);
  if (text === undefined) return undefined;
  const match = /^(max|\d+) (\d+)$/.exec(text.trim());
  const period = Number(match?.[2]);
  if (match === null || !(period > 0) || match[1] === '0') throw new CpuCountError(`${file} holds "${text.trim()}", not "max PERIOD" or "QUOTA PERIOD" (whole numbers above 0)`);
  if (match[1] === 'max') return undefined;
  const quota = Number(match[1]);
  return { quota, period, source: `cgroup v2 cpu.max ${quota}/${period} (${dir})` };
}

/** `cpu.cfs_quota_us` (-1: no limit) over `cpu.cfs_period_us`. */
function v1Quota(root: string, dir: string): Quota | undefined {
  const quotaFile = `${dir}/cpu.cfs_quota_us`;
  const quotaText = readText(root, quotaFile)?.trim();
  if (quotaText === undefined || quotaText === '-1') return undefined;
  if (!/^\d+$/.test(quotaText) || Number(quotaText) === 0) throw new CpuCountError(`${quotaFile} holds "${quotaText}", not -1 or a whole number above 0`);
  const periodFile = `${dir}/cpu.cfs_period_us`;
  const periodText = readText(root, periodFile)?.trim();
  if (periodText === undefined) throw new CpuCountError(`${quotaFile} sets a quota but ${periodFile} is missing`);
  if (!/^\d+$/.test(periodText) || Number(periodText) === 0) throw new CpuCountError(`${periodFile} holds "${periodText}", not a whole number above 0`);
  const quota = Number(quotaText);
  const period = Number(periodText);
  return { quota, period, source: `cgroup v1 cpu.cfs_quota_us/cpu.cfs_period_us ${quota}/${period} (${dir})` };
}

/**
 * The CPUs in the init's affinity mask (sched_getaffinity), as the kernel lists them in
 * /proc/self/status; read there rather than through os.availableParallelism(), whose libuv
 * may apply the cgroup quota as well on some Node versions, so that the reason stays true.
 */
function affinityCpus(root: string): { cpus: number; text: string } {
  const status = readText(root, '/proc/self/status');
  const line = status?.split('\n').find((candidate) => candidate.startsWith('Cpus_allowed_list:'));
  if (line === undefined) {
    const cpus = availableParallelism();
    return { cpus, text: `${cpus} CPU${cpus === 1 ? '' : 's'} available to Node (no Cpus_allowed_list in /proc/self/status)` };
  }
  const list = line.slice('Cpus_allowed_list:'.length).trim();
  let cpus = 0;
  for (const range of list.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(range);
    const first = Number(match?.[1]);
    const last = match?.[2] === undefined ? first : Number(match[2]);
    if (match === null || last < first) throw new CpuCountError(`/proc/self/status has "Cpus_allowed_list: ${list}", not a list of CPUs such as 0-3,6`);
    cpus += last - first + 1;
  }
  return { cpus, text: `${cpus} CPU${cpus === 1 ? '' : 's'} in the affinity mask` };
}

/** A file's text; undefined when it (or a directory on its way) is not there. */
function readText(root: string, path: string): string | undefined {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CpuCountError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

function isDirectory(root: string, path: string): boolean {
  try {
    return statSync(join(root, path)).isDirectory();
  } catch {
    return false;
  }
}
