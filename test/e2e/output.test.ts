// BATON_OUTPUT=prefix and json against real readers: one that stalls, one that goes
// away, one that is slow, and children that write too much, too long or not UTF-8.
// The init runs as a plain process (a subreaper) so that its RSS is its own.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INIT, runInit } from '../helpers/init-process.ts';
import { cleanBase } from '../helpers/supervisor.ts';

const MiB = 1024 * 1024;
const RSS_LIMIT = 100 * MiB;

interface RawInit {
  /** unshare, whose exit is the init's. */
  child: ChildProcess;
  /** The init's pid as seen from here (PID 1 inside its namespace). */
  pid(): number;
  /** Signals the init itself. */
  kill(signal: NodeJS.Signals): void;
  controlSocket: string;
  /** stderr so far, as bytes. */
  stderr(): Buffer;
  records(): Array<Record<string, unknown>>;
  /** Resolves once `condition` holds, re-checked at each write on stderr; rejects if the init exits first. */
  until(condition: () => boolean, what: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  query(...args: string[]): ReturnType<typeof runInit>;
}

const running = new Set<ChildProcess>();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts the init in supervisor mode; its stdout is left to the test, unread until it says. */
function startRaw(env: Record<string, string>): RawInit {
  const dir = mkdtempSync(join(tmpdir(), 'baton-output-'));
  const controlSocket = join(dir, 'control.sock');
  // In a PID namespace of its own, so that killing a leftover (unshare) takes its services down too.
  const child = spawn('unshare', ['--fork', '--pid', '--mount-proc', '--kill-child', process.execPath, INIT], {
    env: { ...cleanBase(), BATON_CONTROL_SOCKET: controlSocket, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const chunks: Buffer[] = [];
  const waiters: Array<() => void> = [];
  let gone = false;
  child.stderr?.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = once(child, 'exit').then(([code, signal]) => {
    gone = true;
    running.delete(child);
    for (const wake of waiters.splice(0)) wake();
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  const stderr = (): Buffer => Buffer.concat(chunks);
  const records = (): Array<Record<string, unknown>> =>
    stderr()
      .toString('utf8')
      .split('\n')
      .filter((line) => line.startsWith('{"level"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const pid = (): number => {
    const outer = child.pid ?? -1;
    const [inner] = readFileSync(`/proc/${outer}/task/${outer}/children`, 'utf8').trim().split(' ');
    if (!inner) throw new Error('unshare has no child yet');
    return Number(inner);
  };
  return {
    child,
    pid,
    kill: (signal) => process.kill(pid(), signal),
    controlSocket,
    stderr,
    records,
    exited,
    async until(condition, what) {
      for (;;) {
        if (condition()) return;
        if (gone) throw new Error(`init exited before ${what}; stderr:\n${stderr().toString().slice(-4000)}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    query: (...args) => runInit(args, { pidNamespace: false, env: { ...cleanBase(), BATON_CONTROL_SOCKET: controlSocket }, cleanEnv: true }),
  };
}

function rss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

/** Samples the RSS of `pid` every 100 ms until stopped; returns the peak. */
function sampleRss(pid: number): { stop(): number } {
  let peak = rss(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rss(pid));
    } catch {
      // gone: the test says why
    }
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const python = (code: string): string => JSON.stringify(['python3', '-c', code]);
const running1 = (init: RawInit): Promise<void> => init.until(() => init.records().some((r) => /generation 1 is running/.test(String(r.msg))), 'generation 1 running');

// The stall lasts as long as issue 11 asks: a minute, most of it with the init and its
// child both blocked, so it costs the machine little but time.
const STALL_WINDOW_MS = 60_000;

test('a stalled reader for 60 s while a child writes 300 MB: the init stays under 100 MB, and exits 0 on SIGTERM once the reader resumes', { timeout: 180_000 }, async (t) => {
  const writer = python("import sys,time\nline=b'x'*1023+b'\\n'\nw=sys.stdout.buffer.write\nfor _ in range(300000): w(line)\nsys.stdout.flush()\ntime.sleep(1000)");
  const init = startRaw({ BATON_W_COMMAND: writer, BATON_OUTPUT: 'prefix' });
  await within(20_000, 'generation 1 running', running1(init));
  const sampler = sampleRss(init.pid());
  await new Promise((resolve) => setTimeout(resolve, STALL_WINDOW_MS)); // the stall itself is what is tested: it lasts a while
  const peak = sampler.stop();
  t.diagnostic(`RSS peak during the stall: ${(peak / MiB).toFixed(1)} MiB (${process.version})`);
  assert.ok(peak < RSS_LIMIT, `RSS peaked at ${(peak / MiB).toFixed(0)} MiB during the stall`);
  assert.equal(init.child.exitCode, null, 'still running');
  init.kill('SIGTERM');
  init.child.stdout?.resume();
  const exit = await within(20_000, 'exit after SIGTERM with the reader resumed', init.exited);
  assert.deepEqual(exit, { code: 0, signal: null });
});

test('a reader that never resumes: once every child is gone the init waits BATON_STOP_TIMEOUT for its output, then exits 0', { timeout: 60_000 }, async () => {
  const writer = python("import sys,time\nline=b'y'*1023+b'\\n'\nw=sys.stdout.buffer.write\nfor _ in range(300000): w(line)\nsys.stdout.flush()\ntime.sleep(1000)");
  const init = startRaw({ BATON_W_COMMAND: writer, BATON_OUTPUT: 'prefix', BATON_STOP_TIMEOUT: '1s' });
  await within(20_000, 'generation 1 running', running1(init));
  const stalled = async (): Promise<void> => {
    for (;;) {
      const status = JSON.parse((await init.query('--status', '--json')).stdout) as { output: { stdout: { pendingBytes: number } } };
      if (status.output.stdout.pendingBytes > 0) return;
    }
  };
  await within(20_000, 'output waiting for the stalled reader (--status)', stalled());
  init.kill('SIGTERM');
  const exit = await within(20_000, 'exit after SIGTERM with the reader stalled', init.exited);
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.ok(init.records().some((r) => /output not written out 1000 ms after the last child exited/.test(String(r.msg))), 'the stall is reported');
});

test('a 1 GiB line without a newline goes through in 64 KiB pieces marked as continued, the init under 100 MB', { timeout: 240_000 }, async (t) => {
  const LINE = 1024 * MiB;
  const writer = python(`import sys,time\nc=b'x'*${MiB}\nfor _ in range(${LINE / MiB}): sys.stdout.buffer.write(c)\nsys.stdout.flush()\ntime.sleep(1000)`);
  const init = startRaw({ BATON_W_COMMAND: writer, BATON_OUTPUT: 'prefix' });
  await within(20_000, 'generation 1 running', running1(init));
  const sampler = sampleRss(init.pid());
  let payload = 0;
  let lines = 0;
  let longest = 0;
  let current = 0;
  let first = '';
  const done = new Promise<void>((resolve) => {
    init.child.stdout?.on('data', (chunk: Buffer) => {
      if (first.length < 6) first += chunk.subarray(0, 6).toString();
      for (let start = 0; ; ) {
        const newline = chunk.indexOf(0x0a, start);
        const end = newline === -1 ? chunk.length : newline;
        current += end - start;
        if (newline === -1) break;
        lines++;
        payload += current - 'w.1 + '.length;
        longest = Math.max(longest, current);
        current = 0;
        start = newline + 1;
      }
      if (payload >= LINE) resolve();
    });
  });
  await within(180_000, `${LINE} bytes of the line on stdout`, done);
  const peak = sampler.stop();
  t.diagnostic(`RSS peak: ${(peak / MiB).toFixed(1)} MiB (${process.version})`);
  assert.equal(first, 'w.1 + ');
  assert.equal(payload, LINE);
  assert.equal(lines, LINE / (64 * 1024));
  assert.equal(longest, 64 * 1024 + 'w.1 + '.length);
  assert.ok(peak < RSS_LIMIT, `RSS peaked at ${(peak / MiB).toFixed(0)} MiB`);
  init.kill('SIGTERM');
  assert.equal((await within(20_000, 'exit after SIGTERM', init.exited)).code, 0);
});

test('closing the reader of stdout leaves the init running and healthy; the drop is said on stderr and counted in --status', { timeout: 60_000 }, async () => {
  const init = startRaw({ BATON_T_COMMAND: JSON.stringify(['sh', '-c', 'while :; do echo tick; sleep 0.05; done']), BATON_OUTPUT: 'prefix' });
  const stdout = init.child.stdout;
  assert.ok(stdout);
  await within(20_000, 'a first line on stdout', once(stdout, 'data'));
  stdout.destroy();
  await within(20_000, 'the record of the failed stdout', init.until(() => init.records().some((r) => r.stream === 'stdout' && r.reason === 'EPIPE'), 'a record of EPIPE on stdout'));
  const health = await within(20_000, '--health', init.query('--health'));
  assert.equal(health.code, 0, health.stderr);
  const status = await within(20_000, '--status', init.query('--status'));
  assert.match(status.stdout, /output: stdout failed \(EPIPE\), \d+ lines \(\d+ bytes\) dropped; stderr ok/);
  assert.equal(init.child.exitCode, null, 'the init is still running');
  init.kill('SIGTERM');
  assert.equal((await within(20_000, 'exit after SIGTERM', init.exited)).code, 0);
  assert.ok(init.records().some((r) => r.stream === 'stdout' && Number(r.droppedLines) > 0), 'the drop is reported at exit');
});

test('closing the reader of stderr leaves the init running; the failure is said once on stdout', { timeout: 60_000 }, async () => {
  const init = startRaw({ BATON_T_COMMAND: JSON.stringify(['sh', '-c', 'while :; do echo tock >&2; sleep 0.05; done']), BATON_OUTPUT: 'json' });
  await within(20_000, 'generation 1 running', running1(init));
  init.child.stderr?.destroy();
  const stdout: Buffer[] = [];
  init.child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  const notice = (): boolean => Buffer.concat(stdout).toString().includes('"msg":"cannot write to stderr (EPIPE)');
  const health = await within(20_000, '--health', init.query('--health'));
  assert.equal(health.code, 0, health.stderr);
  const seen = async (): Promise<void> => {
    for (;;) {
      const status = await init.query('--status');
      if (/stderr failed \(EPIPE\)/.test(status.stdout) && notice()) return;
    }
  };
  await within(20_000, 'stderr failed (EPIPE) in --status and the notice on stdout', seen());
  assert.equal(init.child.exitCode, null, 'the init is still running');
  init.kill('SIGTERM');
  assert.equal((await within(20_000, 'exit after SIGTERM', init.exited)).code, 0);
  assert.equal(Buffer.concat(stdout).toString().split('cannot write to stderr').length - 1, 1, 'said once');
});

test('1,000,000 lines from two services through a slow reader arrive whole and in order, the init\'s records only between lines', { timeout: 90_000 }, async () => {
  const PER_SERVICE = 500_000;
  const writer = (tag: string): string =>
    python(`import sys,time\nw=sys.stderr.buffer.write\nfor i in range(${PER_SERVICE}): w(b'${tag} %06d ${'x'.repeat(30)}\\n' % i)\nsys.stderr.flush()\ntime.sleep(1000)`);
  // A service that sends STATUS every 5 ms keeps the init writing records of its own all along.
  const ticker = python(
    "import os,socket,time\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\np=os.environ['NOTIFY_SOCKET']\ns.sendto(b'READY=1',p)\ni=0\nwhile True:\n  i+=1\n  s.sendto(b'STATUS=tick %d' % i,p)\n  time.sleep(0.005)",
  );
  const init = startRaw({ BATON_A_COMMAND: writer('a'), BATON_B_COMMAND: writer('b'), BATON_S_COMMAND: ticker, BATON_S_READY: 'notify', BATON_OUTPUT: 'prefix' });
  init.child.stdout?.resume();
  // The slow reader: the test's own stderr pipe, read a chunk at a time with a pause after each.
  const stream = init.child.stderr;
  assert.ok(stream);
  stream.removeAllListeners('data');
  const chunks: Buffer[] = [];
  const last = new Set<string>();
  const reading = (async () => {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      const text = (chunk as Buffer).toString('latin1');
      for (const tag of ['a', 'b']) if (text.includes(`${tag} ${String(PER_SERVICE - 1).padStart(6, '0')} `)) last.add(tag);
      if (last.size === 2) return;
      await new Promise((resolve) => setTimeout(resolve, 10)); // the slowness is what is tested
    }
  })();
  await within(60_000, 'the last line of both services', reading);
  init.kill('SIGTERM');
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await within(20_000, 'exit after SIGTERM', init.exited);
  const lines = Buffer.concat(chunks).toString('latin1').split('\n');
  const next = { a: 0, b: 0 };
  let records = 0;
  let recordsDuringFlood = 0;
  const shape = new RegExp(`^(a|b)\\.1 \\| (a|b) (\\d{6}) x{30}$`);
  for (const line of lines) {
    if (line === '') continue;
    if (line.startsWith('{"level"')) {
      JSON.parse(line); // a record cut or joined with a line would not parse
      records++;
      if (next.a > 0 && next.a < PER_SERVICE) recordsDuringFlood++;
      continue;
    }
    const match = shape.exec(line);
    assert.ok(match, `a line that is neither a whole child line nor a whole record: ${JSON.stringify(line.slice(0, 200))}`);
    const tag = match[1] as 'a' | 'b';
    assert.equal(match[2], tag, `a line under the wrong tag: ${line}`);
    assert.equal(Number(match[3]), next[tag], `line ${next[tag]} of ${tag} is missing or out of order`);
    next[tag]++;
  }
  assert.deepEqual(next, { a: PER_SERVICE, b: PER_SERVICE });
  assert.ok(recordsDuringFlood > 0, `records of the init's own came during the flood (${records} in all)`);
});

test('invalid UTF-8 survives: unchanged in prefix mode, as line_base64 in json mode', { timeout: 60_000 }, async () => {
  const command = JSON.stringify(['sh', '-c', "printf '\\377\\376bin\\n{\"n\": 12345678901234567890}\\n'; exec sleep 1000"]);
  const read = async (mode: string): Promise<Buffer> => {
    const init = startRaw({ BATON_U_COMMAND: command, BATON_OUTPUT: mode });
    const out: Buffer[] = [];
    const both = new Promise<void>((resolve) => {
      init.child.stdout?.on('data', (chunk: Buffer) => {
        out.push(chunk);
        if (Buffer.concat(out).toString().includes('123456')) resolve();
      });
    });
    await within(20_000, `both lines in ${mode} mode`, both);
    init.kill('SIGTERM');
    await within(20_000, 'exit after SIGTERM', init.exited);
    return Buffer.concat(out);
  };
  const prefix = await read('prefix');
  assert.deepEqual(prefix, Buffer.concat([Buffer.from('u.1 | '), Buffer.from([0xff, 0xfe]), Buffer.from('bin\nu.1 | {"n": 12345678901234567890}\n')]));
  const json = (await read('json')).toString('utf8');
  const [first, second] = json.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(Buffer.from(String(first?.line_base64), 'base64'), Buffer.from([0xff, 0xfe, 0x62, 0x69, 0x6e]));
  assert.equal(first?.line, undefined);
  assert.equal(typeof second?.json, 'object', 'a JSON line is embedded as an object');
  assert.ok(json.includes('"json":{"n": 12345678901234567890}}'), 'as written: a number beyond double precision keeps its digits');
});

test('100,000 STATUS datagrams give a bounded number of log records, every one accounted for, and --status shows the last', { timeout: 90_000 }, async () => {
  const COUNT = 100_000;
  const sender = python(
    `import os,socket,time\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\np=os.environ['NOTIFY_SOCKET']\ns.sendto(b'READY=1',p)\nfor i in range(${COUNT}): s.sendto(b'STATUS=step %d' % i,p)\ns.sendto(b'STATUS=done',p)\ntime.sleep(1000)`,
  );
  const init = startRaw({ BATON_N_COMMAND: sender, BATON_N_READY: 'notify' });
  init.child.stdout?.resume();
  const statuses = (): Array<Record<string, unknown>> => init.records().filter((r) => typeof r.status === 'string');
  await within(60_000, 'the record of STATUS=done', init.until(() => statuses().some((r) => r.status === 'done'), 'STATUS=done logged'));
  const logged = statuses();
  const suppressed = logged.reduce((sum, r) => sum + Number(r.suppressed ?? 0), 0);
  assert.ok(logged.length < 1000, `${logged.length} status records for ${COUNT + 1} messages`);
  assert.equal(logged.length + suppressed, COUNT + 1, 'every message is logged or counted as never logged');
  const status = await within(20_000, '--status', init.query('--status'));
  assert.match(status.stdout, /n\.1 .* done\n/);
  init.kill('SIGTERM');
  await within(20_000, 'exit after SIGTERM', init.exited);
});
