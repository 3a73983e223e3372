// Docker for the tests in test/docker: commands with deadlines, the images built from a
// snapshot of dist/, containers' logs followed as they come, and compose projects.
// They need a running Docker engine and a Node base image: scripts/docker-setup.sh.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const COMPOSE_FILE = join(ROOT, 'compose.yaml');
export const OFFICIAL_NODE_IMAGE = 'node:22-bookworm-slim';
export const LOCAL_NODE_IMAGE = 'baton-node-base:bookworm';
/** Every container and image the tests make carries it, so that leftovers can be found. */
export const LABEL = 'baton-test';

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Throw unless the command exits 0 (default true). */
  check?: boolean;
}

/** Runs a command to its end; kills it and throws when it outlives its deadline. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<Result> {
  const { timeoutMs = 60_000, check = true } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} ${args.join(' ')}: still running after ${timeoutMs} ms\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (check && code !== 0) reject(new Error(`${file} ${args.join(' ')}: exit ${code}\nstdout: ${stdout.slice(-4000)}\nstderr: ${stderr.slice(-4000)}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

export function docker(args: readonly string[], options: RunOptions = {}): Promise<Result> {
  return run('docker', args, options);
}

/** Fails the test file early, with what to do, when the engine is not there. */
export async function requireDocker(): Promise<void> {
  const info = await docker(['info', '--format', '{{.ServerVersion}}'], { check: false, timeoutMs: 20_000 }).catch((error: Error) => ({ code: -1, stdout: '', stderr: error.message }));
  if (info.code !== 0) throw new Error(`no Docker engine answers (docker info: ${info.stderr.trim()}); run scripts/docker-setup.sh first`);
}

/** `docker compose` when the plugin works, else docker-compose (v1). */
export const compose: readonly string[] = (() => {
  const plugin = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore', timeout: 20_000 });
  return plugin.status === 0 ? ['docker', 'compose'] : ['docker-compose'];
})();

async function imageExists(image: string): Promise<boolean> {
  return (await docker(['image', 'inspect', image], { check: false, timeoutMs: 20_000 })).code === 0;
}

/** BATON_TEST_NODE_IMAGE, else the official image when it is here, else the local one of scripts/docker-base.sh. */
export async function nodeImage(): Promise<string> {
  const chosen = process.env.BATON_TEST_NODE_IMAGE || ((await imageExists(OFFICIAL_NODE_IMAGE)) ? OFFICIAL_NODE_IMAGE : LOCAL_NODE_IMAGE);
  if (!(await imageExists(chosen))) throw new Error(`the Node image ${chosen} is not here; run scripts/docker-setup.sh (or set BATON_TEST_NODE_IMAGE)`);
  return chosen;
}

export interface Images {
  nodeImage: string;
  /** The example app: docker/Dockerfile's last stage. */
  app: string;
  /** Only what the init adds to an image: the `init` stage. */
  init: string;
  remove(): Promise<void>;
}

/**
 * Builds and image removals of the test files (which run in parallel) take turns: a removal
 * must not delete an image that a build running beside it has just taken from the cache.
 */
const BUILD_LOCK = join(tmpdir(), 'baton-test-docker-build.lock');

function lockedDocker(args: readonly string[], options: RunOptions = {}): Promise<Result> {
  return run('flock', [BUILD_LOCK, 'docker', ...args], options);
}

/**
 * Builds docker/Dockerfile from a snapshot of dist/ and examples/ (dist/ may be rebuilt
 * while the tests run), tagged for this test file only. Docker's layer cache makes a
 * second build of the same files take a fraction of a second. Every stage is tagged, the
 * `pick` stage as well: the classic builder would otherwise leave it as an untagged image,
 * and removing the tags at the end removes every image the build made.
 */
