// npm run bench: each scenario against baton and the peers installed here, several
// times; prints one markdown table of medians with baton's ratio to each peer, and
// writes the raw numbers to bench/results.json.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { defaultReloadParallel, DEFAULT_STOP_TIMEOUT_MS } from '../src/config/types.ts';
import { join } from 'node:path';
import { AS_PID1, INITS, PEERS, PM2, PM2_INSTALLED, ROOT, type Init } from './peers.ts';
import { cpuMs, firstChild, freePort, LIVE, median, percentile, readStamps, rssKiB, sleep, start, stop, timeRun, until, withTimeout } from './measure.ts';
import { answeringProcesses, CONNECTIONS, load, type LoadSummary } from './load.ts';
import { batonEnv, batonReload, INIT_JS, LOG_DIR, Namespace, pm2, pm2Env, SERVICE, socketReload, tempDir, WEB, type LogRecord } from './supervised.ts';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const QUIET = { ...process.env, TINI_VERBOSITY: '0' };

/** The runs of one init in one row; `missing`: the init is not installed here; `n/a`: the scenario does not apply to it. */
type Cell = number[] | 'missing' | 'n/a';

interface Row {
  scenario: string;
  unit: string;
  /** Lower is better for every row here. A peer absent from `values` is `n/a`. */
  values: Record<string, Cell>;
  floor?: number[];
}

const rows: Row[] = [];
/** Printed under the table. */
const notes: string[] = [];
/** Written to results.json beside the rows: what the medians do not show. */
const details: Record<string, unknown> = {};

function runsOf<T>(count: number, fn: (run: number) => Promise<T>): Promise<T[]> {
  return (async () => {
    const out: T[] = [];
    for (let run = 0; run < count; run++) out.push(await fn(run));
    return out;
  })();
}

async function eachInit(fn: (init: Init, argv: (command: string[]) => string[]) => Promise<number[]>): Promise<Record<string, Cell>> {
  const values: Record<string, Cell> = {};
  for (const init of INITS) values[init.name] = init.argv ? await fn(init, init.argv) : 'missing';
  return values;
}

/** Starts `argv` as PID 1 of a new namespace and resolves with the host pid of that PID 1 once its child runs. */
async function startAsPid1(argv: string[]): Promise<{ pid1: number; stopAll: () => Promise<void> }> {
  const outer = start([...AS_PID1, ...argv], QUIET);
  const pid1 = await firstChild(outer.pid ?? -1);
  await firstChild(pid1);
  return { pid1, stopAll: () => stop(outer) };
}

/** After start-up, before reading RSS: long enough for start-up garbage to be collected. */
const MEMORY_SETTLE_MS = 1000;

async function idleMemory(): Promise<void> {
  // Each run starts every init and a bare node side by side and reads them all after the
  // same settle: one's RSS does not depend on the others', and the runs take one settle each.
  const installed = INITS.filter((init) => init.argv);
  const runs = await runsOf(RUNS, async () => {
    const floor = start([process.execPath, '-e', 'setInterval(()=>{},1e3)']);
    const started = await Promise.all(installed.map((init) => startAsPid1(init.argv?.(['sleep', '1000']) ?? [])));
    try {
      await sleep(MEMORY_SETTLE_MS);
      return { inits: started.map(({ pid1 }) => rssKiB(pid1) / 1024), floor: rssKiB(floor.pid ?? -1) / 1024 };
    } finally {
      await Promise.all([...started.map(({ stopAll }) => stopAll()), stop(floor)]);
    }
  });
  const values: Record<string, Cell> = Object.fromEntries(INITS.map((init): [string, Cell] => [init.name, 'missing']));
  installed.forEach((init, index) => (values[init.name] = runs.map((run) => run.inits[index] ?? NaN)));
  rows.push({ scenario: '1. idle memory (RSS, one `sleep` child)', unit: 'MiB', values, floor: runs.map((run) => run.floor) });
  notes.push(`1: in each of ${RUNS} runs every init (with a \`sleep\` child) and a bare \`node\` start side by side; VmRSS of each PID 1 ${MEMORY_SETTLE_MS / 1000} s after its child started.`);
}

const IDLE_SETTLE_MS = 1000;

async function idleCpu(): Promise<void> {
  // All inits idle side by side for the same 10 s: they do not disturb one another.
  const started = await Promise.all(INITS.filter((init) => init.argv).map(async (init) => ({ init, ...(await startAsPid1(init.argv?.(['sleep', '1000']) ?? [])) })));
  // Idle means after start-up: baton's single-command mode loads koffi once, 100 ms after
  // the command started (see the README), and that one-off load is not what this catches.
  await sleep(IDLE_SETTLE_MS);
  const before = started.map(({ pid1 }) => cpuMs(pid1));
  await sleep(10_000);
  const values: Record<string, Cell> = Object.fromEntries(INITS.map((init): [string, Cell] => [init.name, 'missing']));
  started.forEach(({ init, pid1 }, index) => {
    values[init.name] = [((cpuMs(pid1) - (before[index] ?? 0)) / 10_000) * 100];
  });
  await Promise.all(started.map(({ stopAll }) => stopAll()));
  rows.push({ scenario: '2. idle CPU over 10 s', unit: '%', values });
  notes.push(`2: every init with a \`sleep\` child, side by side; utime + stime of PID 1 over 10 s, from ${IDLE_SETTLE_MS / 1000} s after the child started (the start-up is scenario 3), in ticks of 10 ms: 0.1% is one tick.`);
}

async function startUp(): Promise<void> {
  const times = 4 * RUNS;
  const values = await eachInit(async (_init, argv) => {
    timeRun([...AS_PID1, ...argv(['true'])], QUIET); // warm the page cache
    return runsOf(times, async () => timeRun([...AS_PID1, ...argv(['true'])], QUIET));
  });
  timeRun([...AS_PID1, process.execPath, '-e', '0']);
  const floor = await runsOf(times, async () => timeRun([...AS_PID1, process.execPath, '-e', '0']));
  rows.push({ scenario: '3. start-up: `init -- true` as PID 1', unit: 'ms', values, floor });
  // Against the least a Node init must do, on each Node line: baton compiles its bundle
  // from V8's code cache (dist/init.js.cache, made by the first, untimed run).
  const spawner = "require('child_process').spawn('true',{stdio:'inherit'}).on('exit',c=>process.exit(c))";
  for (const node of NODE_LINES.filter((path) => existsSync(path))) {
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    const baton = [...AS_PID1, node, `${ROOT}dist/init.js`, '--', 'true'];
    const minimal = [...AS_PID1, node, '-e', spawner];
    timeRun(baton, QUIET);
    timeRun(minimal);
    const batonMs: number[] = [];
    const minimalMs: number[] = [];
    // Interleaved, so that a busy moment of the machine falls on both alike.
    for (let i = 0; i < times; i++) {
      batonMs.push(timeRun(baton, QUIET));
      minimalMs.push(timeRun(minimal));
    }
    rows.push({ scenario: `3. start-up as PID 1 on Node ${version}, against a minimal Node spawner (in the node column)`, unit: 'ms', values: { baton: batonMs }, floor: minimalMs });
  }
  notes.push(
    `3: the minimal spawner is \`node -e "${spawner}"\`, the least a Node init does; baton compiles its bundle from V8's code cache (beside dist/init.js, made by one untimed run first).`,
  );
}

/** The bench's own Node, and the other lines test/e2e/bundle.test.ts runs on, where fetched (npm test fetches them). */
const NODE_LINES = [process.execPath, `${ROOT}.cache/node-22/bin/node`, `${ROOT}.cache/node-24/bin/node`];

/**
 * The forks of scenario 4 (every run of every init) should take about this long, whatever a
 * fork costs here (the bursts take a third to two thirds of it: a fork in a burst does not
 * wait for its child, as the fork-rate count does). 30 s holds about 6,800 orphans where a
 * fork costs 0.22 ms, above the 2,000 the reaping target names, and 150 where it costs 10 ms.
 */
const REAPING_BUDGET_MS = 30_000;
const MAX_ORPHANS = 10_000;
const MIN_ORPHANS = 100;

