// npm run bench: each scenario against baton and the peers installed here, several
// times; prints one markdown table of medians with baton's ratio to each peer, and
// writes the raw numbers to bench/results.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { AS_PID1, INITS, ROOT, type Init } from './peers.ts';
import { cpuMs, firstChild, median, percentile, rssKiB, sleep, start, stop, timeRun } from './measure.ts';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const QUIET = { ...process.env, TINI_VERBOSITY: '0' };

interface Row {
  scenario: string;
  unit: string;
  /** Lower is better for every row here. */
  values: Record<string, number[] | undefined>;
  floor?: number[];
}

const rows: Row[] = [];

function runsOf<T>(count: number, fn: (run: number) => Promise<T>): Promise<T[]> {
  return (async () => {
    const out: T[] = [];
    for (let run = 0; run < count; run++) out.push(await fn(run));
    return out;
  })();
}

async function eachInit(fn: (init: Init, argv: (command: string[]) => string[]) => Promise<number[]>): Promise<Record<string, number[] | undefined>> {
  const values: Record<string, number[] | undefined> = {};
  for (const init of INITS) values[init.name] = init.argv ? await fn(init, init.argv) : undefined;
  return values;
}

/** Starts `argv` as PID 1 of a new namespace and resolves with the host pid of that PID 1 once its child runs. */
async function startAsPid1(argv: string[]): Promise<{ pid1: number; stopAll: () => Promise<void> }> {
  const outer = start([...AS_PID1, ...argv], QUIET);
  const pid1 = await firstChild(outer.pid ?? -1);
  await firstChild(pid1);
  return { pid1, stopAll: () => stop(outer) };
}

async function idleMemory(): Promise<void> {
  const measure = async (argv: string[]): Promise<number> => {
    const { pid1, stopAll } = await startAsPid1(argv);
    await sleep(1000); // let start-up garbage be collected before reading RSS
    const kib = rssKiB(pid1);
    await stopAll();
    return kib / 1024;
  };
  const values = await eachInit((_init, argv) => runsOf(RUNS, () => measure(argv(['sleep', '1000']))));
  const floor = await runsOf(RUNS, async () => {
    const child = start([process.execPath, '-e', 'setInterval(()=>{},1e3)']);
    await sleep(1000);
    const kib = rssKiB(child.pid ?? -1);
    await stop(child);
    return kib / 1024;
  });
  rows.push({ scenario: '1. idle memory (RSS, one `sleep` child)', unit: 'MiB', values, floor });
}

async function idleCpu(): Promise<void> {
  // All inits idle side by side for the same 10 s: they do not disturb one another.
  const started = await Promise.all(INITS.filter((init) => init.argv).map(async (init) => ({ init, ...(await startAsPid1(init.argv?.(['sleep', '1000']) ?? [])) })));
  const before = started.map(({ pid1 }) => cpuMs(pid1));
  await sleep(10_000);
  const values: Record<string, number[] | undefined> = Object.fromEntries(INITS.map((init) => [init.name, undefined]));
  started.forEach(({ init, pid1 }, index) => {
    values[init.name] = [((cpuMs(pid1) - (before[index] ?? 0)) / 10_000) * 100];
  });
  await Promise.all(started.map(({ stopAll }) => stopAll()));
  rows.push({ scenario: '2. idle CPU over 10 s', unit: '%', values });
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
}

async function reaping(): Promise<void> {
  const factory = `${ROOT}.cache/orphans`;
  mkdirSync(`${ROOT}.cache`, { recursive: true });
  execFileSync('cc', ['-O2', '-o', factory, `${ROOT}bench/fixtures/orphans.c`]);
  const clear: Record<string, number[] | undefined> = {};
  const peak: Record<string, number[] | undefined> = {};
  for (const init of INITS) {
    if (!init.argv) {
      clear[init.name] = peak[init.name] = undefined;
      continue;
    }
    const results = await runsOf(RUNS, async () => {
      const child = start([...AS_PID1, ...init.argv!([factory, '10000'])], QUIET);
      const lines = createInterface({ input: child.stdout! });
      const [line] = (await once(lines, 'line')) as [string];
      await stop(child);
      return JSON.parse(line) as { peak: number; clear_ms: number; left: number };
    });
    clear[init.name] = results.map((r) => (r.left > 0 ? Infinity : r.clear_ms));
    peak[init.name] = results.map((r) => r.peak);
  }
  rows.push({ scenario: '4. reaping 10,000 orphans: last exit to no zombie', unit: 'ms', values: clear });
  rows.push({ scenario: '4. reaping 10,000 orphans: peak zombies', unit: 'zombies', values: peak });
}

async function signalLatency(): Promise<void> {
  const SIGNALS = 300;
  const med: Record<string, number[] | undefined> = {};
  const p99: Record<string, number[] | undefined> = {};
  for (const init of INITS) {
    if (!init.argv) {
      med[init.name] = p99[init.name] = undefined;
      continue;
    }
    const child = start([...AS_PID1, ...init.argv(['python3', `${ROOT}bench/fixtures/signal-echo.py`])], QUIET);
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    await lines.next(); // ready
    const pid1 = await firstChild(child.pid ?? -1);
    const latencies: number[] = [];
    for (let i = 0; i < SIGNALS; i++) {
      const sent = process.hrtime.bigint();
      process.kill(pid1, 'SIGUSR1');
      const { value } = await lines.next();
      latencies.push(Number(BigInt(String(value)) - sent) / 1e6);
    }
    await stop(child);
    med[init.name] = [median(latencies)];
    p99[init.name] = [percentile(latencies, 99)];
  }
  rows.push({ scenario: `5. signal forwarding, median of ${SIGNALS}`, unit: 'ms', values: med });
  rows.push({ scenario: `5. signal forwarding, p99 of ${SIGNALS}`, unit: 'ms', values: p99 });
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value >= 0.1 ? value.toFixed(2) : value.toPrecision(2);
}

function table(): string {
  const peers = INITS.filter((init) => init.name !== 'baton').map((init) => init.name);
  const header = ['scenario', 'unit', 'baton', ...peers.flatMap((peer) => [peer, `baton/${peer}`]), 'bare node', 'baton/node'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const baton = median(row.values.baton ?? []);
    const cells = [row.scenario, row.unit, format(baton)];
    for (const peer of peers) {
      const values = row.values[peer];
      if (!values) cells.push('missing', '–');
      else {
        const value = median(values);
        cells.push(format(value), value > 0 ? `${format(baton / value)}x` : '–');
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

const SCENARIOS: Record<string, () => Promise<void>> = { idleMemory, idleCpu, startUp, reaping, signalLatency };
const only = process.argv.slice(2);
const began = Date.now();
for (const [name, scenario] of Object.entries(SCENARIOS)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  await scenario();
}
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.versions.node}, ${RUNS} runs each, ${((Date.now() - began) / 1000).toFixed(0)} s in all`;
const output = `${table()}\n\nMachine: ${machine}. Medians; lower is better in every row.\n`;
process.stdout.write(output);
writeFileSync(`${ROOT}bench/results.json`, `${JSON.stringify({ date: new Date().toISOString(), machine, runs: RUNS, rows }, null, 2)}\n`);