export async function buildImages(name: string): Promise<Images> {
  for (const file of ['dist/init.js', 'dist/baton.js', 'dist/baton-execa.js', 'dist/baton-pino.js', 'dist/listen-shim.cjs', 'dist/koffi']) {
    if (!existsSync(join(ROOT, file))) throw new Error(`${file} is missing: run npm run build first`);
  }
  const image = await nodeImage();
  const context = mkdtempSync(join(tmpdir(), 'baton-docker-context-'));
  const tag = `${name}-${process.pid}`;
  const images = { pick: `baton-test-pick:${tag}`, init: `baton-test-init:${tag}`, app: `baton-test-app:${tag}` };
  const remove = async (): Promise<void> => {
    await lockedDocker(['image', 'rm', images.app, images.init, images.pick], { check: false, timeoutMs: 60_000 });
  };
  try {
    mkdirSync(join(context, 'dist'));
    cpSync(join(ROOT, 'dist/init.js'), join(context, 'dist/init.js'));
    cpSync(join(ROOT, 'dist/baton.js'), join(context, 'dist/baton.js'));
    cpSync(join(ROOT, 'dist/baton-execa.js'), join(context, 'dist/baton-execa.js'));
    cpSync(join(ROOT, 'dist/baton-pino.js'), join(context, 'dist/baton-pino.js'));
    cpSync(join(ROOT, 'dist/listen-shim.cjs'), join(context, 'dist/listen-shim.cjs'));
    cpSync(join(ROOT, 'dist/koffi'), join(context, 'dist/koffi'), { recursive: true });
    cpSync(join(ROOT, 'examples'), join(context, 'examples'), { recursive: true });
    cpSync(join(ROOT, 'docker'), join(context, 'docker'), { recursive: true });
    const common = ['build', '--quiet', '--label', LABEL, '--file', 'docker/Dockerfile', '--build-arg', `NODE_IMAGE=${image}`];
    for (const [target, tagged] of [['pick', images.pick], ['init', images.init], ['app', images.app]] as const) {
      await lockedDocker([...common, '--target', target, '--tag', tagged, '.'], { cwd: context, timeoutMs: 180_000 });
    }
  } catch (error) {
    await remove();
    throw error;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return { nodeImage: image, app: images.app, init: images.init, remove };
}

/** A name for this test file's containers and compose project: `baton-test-reload-1234`. */
export function uniqueName(file: string): string {
  return `baton-test-${file}-${process.pid}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

export { freePort } from '../helpers/net.ts';

export type LogRecord = Record<string, unknown> & { msg?: string };

/**
 * Follows a container's output (`docker logs --follow`) from its start: the init's JSON
 * records are on stderr, the services' own lines mostly on stdout. Waits are woken by
 * each new chunk, not by polling.
 */
export class ContainerLog {
  stdout = '';
  stderr = '';
  private ended = false;
  private waiters: Array<() => void> = [];
  private readonly child: ChildProcess;

  constructor(readonly container: string) {
    this.child = spawn('docker', ['logs', '--follow', container], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.wake();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.wake();
    });
    this.child.once('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** The init's JSON log records so far, in order. */
  records(): LogRecord[] {
    return this.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as LogRecord];
        } catch {
          return []; // a line still being written
        }
      });
  }

  /** Resolves once `condition` holds; rejects at the deadline or when the output ends first. */
  async waitUntil(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (condition()) return;
      const left = deadline - Date.now();
      if (this.ended || left <= 0) {
        throw new Error(`${this.ended ? 'the container output ended' : `${timeoutMs} ms passed`} before ${what}\nstderr (end):\n${this.stderr.slice(-6000)}\nstdout (end):\n${this.stdout.slice(-2000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for a record whose msg matches and whose fields equal `fields`; returns it. */
  async record(msg: RegExp, fields: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<LogRecord> {
    const matches = (record: LogRecord): boolean => msg.test(String(record.msg)) && Object.entries(fields).every(([key, value]) => record[key] === value);
    await this.waitUntil(() => this.records().some(matches), `a log record ${msg} ${JSON.stringify(fields)}`, timeoutMs);
    return this.records().find(matches) as LogRecord;
  }

  close(): void {
    if (!this.ended) this.child.kill();
  }
}

/** Polls `docker inspect` for a state until `accept` takes it or the deadline passes. */
export async function waitForState(container: string, format: string, accept: (value: string) => boolean, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let value = '';
  while (Date.now() < deadline) {
    value = (await docker(['inspect', '--format', format, container], { timeoutMs: 20_000 })).stdout.trim();
    if (accept(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${container}: ${format} is still ${JSON.stringify(value)} after ${timeoutMs} ms`);
}

/** A compose project of compose.yaml at the repository root, on its own port and image. */
export class ComposeProject {
  readonly env: Record<string, string>;

  constructor(
    readonly project: string,
    images: Images,
    readonly port: number,
  ) {
    this.env = { EXAMPLE_IMAGE: images.app, EXAMPLE_PORT: String(port), NODE_IMAGE: images.nodeImage, HEALTHCHECK_INTERVAL: '1s' };
  }

  run(args: readonly string[], options: RunOptions = {}): Promise<Result> {
    const [file, ...rest] = compose as [string, ...string[]];
    return run(file, [...rest, '--project-name', this.project, '--file', COMPOSE_FILE, ...args], { timeoutMs: 120_000, ...options, env: { ...this.env, ...options.env } });
  }

  /** Starts the stack from the image built for the test (never builds) and returns the app's container id. */
  async up(): Promise<string> {
    await this.run(['up', '--detach', '--no-build']);
    return this.container();
  }

  async container(): Promise<string> {
    const id = (await this.run(['ps', '--quiet', 'app'])).stdout.trim();
    if (!id) throw new Error(`compose project ${this.project} has no app container`);
    return id;
  }

  async down(): Promise<void> {
    await this.run(['down', '--volumes', '--timeout', '5'], { check: false });
  }
}

/** `docker exec CONTAINER ps`: every process's pid, parent, state and command line. */
export async function processes(container: string): Promise<Array<{ pid: number; ppid: number; stat: string; args: string }>> {
  const { stdout } = await docker(['exec', container, 'ps', '-eo', 'pid=,ppid=,stat=,args='], { timeoutMs: 20_000 });
  return stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [, pid, ppid, stat, args] = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line) ?? [];
      return { pid: Number(pid), ppid: Number(ppid), stat: stat ?? '', args: args ?? '' };
    });
}

/**
 * A test file's images, built before its tests and removed after them with every container
 * it labelled with `name` (`--label baton-test=<name>`), and a fresh container name for each run.
 */
export function imagesForFile(name: string): { readonly images: Images; containerName(): string } {
  let images: Images | undefined;
  let containers = 0;
  before(async () => {
    await requireDocker();
    images = await buildImages(name);
  });
  after(async () => {
    const { stdout } = await docker(['ps', '--all', '--quiet', '--filter', `label=${LABEL}=${name}`], { check: false });
    const leftover = stdout.split('\n').filter(Boolean);
    if (leftover.length) await docker(['rm', '--force', ...leftover], { check: false });
    await images?.remove();
  });
  return {
    get images(): Images {
      if (images === undefined) throw new Error('the images are built before the tests run');
      return images;
    },
    containerName: () => `${name}-${++containers}`,
  };
}