/** The orphan factory (bench/fixtures/orphans.c), compiled once. */
function orphanFactory(): string {
  const factory = `${ROOT}.cache/orphans`;
  mkdirSync(`${ROOT}.cache`, { recursive: true });
  execFileSync('cc', ['-O2', '-o', factory, `${ROOT}bench/fixtures/orphans.c`]);
  return factory;
}

/** Milliseconds one fork costs here, from 200 forks one after another. */
function forkCost(factory: string): number {
  return (JSON.parse(execFileSync(factory, ['--fork-rate', '200'], { encoding: 'utf8' })) as { fork_ms: number }).fork_ms;
}

/**
 * How many orphans a burst holds on this machine: as many as fit REAPING_BUDGET_MS for
 * every run of every init at the fork rate measured now (a fork can cost 10 ms on a busy
 * machine), at most MAX_ORPHANS, rounded down to two significant digits.
 */
function orphanCount(factory: string): { count: number; forkMs: number } {
  const forkMs = forkCost(factory);
  const installed = INITS.filter((init) => init.argv).length;
  const fit = REAPING_BUDGET_MS / (forkMs * RUNS * installed);
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(fit)) - 1);
  return { count: Math.max(MIN_ORPHANS, Math.min(MAX_ORPHANS, Math.floor(fit / magnitude) * magnitude)), forkMs };
}

async function reaping(): Promise<void> {
  const factory = orphanFactory();
  const { count, forkMs } = orphanCount(factory);
  process.stderr.write(`bench: reaping: a fork costs ${format(forkMs)} ms here: bursts of ${count} orphans\n`);
  const clear: Record<string, Cell> = {};
  const cpu: Record<string, Cell> = {};
  const peak: Record<string, Cell> = {};
  for (const init of INITS) {
    if (!init.argv) {
      clear[init.name] = cpu[init.name] = peak[init.name] = 'missing';
      continue;
    }
    const results = await runsOf(RUNS, async () => {
      const child = start([...AS_PID1, ...init.argv!([factory, String(count)])], QUIET);
      const lines = createInterface({ input: child.stdout! });
      let line: string;
      try {
        [line] = (await withTimeout(once(lines, 'line'), 60_000 + count * forkMs * 2, `the reaping result under ${init.name}`)) as [string];
      } finally {
        await stop(child);
      }
      return JSON.parse(line) as { peak: number; clear_ms: number; left: number; cpu_ms: number };
    });
    clear[init.name] = results.map((r) => (r.left > 0 ? Infinity : r.clear_ms));
    cpu[init.name] = results.map((r) => (r.left > 0 ? Infinity : r.cpu_ms));
    peak[init.name] = results.map((r) => r.peak);
  }
  const orphans = count.toLocaleString('en-US');
  rows.push({ scenario: `4. reaping ${orphans} orphans: last exit to no zombie`, unit: 'ms', values: clear });
  rows.push({ scenario: `4. reaping ${orphans} orphans: the init's CPU time meanwhile`, unit: 'ms', values: cpu });
  rows.push({ scenario: `4. reaping ${orphans} orphans: peak zombies`, unit: 'zombies', values: peak });
  notes.push(
    `4: a fork cost ${format(forkMs)} ms on this machine (bench/fixtures/orphans.c --fork-rate, 200 forks), so each burst held ${orphans} orphans: ` +
      `as many as fit ${REAPING_BUDGET_MS / 1000} s for all ${RUNS} runs of every init, at most ${MAX_ORPHANS.toLocaleString('en-US')}, at least ${MIN_ORPHANS}. ` +
      'A middle process forks them, each exits at once, then it exits: all reach PID 1 in one burst; from the middle\'s exit to no zombie left, read from /proc/1/task/1/children. ' +
      'The CPU row is what every thread of PID 1 ran from just before the middle\'s exit to no zombie left (/proc/1/task/N/schedstat): it moves little when other work shares the machine, the milliseconds move a lot.',
  );
  details['4'] = { forkMs, orphans: count };
}

/** The Node floor of scenario 5 (the `bare node` column): a Node process that only forwards. */
const NODE_FORWARDER = (command: string[]): string[] => [process.execPath, `${ROOT}bench/fixtures/node-forwarder.mjs`, '--', ...command];

/** Whether `pid` sleeps (S in /proc/PID/stat), waiting for something; false once it is gone. */
function asleep(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] === 'S';
  } catch {
    return false;
  }
}

/**
 * Every init and the Node floor run side by side, each with its own signal-echo.py, and the
 * signals go to them in turn (the first init of each round rotates): a machine whose load
 * changes during the scenario weighs on all of them alike, where one init after the other
 * put the change into the ratios. Each signal is sent only once the init and its child
 * both sleep: sent right after the previous echo, it found the child still between its
 * write and its next sigwaitinfo, or the init still finishing its loop turn, and timed
 * how the scheduler had interleaved the previous round instead of the forwarding.
 */
async function signalLatency(): Promise<void> {
  const SIGNALS = 300;
  const med: Record<string, Cell> = {};
  const p99: Record<string, Cell> = {};
  const subjects = [...INITS, { name: 'bare node', argv: NODE_FORWARDER }];
  interface Running {
    name: string;
    pid1: number;
    echo: number;
    next: (what: string) => Promise<string>;
    latencies: number[];
  }
  const running: Running[] = [];
  const started: ReturnType<typeof start>[] = [];
  try {
    for (const subject of subjects) {
      if (!subject.argv) {
        med[subject.name] = p99[subject.name] = 'missing';
        continue;
      }
      const child = start([...AS_PID1, ...subject.argv(['python3', `${ROOT}bench/fixtures/signal-echo.py`])], QUIET);
      started.push(child);
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      // Each line is awaited for 5 s at most: a lost signal ends the run instead of hanging it.
      const next = async (what: string): Promise<string> => {
        const { value, done } = await withTimeout(lines.next(), 5_000, `${what} from ${subject.name}`);
        if (done === true) throw new Error(`signal-echo.py under ${subject.name} ended while the bench waited for ${what}`);
        return String(value);
      };
      await next('ready');
      const pid1 = await firstChild(child.pid ?? -1);
      running.push({ name: subject.name, pid1, echo: await firstChild(pid1), next, latencies: [] });
    }
    for (let i = 0; i < SIGNALS; i++) {
      for (let k = 0; k < running.length; k++) {
        const subject = running[(i + k) % running.length]!;
        await untilAsleep(subject.pid1, subject.echo, `${subject.name} and its signal-echo.py asleep before SIGUSR1 number ${i + 1}`);
        const sent = process.hrtime.bigint();
        process.kill(subject.pid1, 'SIGUSR1');
        subject.latencies.push(Number(BigInt(await subject.next(`the echo of SIGUSR1 number ${i + 1}`)) - sent) / 1e6);
      }
    }
  } finally {
    for (const child of started) await stop(child);
  }
  for (const { name, latencies } of running) {
    med[name] = [median(latencies)];
    p99[name] = [percentile(latencies, 99)];
  }
  const floor = (cell: Cell | undefined): number[] | undefined => (Array.isArray(cell) ? cell : undefined);
  const { ['bare node']: nodeMedian, ...medians } = med;
  const { ['bare node']: nodeP99, ...p99s } = p99;
  rows.push({ scenario: `5. signal forwarding, median of ${SIGNALS}`, unit: 'ms', values: medians, floor: floor(nodeMedian) });
  rows.push({ scenario: `5. signal forwarding, p99 of ${SIGNALS}`, unit: 'ms', values: p99s, floor: floor(nodeP99) });
  notes.push(
    '5: every init and a bare Node forwarder (bench/fixtures/node-forwarder.mjs, the node column: process.on and process.kill, nothing else, its child in a session of its own, as under baton) run side by side and take the signals in turn, ' +
      'each sent once the init and its child both sleep; from the bench\'s kill() to the child\'s sigwaitinfo() returning, both read on CLOCK_MONOTONIC.',
  );
}

