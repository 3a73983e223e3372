// The image's entrypoint is `node /init.js`: single-command mode with `docker run IMAGE -- CMD`,
// and a bad BATON_* variable in supervisor mode, as a user of the image sees them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LABEL, docker, imagesForFile, processes, uniqueName, waitForState } from './helpers.ts';

const NAME = uniqueName('single-command');
const file = imagesForFile(NAME);

/** `docker run` to the container's end: its exit code and its output (`docker logs`). */
async function runContainer(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const name = file.containerName();
  const envArgs = Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
  try {
    const run = await docker(['run', '--name', name, '--label', `${LABEL}=${NAME}`, ...envArgs, file.images.app, ...args], { check: false, timeoutMs: 60_000 });
    const logs = await docker(['logs', name]);
    return { code: run.code, stdout: logs.stdout, stderr: logs.stderr };
  } finally {
    await docker(['rm', '--force', name], { check: false });
  }
}

/** Polls ps (with a deadline) until the init has spawned its child. */
async function waitForChild(container: string, args: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await processes(container)).some((p) => p.ppid === 1 && p.args === args)) {
    if (Date.now() > deadline) throw new Error(`${container}: no child "${args}" of PID 1 after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type Process = Awaited<ReturnType<typeof processes>>[number];

/** Polls ps until `done` accepts what `pick` finds, or fails at the deadline saying what it waited for. */
async function pollProcesses(container: string, pick: (all: Process[]) => Process[], done: (found: Process[]) => boolean, what: string, timeoutMs = 30_000): Promise<Process[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = pick(await processes(container));
    if (done(found)) return found;
    if (Date.now() > deadline) throw new Error(`${container}: waited ${timeoutMs} ms for ${what}; ps shows ${JSON.stringify(found)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('single-command mode in a container', () => {
  test('the child exit code is the container exit code', async () => {
    const exit = await runContainer(['--', 'sh', '-c', 'echo hello; exit 3']);
    assert.equal(exit.code, 3, exit.stderr);
    assert.equal(exit.stdout, 'hello\n');
  });

  test('a child killed by a signal gives 128+N', async () => {
    const exit = await runContainer(['--', 'sh', '-c', 'kill -TERM $$']);
    assert.equal(exit.code, 143, exit.stderr);
  });

  test('a missing command exits 127 and docker logs names it', async () => {
    const exit = await runContainer(['--', 'no-such-command-here', 'arg']);
    assert.equal(exit.code, 127);
    assert.match(exit.stderr, /no-such-command-here/);
  });

  test('docker stop reaches the child: SIGTERM is forwarded, the child dies of it (143), not of the SIGKILL after the timeout', async () => {
    const name = file.containerName();
    try {
      await docker(['run', '--detach', '--name', name, '--label', `${LABEL}=${NAME}`, file.images.app, '--', 'sleep', '300']);
      // A signal that reaches PID 1 before Node has installed its handlers is dropped by the kernel.
      await waitForChild(name, 'sleep 300');
      await docker(['stop', '--time', '20', name], { timeoutMs: 40_000 });
      assert.equal(await waitForState(name, '{{.State.Status}}', (status) => status === 'exited'), 'exited');
      assert.equal((await docker(['inspect', '--format', '{{.State.ExitCode}}', name])).stdout.trim(), '143');
    } finally {
      await docker(['rm', '--force', name], { check: false });
    }
  });

  test('orphans made inside the container are reaped: they come to PID 1 and leave no zombie', async () => {
    const name = file.containerName();
    try {
      await docker(['run', '--detach', '--name', name, '--label', `${LABEL}=${NAME}`, file.images.app, '--', 'sleep', '300']);
      await waitForChild(name, 'sleep 300');
      // Orphans: a shell starts 50 sleeps in the background and exits at once, leaving them
      // to the init. Forks can be slow on a busy machine, so ps is polled (with a deadline)
      // until all 50 are there; then they are ended together, and none may stay a zombie.
      await docker(['exec', name, 'sh', '-c', 'i=0; while [ $i -lt 50 ]; do sleep 600 & i=$((i+1)); done']);
      const orphans = await pollProcesses(name, (all) => all.filter((p) => p.args === 'sleep 600'), (found) => found.length === 50, 'all 50 orphans running');
      assert.ok(orphans.every((p) => p.ppid === 1), `orphans not adopted by PID 1: ${JSON.stringify(orphans)}`);
      await docker(['exec', name, 'pkill', '-x', '-f', 'sleep 600']);
      await pollProcesses(name, (all) => all.filter((p) => p.args === 'sleep 600' || p.stat.startsWith('Z')), (left) => left.length === 0, 'no orphan or zombie left');
      const all = await processes(name);
      assert.deepEqual(all.filter((p) => p.stat.startsWith('Z')), []);
      assert.ok(all.some((p) => p.pid === 1 && /node \/init\.js/.test(p.args)), JSON.stringify(all));
    } finally {
      await docker(['rm', '--force', name], { check: false });
    }
  });
});

describe('supervisor mode configuration errors', () => {
  test('a bad BATON_* variable: exit 2, and docker logs names the variable; nothing is spawned', async () => {
    const exit = await runContainer([], { BATON_WEB_COMMAND: 'node examples/web.mjs', BATON_WEB_CONUT: '2' });
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(exit.stderr, /BATON_WEB_CONUT/);
    assert.doesNotMatch(exit.stdout, /listening/);
  });

  test('a bad value: exit 2 naming the variable', async () => {
    const exit = await runContainer([], { BATON_WEB_COMMAND: 'node examples/web.mjs', BATON_WEB_COUNT: 'two' });
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(exit.stderr, /BATON_WEB_COUNT/);
  });
});
