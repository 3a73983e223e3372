// BATON_<NAME>_MAX_MEMORY with the built init and real processes: instances of a COUNT=2
// LISTEN service that grow past the limit are replaced one by one under HTTP load, each
// old one stopped only once its replacement is ready, without a failed request.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, ROOT, runInit, WAIT_MS } from '../helpers/init-process.ts';
import { freePort, get } from '../helpers/net.ts';
import { cleanBase, supervise } from '../helpers/supervisor.ts';
import type { StatusSnapshot } from '../../src/control/protocol.ts';

const MIB = 2 ** 20;
/** The web example holds about 45 MiB resident when idle, some more under load: the limit leaves it room, and its growth passes it in a few seconds. */
const LIMIT_MIB = 128;


describe('MAX_MEMORY', () => {
  test('--check prints the limit; one under 1M or ambiguous exits 2 naming the variable', async () => {
    const env = { ...cleanBase(), BATON_WEB_COMMAND: 'true', BATON_WEB_MAX_MEMORY: '256MiB' };
    const check = await runInit(['--check'], { pidNamespace: false, cleanEnv: true, env });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^ {2}max memory {6}256M \(268435456 bytes\) resident per instance, replaced above it$/m);
    for (const [value, why] of [['1023K', /\W+1023K\W+ is under 1M/], ['1GB', /\W+1GB\W+ is ambiguous/]] as const) {
      const bad = await runInit(['--check'], { pidNamespace: false, cleanEnv: true, env: { ...env, BATON_WEB_MAX_MEMORY: value } });
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, new RegExp(`BATON_WEB_MAX_MEMORY: ${why.source}`));
    }
  });

  test('a COUNT=2 LISTEN service whose instances grow past MAX_MEMORY is replaced under HTTP load with no failed request', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const marks = mkdtempSync(join(tmpdir(), 'baton-memory-'));
    const s = supervise({
      // The web example drains on SIGTERM; grow.mjs makes the first instance of each slot grow by 8 MiB every 250 ms.
      BATON_WEB_COMMAND: JSON.stringify([process.execPath, '--import', `${FIXTURES}/grow.mjs`, `${ROOT}examples/web.mjs`]),
      BATON_WEB_COUNT: '2',
      BATON_WEB_READY: 'notify',
      BATON_WEB_LISTEN: `127.0.0.1:${port}`,
      BATON_WEB_MAX_MEMORY: `${LIMIT_MIB}M`,
      BATON_WEB_STOP_TIMEOUT: '10s',
      GROW_MARK: join(marks, 'grown'),
    });
    await s.record(/generation 1 is running/);
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 });
    let done = false;
    let ok = 0;
    const failures: string[] = [];
    const servedBy = new Set<string>();
    const client = async (agent: Agent | false): Promise<void> => {
      // Bounded: stops once both replacements are over, and never runs past 5000 requests per client.
      for (let i = 0; !done && i < 5000; i++) {
        try {
          servedBy.add((await get(port, agent)).match(/pid (\d+)/)?.[1] ?? '?');
          ok++;
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    const clients = [client(keepAlive), client(keepAlive), client(keepAlive), client(false)];

    const replaced = () => s.records().filter((r) => /^ready in place of pid \d+ \(MAX_MEMORY\)/.test(String(r.msg)));
    await s.init.waitUntil(() => replaced().length === 2, 'both instances replaced', 90_000);
    const oldPids = replaced().map((r) => r.replaced);
    // Each old instance drains, then exits on its STOP_SIGNAL.
    await s.init.waitUntil(() => oldPids.every((pid) => s.records().some((r) => r.pid === pid && /^exited \(code 0\)/.test(String(r.msg)))), 'both old instances drained and exited', 60_000);
    done = true;
    await Promise.all(clients);
    keepAlive.destroy();

    const records = s.records();
    const over = records.filter((r) => /^resident memory \d+ bytes is above MAX_MEMORY \(134217728 bytes\): starting a replacement/.test(String(r.msg)));
    assert.equal(over.length, 2, 'logged once per instance, with the RSS and the limit');
    for (const record of over) {
      assert.equal(record.level, 40, 'a warning');
      assert.ok(Number(record.rss) > LIMIT_MIB * MIB && record.maxMemory === LIMIT_MIB * MIB, JSON.stringify(record));
    }
    for (const [at, record] of replaced().entries()) {
      const warned = over.find((r) => r.pid === record.replaced);
      assert.ok(warned, `pid ${String(record.replaced)} was over the limit before it was replaced`);
      const stopped = records.findIndex((r) => r.pid === record.replaced && /^stopping with SIGTERM/.test(String(r.msg)));
      assert.ok(stopped > records.indexOf(record), `replacement ${at + 1}: the old instance is stopped only once its replacement is ready`);
      console.log(`replacement ${at + 1}: pid ${String(record.replaced)} at ${String(warned.rss)} bytes -> pid ${String(record.pid)} ready ${Number(record.time) - Number(warned.time)} ms after the warning`);
    }
    console.log(`${ok} requests, ${failures.length} failed, served by ${servedBy.size} pids`);
    assert.deepEqual(failures, []);
    assert.ok(ok > 100, `${ok} requests`);
    assert.ok(oldPids.every((pid) => servedBy.has(String(pid))), 'the old instances served before they were replaced');
    assert.ok(replaced().every((r) => servedBy.has(String(r.pid))), 'and their replacements after');

    // A replacement's RSS is known from the first sample after it started: once a second.
    let snapshot: StatusSnapshot;
    for (const deadline = Date.now() + WAIT_MS; ; ) {
      const status = await s.query('--status', '--json');
      assert.equal(status.code, 0, status.stderr);
      snapshot = JSON.parse(status.stdout) as StatusSnapshot;
      if (snapshot.generations.flatMap((g) => g.instances).every((i) => i.rss !== null)) break;
      assert.ok(Date.now() < deadline, `no RSS sampled for every instance within ${WAIT_MS} ms: ${status.stdout}`);
    }
    assert.deepEqual(snapshot.services.web?.exits, { crashed: 0, exited: 0, 'start-failed': 0, watchdog: 0, stopped: 0, memory: 2 });
    assert.equal(snapshot.services.web?.restarts, 2);
    const instances = snapshot.generations.flatMap((g) => g.instances);
    assert.deepEqual(instances.map((i) => [i.generation, i.state, i.restartsBy]), [[1, 'ready', { memory: 1 }], [1, 'ready', { memory: 1 }]]);
    for (const instance of instances) assert.ok(instance.rss !== null && instance.rss > 10 * MIB && instance.rss < LIMIT_MIB * MIB, `rss ${instance.rss}`);
    const table = await s.query('--status');
    assert.match(table.stdout, /RSS/);
    assert.match(table.stdout, /ready +\S+ +\S+ +- +\d+\.\dM +1 \(memory 1\)/);
    assert.equal((await s.query('--health')).code, 0);
    s.init.signal('SIGTERM');
    assert.equal((await s.init.exited).code, 0);
    rmSync(marks, { recursive: true, force: true });
  });
});