/** Waits, without sleeping a fixed time, until both processes sleep; the scheduler gets a turn between looks. */
async function untilAsleep(pid1: number, echo: number, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(asleep(pid1) && asleep(echo))) {
    if (Date.now() > deadline) throw new Error(`timed out after 5000 ms waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** 6-8 run 2 services x 4 (stop) or 4 instances (reloads), under baton's supervisor mode and pm2. */
const STOP_SERVICES = ['A', 'B'];
const INSTANCES = 4;

/** Starts 2 services x 4 instances under `kind` as PID 1, waits until all are ready, SIGTERMs PID 1 and times its exit. */
async function stopRun(kind: 'baton' | 'pm2'): Promise<{ stopMs: number; beyondMs: number }> {
  const dir = tempDir();
  const stamps = join(dir, 'stamps');
  mkdirSync(stamps);
  const expected = STOP_SERVICES.length * INSTANCES;
  let init: Namespace | undefined;
  try {
    if (kind === 'baton') {
      const service = { COMMAND: JSON.stringify([process.execPath, SERVICE]), COUNT: String(INSTANCES), READY: 'notify' };
      const services = Object.fromEntries(STOP_SERVICES.map((name) => [name, service]));
      init = new Namespace([process.execPath, INIT_JS], batonEnv(services, join(dir, 'control.sock'), { BENCH_STAMPS: stamps }));
    } else {
      // pm2's default stop signal is SIGINT (the fixture exits at once on it as on SIGTERM); fork mode, as baton spawns.
      const ecosystem = join(dir, 'ecosystem.json');
      const apps = STOP_SERVICES.map((name) => ({ name: name.toLowerCase(), script: SERVICE, instances: INSTANCES, exec_mode: 'fork', env: { BENCH_STAMPS: stamps } }));
      writeFileSync(ecosystem, JSON.stringify({ apps }));
      init = new Namespace([process.execPath, PM2.runtime, ecosystem], pm2Env(dir, { BENCH_STAMPS: stamps }));
    }
    const running = init;
    await until(
      () => {
        if (!running.alive) throw new Error(`${kind} exited before its services were ready; last log lines:\n${running.lines.slice(-10).join('\n')}`);
        return readStamps(stamps, 'ready').length >= expected ? true : undefined;
      },
      30_000,
      `the ${expected} services under ${kind} to be ready`,
    );
    if (kind === 'baton') await init.record((record) => record.msg === 'generation 1 is running', 10_000, 'generation 1 to run');
    await sleep(300); // whatever the init does right after its start is over
    const pid1 = await init.pid1();
    const sent = process.hrtime.bigint();
    process.kill(pid1, 'SIGTERM');
    await withTimeout(init.exited, 30_000, `${kind} to exit after SIGTERM`);
    const exitedAt = init.exitedAt ?? process.hrtime.bigint();
    const exits = readStamps(stamps, 'exit');
    if (exits.length !== expected) throw new Error(`${kind}: ${exits.length} of ${expected} services recorded their exit`);
    const last = exits.reduce((a, b) => (b > a ? b : a));
    return { stopMs: Number(exitedAt - sent) / 1e6, beyondMs: Number(exitedAt - last) / 1e6 };
  } finally {
    if (init) {
      await init.kill();
      init.saveLog(`6-graceful-stop-${kind}`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs of 6 for each init: its runs differ by a few ms against a 5x gap between the inits, and a pm2-runtime start costs seconds. */
const STOP_RUNS = Math.min(RUNS, 3);

async function gracefulStop(): Promise<void> {
  const stopMs: Record<string, Cell> = {};
  const beyondMs: Record<string, Cell> = {};
  for (const kind of ['baton', 'pm2'] as const) {
    if (kind === 'pm2' && !PM2_INSTALLED) {
      stopMs.pm2 = beyondMs.pm2 = 'missing';
      continue;
    }
    const results = await runsOf(STOP_RUNS, () => stopRun(kind));
    stopMs[kind] = results.map((result) => result.stopMs);
    beyondMs[kind] = results.map((result) => result.beyondMs);
  }
  rows.push({ scenario: '6. graceful stop, 2 services x 4: SIGTERM to init exited', unit: 'ms', values: stopMs });
  rows.push({ scenario: "6. graceful stop minus the slowest child's own exit", unit: 'ms', values: beyondMs });
  notes.push(
    `6: medians of ${STOP_RUNS} runs; baton in supervisor mode (BATON_A/B_COMMAND, COUNT=${INSTANCES}, READY=notify) against pm2-runtime with an ecosystem of 2 apps x ${INSTANCES} (fork mode, its default SIGINT stop signal), each as PID 1; ` +
      'the children (bench/fixtures/service.mjs) exit at once on SIGTERM or SIGINT and write process.hrtime.bigint() (CLOCK_MONOTONIC) just before; ' +
      "the init's exit is when the bench sees unshare exit. tini, dumb-init and catatonit run one command only: n/a.",
  );
}

const RELOADS = 20;
/**
 * Each reload run stops after this long even if its reloads have not all run (where a Node
 * process takes seconds to start, 20 reloads would not fit the bench's 6 minutes); the note
 * says how many ran.
 */
const RELOAD_RUN_LIMIT_MS = 20_000;
/** 7's steady run with no reload: some 80,000 responses here, enough for a p99. */
const STEADY_S = 10;

interface ReloadRun {
  reloads: LoadSummary;
  steady: LoadSummary;
  /** Wall time of each reload command. */
  reloadMs: number[];
  failedReloads: string[];
  /** p99 of the responses in each phase of the reloads (baton only: from its log). */
  phases?: Record<keyof ReloadPhases, number>;
}

/** Latencies of the responses during the reloads, by what was happening when they came. */
interface ReloadPhases {
  warmStart: number[];
  switchOver: number[];
  rest: number[];
}

type Responses = Array<[at: number, ms: number]>;

/**
 * A 2 s warm-up, then load while RELOADS reloads run back to back, then STEADY_S of steady
 * load; or, given `steady`, that window of the same init under the same load instead.
 */
async function underLoad(port: number, reload: () => Promise<{ ok: boolean; ms: number; detail: string }>, responses?: Responses, steady?: LoadSummary): Promise<ReloadRun> {
  await load(port, 2);
  const reloadMs: number[] = [];
  const failedReloads: string[] = [];
  const began = Date.now();
  const reloads = await load(
    port,
    async () => {
      for (let i = 0; i < RELOADS && Date.now() - began < RELOAD_RUN_LIMIT_MS; i++) {
        const outcome = await reload();
        reloadMs.push(outcome.ms);
        if (!outcome.ok) failedReloads.push(outcome.detail);
      }
    },
    responses,
  );
  return { reloads, steady: steady ?? (await load(port, STEADY_S)), reloadMs, failedReloads };
}

/**
 * Where baton's slow responses during the reloads came from, by the init's own log: while
 * warm generation 1 served and generation 2 started beside it (the start's cost to the
 * serving generation), the SWITCH_MS after each switch-over (connections moving to the new
 * processes), and the rest (a generation a few hundred ms old serving while the next starts).
 */
function reloadPhases(responses: Responses, records: LogRecord[], firstGeneration: number): ReloadPhases {
  const at = (match: (record: LogRecord) => boolean): number[] => records.filter(match).map((record) => Number(record.time));
  const [firstRequest] = at((record) => record.generation === firstGeneration && record.msg?.startsWith('reload requested') === true);
  const switches = at((record) => (record.generation ?? 0) >= firstGeneration && /^generation \d+ is ready: stopping/.test(record.msg ?? ''));
  const [firstSwitch] = switches;
  const phases: ReloadPhases = { warmStart: [], switchOver: [], rest: [] };
  if (firstRequest === undefined || firstSwitch === undefined) return phases;
  for (const [time, ms] of responses) {
    if (time >= firstRequest && time < firstSwitch) phases.warmStart.push(ms);
    else if (switches.some((start) => time >= start && time < start + SWITCH_MS)) phases.switchOver.push(ms);
    else if (time >= firstSwitch) phases.rest.push(ms);
  }
  return phases;
}
const SWITCH_MS = 100;

/** examples/web.mjs x INSTANCES under baton as PID 1, on BATON_WEB_LISTEN: what scenarios 7 and 9 load. */
interface BatonWeb {
  init: Namespace;
  port: number;
  socket: string;
  dir: string;
  /** Scenario 9's window with no reload on this init, which scenario 7 takes as its steady run. */
  steady?: LoadSummary;
}

async function startBatonWeb(): Promise<BatonWeb> {
  const dir = tempDir();
  const port = await freePort();
  const socket = join(dir, 'control.sock');
  const web = { COMMAND: JSON.stringify([process.execPath, WEB]), COUNT: String(INSTANCES), READY: 'notify', LISTEN: `127.0.0.1:${port}` };
  const init = new Namespace([process.execPath, INIT_JS], batonEnv({ WEB: web }, socket));
  try {
    await init.record((record) => record.msg === 'generation 1 is running', 30_000, 'generation 1 to run');
  } catch (error) {
    await closeBatonWeb({ init, port, socket, dir }, 'baton-web-start');
    throw error;
  }
  return { init, port, socket, dir };
}

async function closeBatonWeb(web: BatonWeb, logName: string): Promise<void> {
  await web.init.kill();
  web.init.saveLog(logName);
  rmSync(web.dir, { recursive: true, force: true });
}

/**
 * When both 7 and 9 run, 9 runs first and hands its init on to 7 (the run order below):
 * 7's baton reloads then run on that init, against 9's 60 s with no reload as the steady run
 * (the same app under the same load on the same init), instead of a steady run of their own.
 */
const webHandOver: { wanted: boolean; web?: BatonWeb } = { wanted: false };

async function batonUnderLoad(): Promise<ReloadRun & { firstGeneration: number; sharedSteadyS?: number }> {
  const shared = webHandOver.web;
  webHandOver.web = undefined;
  const web = shared ?? (await startBatonWeb());
  try {
    const live = Math.max(1, ...web.init.records.filter((record) => record.msg?.startsWith('reload committed') === true).map((record) => record.generation ?? 1));
    const firstGeneration = live + 1;
    const responses: Responses = [];
    const run = await underLoad(
      web.port,
      async () => {
        const outcome = await batonReload(web.socket);
        return { ok: outcome.committed, ms: outcome.wallMs, detail: outcome.detail };
      },
      responses,
      web.steady,
    );
    const records = web.init.records;
    const phases = reloadPhases(responses, records, firstGeneration);
    const ofTheseReloads = (record: LogRecord): boolean => (record.generation ?? 1) >= firstGeneration;
    run.phases = { warmStart: percentile(phases.warmStart, 99), switchOver: percentile(phases.switchOver, 99), rest: percentile(phases.rest, 99) };
    details['7. baton, responses in each phase of the reloads'] = Object.fromEntries(Object.entries(phases).map(([phase, ms]) => [phase, ms.length]));
    details['7. baton, request to commit of each reload (ms, its log)'] = records.filter((record) => ofTheseReloads(record) && record.msg?.startsWith('reload committed') === true).map((record) => record.ms);
    details['7. baton, spawn to ready of each new instance under load (ms, its log)'] = records.filter((record) => ofTheseReloads(record) && record.msg === 'ready').map((record) => record.ms);
    return { ...run, firstGeneration, ...(web.steady ? { sharedSteadyS: web.steady.seconds } : {}) };
  } finally {
    await closeBatonWeb(web, '7-reload-under-load-baton');
  }
}

/**
 * pm2's stop as baton's: SIGTERM (baton's STOP_SIGNAL; pm2's default is SIGINT, which
 * examples/web.mjs drains on too) and baton's stop timeout before SIGKILL (pm2's default is
 * 1600 ms, which a drain on a busy machine can outlast).
 */
const PM2_WEB = { name: 'web', script: WEB, instances: INSTANCES, exec_mode: 'cluster', kill_signal: 'SIGTERM', kill_timeout: DEFAULT_STOP_TIMEOUT_MS };

async function pm2UnderLoad(): Promise<ReloadRun & { sigkills: number }> {
  const dir = tempDir();
  const port = await freePort();
  const env = pm2Env(dir, { PORT: String(port), HOST: '127.0.0.1' });
  const ecosystem = join(dir, 'ecosystem.json');
  writeFileSync(ecosystem, JSON.stringify({ apps: [PM2_WEB] }));
  // `pm2 start` forks pm2's daemon off and returns; the daemon stays in the namespace (PID 1
  // becomes a bounded sleep), so killing the namespace kills it whatever happens.
  const init = new Namespace(['/bin/sh', '-c', '"$0" "$1" start "$2" >&2 && exec sleep 600', process.execPath, PM2.cli, ecosystem], env);
  try {
    await answeringProcesses(port, INSTANCES, 30_000);
    const run = await underLoad(port, async () => {
      try {
        return { ok: true, ms: await pm2(['reload', 'web'], env), detail: '' };
      } catch (error) {
        return { ok: false, ms: NaN, detail: (error as Error).message };
      }
    });
    // An old worker still there after kill_timeout: pm2's daemon log says so.
    const daemonLog = join(dir, 'pm2', 'pm2.log');
    const sigkills = existsSync(daemonLog) ? readFileSync(daemonLog, 'utf8').split('\n').filter((line) => line.includes('sending SIGKILL')).length : NaN;
    return { ...run, sigkills };
  } finally {
    if (init.alive) await pm2(['kill'], env, 20_000).catch((error: unknown) => process.stderr.write(`bench: pm2 kill: ${(error as Error).message}\n`));
    await init.kill();
    init.saveLog('7-reload-under-load-pm2');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function reloadUnderLoad(): Promise<void> {
  const baton = await batonUnderLoad();
  const pm2Run = PM2_INSTALLED ? await pm2UnderLoad() : 'missing';
  const runs: Record<string, ReloadRun | 'missing'> = { baton, pm2: pm2Run };
  const values = (pick: (run: ReloadRun) => number): Record<string, Cell> =>
    Object.fromEntries(Object.entries(runs).map(([name, run]): [string, Cell] => [name, run === 'missing' ? 'missing' : [pick(run)]]));
  const during = `7. ${RELOADS} reloads under load (at most ${RELOAD_RUN_LIMIT_MS / 1000} s)`;
  rows.push({ scenario: `${during}: failed requests (errors + timeouts + non-2xx + lost)`, unit: 'requests', values: values((run) => run.reloads.failed) });
  rows.push({ scenario: `${during}: p50 latency`, unit: 'ms', values: values((run) => run.reloads.p50) });
  rows.push({ scenario: `${during}: p99 latency`, unit: 'ms', values: values((run) => run.reloads.p99) });
  rows.push({ scenario: '7. steady load, no reload: failed requests', unit: 'requests', values: values((run) => run.steady.failed) });
  rows.push({ scenario: '7. steady load: p50 latency', unit: 'ms', values: values((run) => run.steady.p50) });
  rows.push({ scenario: '7. steady load: p99 latency', unit: 'ms', values: values((run) => run.steady.p99) });
  rows.push({ scenario: '7. p99 during reloads / steady p99', unit: 'x', values: values((run) => run.reloads.p99 / run.steady.p99) });
  const phase = (name: keyof ReloadPhases): Record<string, Cell> => (runs.baton !== 'missing' && runs.baton?.phases ? { baton: [runs.baton.phases[name]] } : {});
  rows.push({ scenario: '7. baton, p99 while the warm generation serves and the first new one starts beside it', unit: 'ms', values: phase('warmStart') });
  rows.push({ scenario: `7. baton, p99 in the ${SWITCH_MS} ms after each switch-over`, unit: 'ms', values: phase('switchOver') });
  rows.push({ scenario: '7. baton, p99 of the rest: a generation under a second old serves while the next starts', unit: 'ms', values: phase('rest') });
  const describe = (name: string, run: ReloadRun | 'missing'): string => {
    if (run === 'missing') return `${name}: missing`;
    const failed = run.failedReloads.length === 0 ? 'all committed' : `${run.failedReloads.length} failed: ${run.failedReloads.join('; ')}`;
    const rate = (summary: LoadSummary): string => `${Math.round(summary.requests / summary.seconds)}/s`;
    const bounded = run.reloadMs.length < RELOADS ? ` (the ${RELOAD_RUN_LIMIT_MS / 1000} s limit stopped it short of ${RELOADS})` : '';
    return (
      `${name}: ${run.reloadMs.length} reloads in ${run.reloads.seconds} s${bounded} (median ${format(median(run.reloadMs))} ms per reload command, ${failed}); ` +
      `${run.reloads.requests} responses during reloads (${rate(run.reloads)}; ${run.reloads.errors} errors of which ${run.reloads.timeouts} timeouts, ${run.reloads.non2xx} non-2xx, ${run.reloads.lost} lost; ` +
      `${run.reloads.closedByServer} connections closed by the server after \`Connection: close\`; max latency ${run.reloads.max} ms), ` +
      `${run.steady.requests} in the steady run (${rate(run.steady)}, max latency ${run.steady.max} ms)`
    );
  };
  const batonSteady =
    baton.sharedSteadyS === undefined
      ? `baton: ${STEADY_S} s right after its reloads, on the same init`
      : `baton: its steady run is scenario 9's ${baton.sharedSteadyS} s with no reload on the same init (9 runs just before 7 and hands its init on: the same app under the same load, measured once for both), its reloads then from generation ${baton.firstGeneration}`;
  notes.push(
    `7: once per init, not ${RUNS} times (${RELOADS} reloads back to back, each waiting for its outcome, for at most ${RELOAD_RUN_LIMIT_MS / 1000} s), to keep the bench within 6 minutes: single runs, not medians. ` +
      `Steady run, no reload: pm2, ${STEADY_S} s right after its reloads; ${batonSteady}. ` +
      `examples/web.mjs x ${INSTANCES}; autocannon in the bench process, ${CONNECTIONS} keep-alive connections to 127.0.0.1, one request at a time each; latencies in whole ms; a 2 s warm-up first. ` +
      "autocannon is made to honour `Connection: close` and to count as lost a request left unanswered on a connection that closed without an error (bench/load.ts): " +
      'stock autocannon 9 sends the next request on a connection the server said it would close, loses it silently and then times every later response of that connection from an earlier request. ' +
      `baton: BATON_WEB_LISTEN (the init holds the socket), READY=notify, \`node dist/init.js --reload\` (blue-green: the new generation must be ready before the old one drains). ` +
      `pm2: \`pm2 start ecosystem.json\` with ${JSON.stringify({ ...PM2_WEB, script: 'examples/web.mjs' })} (cluster mode, PORT), then \`pm2 reload web\`: it replaces the workers two at a time, takes a new worker's 'listening' event as ready ` +
      "(it waits for the app's own readiness only with wait_ready; listen_timeout, 3000 ms, is the backstop), then stops the old worker with kill_signal, SIGKILL kill_timeout later: " +
      `baton's STOP_SIGNAL and STOP_TIMEOUT defaults, so both inits stop an instance through the same drain and give it as long (${pm2Run === 'missing' ? 'pm2 missing' : `pm2's log shows ${pm2Run.sigkills} SIGKILLs after kill_timeout`}). ` +
      `${describe('baton', runs.baton ?? 'missing')}; ${describe('pm2', runs.pm2 ?? 'missing')}.`,
  );
  details['7'] = runs;
}

async function reloadCost(): Promise<void> {
  const SAMPLES = 5; // within a few ms of one another: 5 give a stable median
  const DELAY_MS = 200;
  const dir = tempDir();
  const socket = join(dir, 'control.sock');
  const service = { COMMAND: JSON.stringify([process.execPath, SERVICE]), COUNT: String(INSTANCES), READY: 'notify' };
  const init = new Namespace([process.execPath, INIT_JS], batonEnv({ SVC: service }, socket, { BENCH_READY_DELAY_MS: String(DELAY_MS) }));
  const total: number[] = [];
  const starting: number[] = [];
  const cost: number[] = [];
  const switchCost: number[] = [];
  const timeOf = (record: LogRecord): number => (typeof record.time === 'number' ? record.time : NaN);
  try {
    await init.record((record) => record.msg === 'generation 1 is running', 30_000, 'generation 1 to run');
    for (let i = 0; i < SAMPLES; i++) {
      const outcome = await socketReload(socket);
      const generation = outcome.generation;
      if (!outcome.committed || generation === undefined) throw new Error(`reload ${i + 1} did not commit: ${outcome.detail}`);
      const ofGeneration = (record: LogRecord): boolean => record.generation === generation;
      const requested = await init.record((record) => ofGeneration(record) && record.msg?.startsWith('reload requested') === true, 5_000, `generation ${generation} to be requested`);
      const committed = await init.record((record) => ofGeneration(record) && record.msg?.startsWith('reload committed') === true, 5_000, `generation ${generation} to commit`);
      const live = await init.record((record) => ofGeneration(record) && record.msg?.startsWith(`generation ${generation} is ready`) === true, 5_000, `generation ${generation} to be ready`);
      // Each new instance from its spawn to its ready notification, by the init's log.
      const spans = [...new Set(init.records.filter((record) => ofGeneration(record) && record.msg === 'spawned').map((record) => record.instance))].map((instance) => {
        const mine = (msg: string): LogRecord | undefined => init.records.find((record) => ofGeneration(record) && record.instance === instance && record.msg === msg);
        return [timeOf(mine('spawned') ?? {}), timeOf(mine('ready') ?? {})] as [number, number];
      });
      if (spans.length !== INSTANCES || spans.some(([from, to]) => !(to >= from))) throw new Error(`generation ${generation}: ${spans.length} spawned/ready pairs, not ${INSTANCES}`);
      const busy = unionLength(spans);
      total.push(timeOf(committed) - timeOf(requested));
      starting.push(busy);
      cost.push(timeOf(committed) - timeOf(requested) - busy);
      switchCost.push(timeOf(live) - timeOf(requested) - busy);
    }
  } finally {
    await init.kill();
    init.saveLog('8-reload-cost-baton');
    rmSync(dir, { recursive: true, force: true });
  }
  rows.push({ scenario: '8. reload cost: request to commit minus the time a new instance was starting', unit: 'ms', values: { baton: cost } });
  rows.push({ scenario: '8. reload: request to commit', unit: 'ms', values: { baton: total } });
  rows.push({ scenario: `8. reload: time a new instance was starting (spawn to notify, ${DELAY_MS} ms of each built in)`, unit: 'ms', values: { baton: starting } });
  notes.push(
    `8: baton only (no peer reports when its reload commits): one init, ${INSTANCES} instances of bench/fixtures/service.mjs that notify ready ${DELAY_MS} ms after they start and exit at once on SIGTERM, ${SAMPLES} reloads asked on the control socket, medians of the ${SAMPLES}; ` +
      "from the times of the init's JSON log: `reload requested` to `reload committed`, minus the time during which at least one new instance was between its `spawned` and its `ready` " +
      `(the union of those spans: with BATON_RELOAD_PARALLEL at its default, ${defaultReloadParallel(availableParallelism())} here, they start one after another). ` +
      `Commit includes stopping the old generation; up to the switch-over (\`generation N is ready\`) the cost is ${format(median(switchCost))} ms. The log's times are whole milliseconds.`,
  );
  details['8'] = { total, starting, cost, switchCost };
}

/** Scenario 9: a load window this long (BENCH_WINDOW_S), one reload a third of the way in. */
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 60);
const RELOAD_AT_S = WINDOW_S / 3;
const AFTER_SWITCH_MS = 5_000;

interface WindowFigures {
  p50: number;
  p99: number;
  /** p50 and p99 of the responses in the AFTER_SWITCH_MS from the switch-over (no reload: from the same offset). */
  p50After: number;
  p99After: number;
  failed: number;
  responses: number;
}

function windowFigures(summary: LoadSummary, responses: Responses, from: number): WindowFigures {
  const all = responses.map(([, ms]) => ms);
  const after = responses.filter(([at]) => at >= from && at < from + AFTER_SWITCH_MS).map(([, ms]) => ms);
  return { p50: percentile(all, 50), p99: percentile(all, 99), p50After: percentile(after, 50), p99After: percentile(after, 99), failed: summary.failed, responses: all.length };
}

/**
 * One reload, as a deployment does it: examples/web.mjs x INSTANCES under baton, steady
 * keep-alive load for WINDOW_S with no reload, then the same WINDOW_S with one reload at
 * RELOAD_AT_S; the same init and the same warm generation 1 until the reload.
 */
async function oneReload(): Promise<void> {
  const web = await startBatonWeb();
  const { init, port, socket } = web;
  let handedOn = false;
  let quiet: WindowFigures;
  let reloaded: WindowFigures;
  let reloadDetail = '';
  try {
    await load(port, 2); // warm-up
    const quietResponses: Responses = [];
    const quietBegan = Date.now();
    const quietSummary = await load(port, WINDOW_S, quietResponses);
    quiet = windowFigures(quietSummary, quietResponses, quietBegan + RELOAD_AT_S * 1000);
    process.stderr.write(`bench: oneReload: ${WINDOW_S} s without a reload done, now ${WINDOW_S} s with one at ${RELOAD_AT_S} s\n`);
    const responses: Responses = [];
    const began = Date.now();
    const summary = await load(
      port,
      async () => {
        await sleep(RELOAD_AT_S * 1000);
        const outcome = await batonReload(socket);
        if (!outcome.committed) throw new Error(`the reload did not commit: ${outcome.detail}`);
        reloadDetail = `committed in ${format(outcome.ms ?? NaN)} ms by the init's count`;
        await sleep(Math.max(0, began + WINDOW_S * 1000 - Date.now()));
      },
      responses,
    );
    const switched = await init.record((record) => /^generation 2 is ready: stopping/.test(record.msg ?? ''), 10_000, 'the switch-over to generation 2');
    reloaded = windowFigures(summary, responses, Number(switched.time));
    if (webHandOver.wanted) {
      webHandOver.web = { ...web, steady: quietSummary };
      handedOn = true;
    }
  } finally {
    if (handedOn) init.saveLog('9-one-reload-baton');
    else await closeBatonWeb(web, '9-one-reload-baton');
  }
  const name = `9. one reload at ${RELOAD_AT_S} s of ${WINDOW_S} s under load`;
  const both = (pick: (figures: WindowFigures) => number, label: string, unit = 'ms'): void => {
    rows.push({ scenario: `${name}: ${label}`, unit, values: { baton: [pick(reloaded)] } });
    rows.push({ scenario: `9. the same ${WINDOW_S} s, no reload: ${label}`, unit, values: { baton: [pick(quiet)] } });
  };
  both((f) => f.failed, 'failed requests', 'requests');
  both((f) => f.p50, 'p50 over the window');
  both((f) => f.p99, 'p99 over the window');
  both((f) => f.p50After, `p50 in the ${AFTER_SWITCH_MS / 1000} s after the switch-over`);
  both((f) => f.p99After, `p99 in the ${AFTER_SWITCH_MS / 1000} s after the switch-over`);
  rows.push({ scenario: '9. p99 over the window with one reload / without', unit: 'x', values: { baton: [reloaded.p99 / quiet.p99] } });
  notes.push(
    `9: baton only, one run: examples/web.mjs x ${INSTANCES} on BATON_WEB_LISTEN, READY=notify; autocannon with ${CONNECTIONS} keep-alive connections, a 2 s warm-up, ` +
      `then ${WINDOW_S} s with no reload, then ${WINDOW_S} s with one \`--reload\` at ${RELOAD_AT_S} s (${reloadDetail}), same init. ` +
      `Percentiles of every response's latency (autocannon's per-response time); "after the switch-over": from the init's \`generation 2 is ready: stopping\` record, and in the run without a reload from the same offset (${RELOAD_AT_S} s). ` +
      `${reloaded.responses} and ${quiet.responses} responses. BENCH_WINDOW_S sets the window.` +
      (handedOn ? " The init then went on to 7's reloads, and the window with no reload is 7's steady run for baton." : ''),
  );
  details['9'] = { reloaded, quiet };
}

interface HeapSummary {
  /** Sum of the self sizes of every node: the heap live after the full GC a snapshot starts with. */
  bytes: number;
  /** The same by node type and name (constructor, closure, string...). */
  byName: Record<string, { bytes: number; count: number }>;
}

/** A V8 heap snapshot, summed; undefined while Node is still writing it (it does not parse yet). */
function heapSummary(file: string): HeapSummary | undefined {
  const text = readFileSync(file, 'utf8');
  if (!text.trimEnd().endsWith('}')) return undefined;
  let snapshot: { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  try {
    snapshot = JSON.parse(text) as typeof snapshot;
  } catch {
    return undefined;
  }
  const fields = snapshot.snapshot.meta.node_fields;
  const [types] = snapshot.snapshot.meta.node_types;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field)) as [number, number, number];
  const summary: HeapSummary = { bytes: 0, byName: {} };
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const size = snapshot.nodes[i + sizeAt] ?? 0;
    const type = types[snapshot.nodes[i + typeAt] ?? 0] ?? '?';
    // Strings are named by their text: one entry for all of them.
    const key = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? `(${type})` : `${type} ${(snapshot.strings[snapshot.nodes[i + nameAt] ?? 0] ?? '?').slice(0, 60)}`;
    const entry = (summary.byName[key] ??= { bytes: 0, count: 0 });
    entry.bytes += size;
    entry.count += 1;
    summary.bytes += size;
  }
  return summary;
}

const MEMORY_RELOADS = 100;
/** Scenario 10 stops reloading after this long, however many reloads ran: the rows say how many. */
const MEMORY_LIMIT_MS = 30_000;
/** Node writes a heap snapshot on this signal (--heapsnapshot-signal): one the init does not forward. */
const SNAPSHOT_SIGNAL = 'SIGSYS';

/**
 * The init's own memory over many reloads. One init: RSS after the first reload and after
 * MEMORY_RELOADS, then a heap snapshot (Node's --heapsnapshot-signal, on the bench's `node`
 * command line only; nothing in the init). A second init: one reload, then a heap snapshot
 * (taken apart, because a snapshot's own allocations would swell the first init's later
 * RSS). Live heap against RSS tells retained state from garbage-collector slack. The
 * service is a shell that notifies ready and sleeps: the init's work per reload is the same
 * as for Node services, at a fraction of the cost.
 */
async function memoryOverReloads(): Promise<void> {
  const service = { COMMAND: JSON.stringify(['sh', '-c', 'echo READY=1 >&"$NOTIFY_PIPE"; exec sleep 1000']), COUNT: String(INSTANCES), READY: 'notify' };
  /** Starts an init, runs `reloads` reloads (RSS of PID 1 1 s after the first and after the last), then takes a heap snapshot. */
  const runInit = async (reloads: number, label: string): Promise<{ rssMiB: number[]; heap: HeapSummary; done: number }> => {
    const dir = tempDir();
    const socket = join(dir, 'control.sock');
    const snapshots = join(dir, 'snapshots');
    mkdirSync(snapshots);
    const init = new Namespace(
      [process.execPath, `--heapsnapshot-signal=${SNAPSHOT_SIGNAL}`, `--diagnostic-dir=${snapshots}`, INIT_JS],
      batonEnv({ SVC: service }, socket, { BATON_RELOAD_PARALLEL: 'all' }),
    );
    try {
      await init.record((record) => record.msg === 'generation 1 is running', 30_000, 'generation 1 to run');
      const pid1 = await init.pid1();
      const rssMiB: number[] = [];
      const began = Date.now();
      let done = 0;
      while (done < reloads && (done === 0 || Date.now() - began < MEMORY_LIMIT_MS)) {
        const outcome = await socketReload(socket);
        done += 1;
        if (!outcome.committed) throw new Error(`reload ${done} did not commit: ${outcome.detail}`);
        if (done === 1) {
          await sleep(1000);
          rssMiB.push(rssKiB(pid1) / 1024);
        }
        if (done % 25 === 0) process.stderr.write(`bench: memoryOverReloads: ${done} of ${reloads} reloads\n`);
      }
      if (done > 1) {
        await sleep(1000);
        rssMiB.push(rssKiB(pid1) / 1024);
      }
      process.kill(pid1, SNAPSHOT_SIGNAL);
      const heap = await until(
        () => {
          const name = readdirSync(snapshots).find((entry) => entry.endsWith('.heapsnapshot'));
          return name === undefined ? undefined : heapSummary(join(snapshots, name));
        },
        60_000,
        `the heap snapshot after ${reloads} reloads`,
      );
      return { rssMiB, heap, done };
    } finally {
      await init.kill();
      init.saveLog(`10-memory-over-reloads-${label}`);
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const many = await runInit(MEMORY_RELOADS, `${MEMORY_RELOADS}-reloads`);
  const one = await runInit(1, '1-reload');
  const [rssFirst = NaN, rssLast = NaN] = many.rssMiB;
  const reloadsDone = many.done;
  const growth = Object.entries(many.heap.byName)
    .map(([name, { bytes, count }]) => ({ name, bytes: bytes - (one.heap.byName[name]?.bytes ?? 0), count: count - (one.heap.byName[name]?.count ?? 0) }))
    .sort((x, y) => y.bytes - x.bytes)
    .slice(0, 8);
  const mib = (bytes: number): number => bytes / 2 ** 20;
  rows.push({ scenario: '10. init RSS after the first reload', unit: 'MiB', values: { baton: [rssFirst] } });
  rows.push({ scenario: `10. init RSS after ${reloadsDone} reloads`, unit: 'MiB', values: { baton: [rssLast] } });
  rows.push({ scenario: `10. init RSS after ${reloadsDone} reloads / after the first`, unit: 'x', values: { baton: [rssLast / rssFirst] } });
  rows.push({ scenario: '10. live JS heap after the first reload (heap snapshot, after a full GC)', unit: 'MiB', values: { baton: [mib(one.heap.bytes)] } });
  rows.push({ scenario: `10. live JS heap after ${reloadsDone} reloads`, unit: 'MiB', values: { baton: [mib(many.heap.bytes)] } });
  notes.push(
    `10: baton only, once: one service, COUNT=${INSTANCES}, READY=notify (a shell that writes READY=1 to its NOTIFY_PIPE, then sleeps), BATON_RELOAD_PARALLEL=all, reloads back to back, each asked on the control socket by the bench (the client \`--reload\` uses, without a Node process per reload): ${MEMORY_RELOADS}, or as many as ran in ${MEMORY_LIMIT_MS / 1000} s. ` +
      `RSS of PID 1 from /proc 1 s after the first and after the ${reloadsDone}th reload; then a heap snapshot (\`node --heapsnapshot-signal=${SNAPSHOT_SIGNAL}\`, a signal baton does not forward; V8 collects garbage before it writes one), ` +
      'and a snapshot of a second init after one reload: the sum of a snapshot\'s objects is what the init still holds. A live heap that stays flat under a growing RSS means collector slack; a growing one, retained state. ' +
      `Largest growth of the live heap, by kind: ${growth.map((entry) => `${entry.name} ${entry.bytes >= 0 ? '+' : ''}${format(entry.bytes / 1024)} KiB (${entry.count >= 0 ? '+' : ''}${entry.count})`).join(', ')}.`,
  );
  details['10'] = { rssMiB: many.rssMiB, liveHeapMiB: { first: mib(one.heap.bytes), last: mib(many.heap.bytes) }, growth, reloads: reloadsDone };
}

/** Total length covered by the [from, to] spans. */
function unionLength(spans: Array<[number, number]>): number {
  let covered = 0;
  let reach = -Infinity;
  for (const [from, to] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (to <= reach) continue;
    covered += to - Math.max(from, reach);
    reach = to;
  }
  return covered;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value >= 0.1 ? value.toFixed(2) : value.toPrecision(2);
}

function table(): string {
  const header = ['scenario', 'unit', 'baton', ...PEERS.flatMap((peer) => [peer, `baton/${peer}`]), 'bare node', 'baton/node'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const own = row.values.baton ?? 'n/a';
    const baton = Array.isArray(own) ? median(own) : NaN;
    const cells = [row.scenario, row.unit, Array.isArray(own) ? format(baton) : own];
    for (const peer of PEERS) {
      const cell = row.values[peer] ?? 'n/a';
      if (!Array.isArray(cell)) cells.push(cell, '–');
      else {
        const value = median(cell);
        cells.push(format(value), value > 0 && Number.isFinite(baton) ? `${format(baton / value)}x` : '–');
      }
    }
    if (row.floor) {
      const floor = median(row.floor);
      cells.push(format(floor), `${format(baton / floor)}x`);
    } else cells.push('–', '–');
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Enough lines for a run of a second or more at 300,000 lines/s; a median of OUTPUT_RUNS resists a busy moment. */
const OUTPUT_LINES = 250_000;
const OUTPUT_RUNS = 3;

/**
 * One service writes OUTPUT_LINES lines of 48 bytes to stdout; the bench reads the init's
 * stdout as fast as it can. Time from the first line out to the last, in each BATON_OUTPUT mode.
 */
async function outputRun(mode: string): Promise<number> {
  const code = `import sys\nw=sys.stdout.buffer.write\nfor i in range(${OUTPUT_LINES}): w(b'%08d ${'x'.repeat(38)}\\n' % i)\nsys.stdout.flush()\nimport time\ntime.sleep(1000)`;
  const dir = tempDir();
  const env = { ...batonEnv({ W: { COMMAND: JSON.stringify(['python3', '-c', code]) } }, join(dir, 'control.sock')), BATON_OUTPUT: mode, BATON_LOG_LEVEL: 'warn' };
  const child = start([...AS_PID1, process.execPath, INIT_JS], env, ['ignore', 'pipe', 'ignore']);
  let lines = 0;
  let first = 0;
  const last = await withTimeout(
    new Promise<number>((resolve) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (first === 0) first = performance.now();
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
        if (lines >= OUTPUT_LINES) resolve(performance.now());
      });
    }),
    120_000,
    `${OUTPUT_LINES} lines through BATON_OUTPUT=${mode}`,
  );
  await stop(child);
  rmSync(dir, { recursive: true, force: true });
  return last - first;
}

async function outputThroughput(): Promise<void> {
  const perMode: Record<string, number[]> = {};
  for (const mode of ['inherit', 'prefix', 'json']) {
    perMode[mode] = await runsOf(OUTPUT_RUNS, () => outputRun(mode));
    rows.push({ scenario: `11. ${OUTPUT_LINES.toLocaleString('en')} lines of 48 bytes, BATON_OUTPUT=${mode}: first to last line`, unit: 'ms', values: { baton: perMode[mode] } });
  }
  const rate = (mode: string): string => `${Math.round(OUTPUT_LINES / (median(perMode[mode] ?? [1]) / 1000)).toLocaleString('en')} lines/s`;
  notes.push(`11: one service (python) writes the lines to stdout as fast as it can; the bench reads the init's stdout at full speed; ${OUTPUT_RUNS} runs of each mode, medians. inherit ${rate('inherit')}, prefix ${rate('prefix')}, json ${rate('json')}. Run it alone: \`npm run bench -- outputThroughput\`.`);
  details.outputLinesPerSecond = Object.fromEntries(Object.entries(perMode).map(([mode, runs]) => [mode, OUTPUT_LINES / (median(runs) / 1000)]));
}

const SAMPLING_INSTANCES = Number(process.env.BENCH_SAMPLING_INSTANCES ?? 64);
const SAMPLING_WINDOW_S = Number(process.env.BENCH_SAMPLING_S ?? 30);
/** The scenarios 12 ran beside (see the run order below), for its note. */
const samplingBeside: string[] = [];

/**
 * What MAX_MEMORY's sampling costs the init: two inits side by side, each as PID 1 of its
 * own namespace with SAMPLING_INSTANCES idle instances (`sleep`), one with
 * BATON_<NAME>_MAX_MEMORY and one without; utime + stime of each PID 1 over the same
 * window, once both have settled. The difference is the sampling (one pass over /proc a
 * second, reading every process's stat), as a share of one CPU.
 */
async function memorySampling(): Promise<void> {
  const service = (limited: boolean): Record<string, string> => ({
    COMMAND: JSON.stringify(['sleep', '100000']),
    COUNT: String(SAMPLING_INSTANCES),
    ...(limited ? { MAX_MEMORY: '1G' } : {}),
  });
  const inits = [true, false].map((limited) => {
    const dir = tempDir();
    return { limited, dir, init: new Namespace([process.execPath, INIT_JS], batonEnv({ SVC: service(limited) }, join(dir, 'control.sock'))) };
  });
  try {
    const pids = await Promise.all(
      inits.map(async ({ init }) => {
        await init.record((record) => record.msg === 'generation 1 is running', 120_000, 'generation 1 to run');
        return init.pid1();
      }),
    );
    await sleep(3 * IDLE_SETTLE_MS);
    const before = pids.map(cpuMs);
    await sleep(SAMPLING_WINDOW_S * 1000);
    const [withLimit = NaN, without = NaN] = pids.map((pid, index) => ((cpuMs(pid) - (before[index] ?? 0)) / (SAMPLING_WINDOW_S * 1000)) * 100);
    rows.push({ scenario: `12. baton, ${SAMPLING_INSTANCES} idle instances with MAX_MEMORY: init CPU`, unit: '%', values: { baton: [withLimit] } });
    rows.push({ scenario: `12. baton, ${SAMPLING_INSTANCES} idle instances without MAX_MEMORY: init CPU`, unit: '%', values: { baton: [without] } });
    rows.push({ scenario: '12. MAX_MEMORY sampling: the difference, share of one CPU', unit: '%', values: { baton: [withLimit - without] } });
    notes.push(
      `12: two baton inits side by side, each PID 1 of its own namespace with one service of ${SAMPLING_INSTANCES} \`sleep\` instances, one with MAX_MEMORY=1G (sampled every second), one without; ` +
        `utime + stime of each PID 1 over the same ${SAMPLING_WINDOW_S} s, from ${(3 * IDLE_SETTLE_MS) / 1000} s after generation 1 was running, in ticks of 10 ms (${((10 / (SAMPLING_WINDOW_S * 1000)) * 100).toFixed(3)}% a tick). ` +
        (samplingBeside.length > 0 ? `It ran beside ${samplingBeside.join(' and ')}, which only idle and read /proc too. ` : '') +
        'BENCH_SAMPLING_INSTANCES and BENCH_SAMPLING_S set the instances and the window. Run it alone: `npm run bench -- memorySampling`.',
    );
    details['12'] = { instances: SAMPLING_INSTANCES, windowS: SAMPLING_WINDOW_S, withLimit, without };
  } finally {
    for (const { init, dir, limited } of inits) {
      await init.kill();
      init.saveLog(`12-memory-sampling-${limited ? 'with' : 'without'}-max-memory`);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

// Interrupted: kill every namespace still running (pm2's daemons live inside theirs).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of LIVE) child.kill('SIGKILL');
    process.exit(130);
  });
}

const SCENARIOS: Record<string, () => Promise<void>> = { idleMemory, idleCpu, startUp, reaping, signalLatency, gracefulStop, reloadUnderLoad, reloadCost, oneReload, memoryOverReloads, outputThroughput, memorySampling };
// `npm run bench -- reaping oneReload`: only those scenarios, in the table's order.
const only = process.argv.slice(2);
const unknown = only.filter((name) => !(name in SCENARIOS));
if (unknown.length > 0) {
  process.stderr.write(`bench: no scenario ${unknown.join(', ')}; the scenarios are: ${Object.keys(SCENARIOS).join(' ')}\n`);
  process.exit(2);
}
const chosen = Object.entries(SCENARIOS).filter(([name]) => only.length === 0 || only.includes(name));
// 9 runs just before 7 when both run, and hands its init on (webHandOver); the table keeps
// the scenarios' order.
const names = chosen.map(([name]) => name);
if (names.includes('oneReload') && names.includes('reloadUnderLoad')) {
  webHandOver.wanted = true;
  const nine = chosen.splice(names.indexOf('oneReload'), 1);
  chosen.splice(names.indexOf('reloadUnderLoad'), 0, ...nine);
}
/** Wall seconds of each scenario that ran: printed in the notes, kept in results.json. */
const elapsedS: Record<string, number> = {};
const loadBefore = loadavg()[0] ?? NaN;
const machineForkMs = forkCost(orphanFactory());
const began = Date.now();
const progress = (name: string, index: number, how = ''): void => {
  process.stderr.write(`bench: ${name} (${index + 1} of ${chosen.length}, ${((Date.now() - began) / 1000).toFixed(0)} s in${how})...\n`);
};
const timed = async (name: string, scenario: () => Promise<void>): Promise<void> => {
  const scenarioBegan = Date.now();
  await scenario();
  elapsedS[name] = (Date.now() - scenarioBegan) / 1000;
  process.stderr.write(`bench: ${name} took ${elapsedS[name].toFixed(1)} s\n`);
};
// 12 idles through its window beside 1 and 2, which only idle and read /proc too: each
// reads the CPU time or RSS of its own processes, which the others' do not change, and
// 12's window costs no wall time of its own.
const besideIdle = ['idleMemory', 'idleCpu'].filter((name) => chosen.some(([chosenName]) => chosenName === name));
const sampling = chosen.findIndex(([name]) => name === 'memorySampling');
let background: Promise<{ error: unknown } | undefined> | undefined;
try {
  for (const [index, [name, scenario]] of chosen.entries()) {
    if (index === sampling && background) continue;
    if (sampling !== -1 && !background && besideIdle[0] === name) {
      samplingBeside.push(...besideIdle);
      progress('memorySampling', sampling, `, beside ${besideIdle.join(' and ')}`);
      // Awaited at the end of the last idle scenario; an error is kept until then.
      background = timed('memorySampling', memorySampling).then(
        () => undefined,
        (error: unknown) => ({ error }),
      );
    }
    progress(name, index);
    await timed(name, scenario);
    if (background && name === besideIdle.at(-1)) {
      const failed = await background;
      if (failed) throw failed.error;
    }
  }
} finally {
  // A scenario that failed may have left a namespace running: none outlives the bench.
  for (const child of LIVE) child.kill('SIGKILL');
}
const totalS = (Date.now() - began) / 1000;
const loadLine = `load average ${loadBefore.toFixed(1)} when it began, ${(loadavg()[0] ?? NaN).toFixed(1)} when it ended`;
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.versions.node}, a fork costing ${format(machineForkMs)} ms before the scenarios (bench/fixtures/orphans.c --fork-rate), ${RUNS} runs each unless said otherwise, ${loadLine}, ${totalS.toFixed(0)} s in all`;
/** Rows and notes by scenario number (9 may have run before 7), in their order within one. */
const scenarioNumber = (text: string): number => Number(/^(\d+)[.:]/.exec(text)?.[1] ?? Infinity);
rows.sort((a, b) => scenarioNumber(a.scenario) - scenarioNumber(b.scenario));
notes.sort((a, b) => scenarioNumber(a) - scenarioNumber(b));
notes.unshift(
  'Cells: `missing` = the peer is not installed here; `n/a` = the scenario does not apply to it. pm2 (pm2-runtime, or pm2 cluster mode) runs Node apps, not `init -- COMMAND`: n/a in 1–5.',
);
notes.push(`Seconds each scenario took: ${Object.entries(elapsedS).map(([name, seconds]) => `${name} ${seconds.toFixed(0)}`).join(', ')} (the build before them not counted).`);
const output = `${table()}\n\nMachine: ${machine}. Medians; lower is better in every row.\n\n${notes.map((note) => `- ${note}`).join('\n')}\n\nInit logs of the last run of 6–10: ${LOG_DIR}\n`;
process.stdout.write(output);
// A subset is a look at a few rows: results.json keeps the last full run.
if (only.length > 0) process.stderr.write('bench: a subset ran: bench/results.json is left as it was\n');
else writeFileSync(`${ROOT}bench/results.json`, `${JSON.stringify({ date: new Date().toISOString(), machine, runs: RUNS, elapsedS, totalS, rows, notes, details }, null, 2)}\n`);
process.stderr.write(`bench: ${chosen.length} scenario${chosen.length === 1 ? '' : 's'} in ${totalS.toFixed(0)} s (${loadLine})\n`);
