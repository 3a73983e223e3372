// The command line: every flag, where the COMMAND starts, and each usage error in baton's words.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseInvocation, type InitFlags, type Invocation } from '../../../src/cli/args.ts';

const parse = (args: string[], env: NodeJS.ProcessEnv = {}): Invocation => parseInvocation(args, env);

/** The flags of a single-command invocation of `args` followed by `true`. */
function flagsOf(args: string[], env: NodeJS.ProcessEnv = {}): InitFlags {
  const invocation = parse([...args, 'true'], env);
  assert.equal(invocation.kind, 'single-command', JSON.stringify(invocation));
  return (invocation as Extract<Invocation, { kind: 'single-command' }>).flags;
}

function usageError(args: string[]): string | undefined {
  const invocation = parse(args);
  assert.equal(invocation.kind, 'usage-error', `${JSON.stringify(args)} gave ${JSON.stringify(invocation)}`);
  return (invocation as Extract<Invocation, { kind: 'usage-error' }>).message;
}

const DEFAULTS: InitFlags = { subreaper: false, verbosity: 1, warnOnReap: false, killProcessGroup: false, remapToZero: new Set() };

describe('every flag', () => {
  test('no flag: the defaults', () => {
    assert.deepEqual(flagsOf([]), DEFAULTS);
  });

  for (const [args, expected] of [
    [['-s'], { subreaper: true }],
    [['--subreaper'], { subreaper: true }],
    [['-p', 'SIGKILL'], { parentDeathSignal: 'SIGKILL' }],
    [['-p', 'TERM'], { parentDeathSignal: 'SIGTERM' }],
    [['-p', '9'], { parentDeathSignal: 'SIGKILL' }],
    [['-pSIGUSR1'], { parentDeathSignal: 'SIGUSR1' }],
    [['--parent-death-signal=SIGHUP'], { parentDeathSignal: 'SIGHUP' }],
    [['-v'], { verbosity: 2 }],
    [['-vvv'], { verbosity: 4 }],
    [['-v', '--verbose'], { verbosity: 3 }],
    [['-w'], { warnOnReap: true }],
    [['--warn'], { warnOnReap: true }],
    [['-g'], { killProcessGroup: true }],
    [['--group'], { killProcessGroup: true }],
    [['-e', '3', '-e143', '--remap-exit=0', '--remap-exit', '255'], { remapToZero: new Set([3, 143, 0, 255]) }],
    [['-swg'], { subreaper: true, warnOnReap: true, killProcessGroup: true }],
  ] as Array<[string[], Partial<InitFlags>]>) {
    test(`${args.join(' ')}`, () => {
      assert.deepEqual(flagsOf(args), { ...DEFAULTS, ...expected });
    });
  }

  test('the TINI_* variables: TINI_SUBREAPER and TINI_KILL_PROCESS_GROUP when set (to anything), TINI_VERBOSITY over -v', () => {
    assert.deepEqual(flagsOf([], { TINI_SUBREAPER: '', TINI_KILL_PROCESS_GROUP: '0', TINI_VERBOSITY: '3' }), { ...DEFAULTS, subreaper: true, killProcessGroup: true, verbosity: 3 });
    assert.equal(flagsOf(['-vv'], { TINI_VERBOSITY: '0' }).verbosity, 0);
    assert.equal(flagsOf(['-v'], { TINI_VERBOSITY: 'loud' }).verbosity, 0, 'atoi reads a word as 0');
  });

  test('-h, --help, --version, -l, --license answer at once', () => {
    assert.deepEqual(parse(['-h']), { kind: 'help' });
    assert.deepEqual(parse(['--help']), { kind: 'help' });
    assert.deepEqual(parse(['--version']), { kind: 'version' });
    assert.deepEqual(parse(['-l']), { kind: 'license' });
    assert.deepEqual(parse(['--license', 'true']), { kind: 'license' });
  });

  test('the queries, alone or with --json where it goes', () => {
    assert.deepEqual(parse(['--check']), { kind: 'check' });
    assert.deepEqual(parse(['--status']), { kind: 'status', json: false });
    assert.deepEqual(parse(['--status', '--json']), { kind: 'status', json: true });
    assert.deepEqual(parse(['--json', '--reload']), { kind: 'reload', json: true, services: [] });
    assert.deepEqual(parse(['--reload']), { kind: 'reload', json: false, services: [] });
    assert.deepEqual(parse(['--health']), { kind: 'health' });
    assert.deepEqual(parse(['--live']), { kind: 'live' });
  });

  test('neither COMMAND nor --: supervisor mode, with -p and -w', () => {
    assert.deepEqual(parse(['-p', 'SIGTERM', '-w']), { kind: 'supervisor', flags: { ...DEFAULTS, parentDeathSignal: 'SIGTERM', warnOnReap: true } });
  });
});

describe('where the COMMAND starts', () => {
  test('at the first word that is not an option: what follows is the command\'s, options included', () => {
    assert.deepEqual(parse(['-s', 'sh', '-c', 'exit 3', '-x', '--help']), { kind: 'single-command', flags: { ...DEFAULTS, subreaper: true }, command: ['sh', '-c', 'exit 3', '-x', '--help'] });
  });

  test('after --, which is not part of the command; a second -- is', () => {
    assert.deepEqual(parse(['--', '-x', '--', 'y']), { kind: 'single-command', flags: DEFAULTS, command: ['-x', '--', 'y'] });
  });

  test('an option\'s value is not the command', () => {
    assert.deepEqual(parse(['-e', '3', 'true']), { kind: 'single-command', flags: { ...DEFAULTS, remapToZero: new Set([3]) }, command: ['true'] });
  });

  test('with no option before it, at the first word or after --, as parseArgs reads the same words after an option', () => {
    // Start-up reads these without parseArgs; with -s before them parseArgs reads them.
    for (const words of [['--', '-x', '--', 'y'], ['sh', '-c', 'exit 3', '--help'], ['true'], ['--', '--'], ['', 'x'], ['sh', '--', '-v']]) {
      const withoutOption = parse(words);
      const withOption = parse(['-s', ...words]);
      assert.equal(withoutOption.kind, 'single-command', JSON.stringify(words));
      assert.deepEqual(withoutOption, { ...withOption, flags: DEFAULTS }, JSON.stringify(words));
    }
    assert.deepEqual(parse(['--', 'true'], { TINI_SUBREAPER: '1', TINI_VERBOSITY: '3' }), { kind: 'single-command', flags: { ...DEFAULTS, subreaper: true, verbosity: 3 }, command: ['true'] });
  });

  test('-- with no COMMAND is a usage error, as in tini; supervisor mode is the one without --', () => {
    assert.equal(usageError(['--']), '-- must be followed by a COMMAND (leave out -- for supervisor mode)');
    assert.equal(usageError(['-s', '--']), '-- must be followed by a COMMAND (leave out -- for supervisor mode)');
  });
});

describe('usage errors, in baton\'s words', () => {
  test('an unknown flag, short, long, in a group or with a value, named as typed', () => {
    assert.equal(usageError(['-x', 'true']), 'unknown option -x');
    assert.equal(usageError(['--nope']), 'unknown option --nope');
    assert.equal(usageError(['-sx', 'true']), 'unknown option -x');
    assert.equal(usageError(['--nope=1', 'true']), 'unknown option --nope');
  });

  test('a missing value', () => {
    assert.equal(usageError(['-e']), 'option -e needs a value');
    assert.equal(usageError(['--parent-death-signal']), 'option --parent-death-signal needs a value');
  });

  test('a value given to a flag that takes none', () => {
    assert.equal(usageError(['--subreaper=yes', 'true']), 'option --subreaper takes no value');
    assert.equal(usageError(['--help=1']), 'option --help takes no value');
  });

  test('a bad value, including one that looks like an option (strict mode refuses those itself)', () => {
    assert.equal(usageError(['-e', '256', 'true']), 'not a valid exit code for -e: 256 (0 to 255)');
    assert.equal(usageError(['-e', '1.5', 'true']), 'not a valid exit code for -e: 1.5 (0 to 255)');
    assert.equal(usageError(['-e', '-1', 'true']), 'not a valid exit code for -e: -1 (0 to 255)');
    assert.equal(usageError(['-p', 'SIGNOPE', 'true']), 'not a valid signal for -p: SIGNOPE');
    assert.equal(usageError(['-p', '-x', 'true']), 'not a valid signal for -p: -x');
    assert.equal(usageError(['-p', '--', 'true']), 'not a valid signal for -p: --');
  });

  test('a flag of the other mode', () => {
    assert.equal(usageError(['-g']), '-g needs a COMMAND (it has no meaning in supervisor mode)');
    assert.equal(usageError(['-e', '3']), '-e needs a COMMAND (it has no meaning in supervisor mode)');
    assert.equal(usageError(['--status', 'true']), '--status takes no COMMAND');
  });

  test('conflicting queries, and --json without a query that has JSON', () => {
    assert.equal(usageError(['--status', '--health']), '--status and --health cannot be combined');
    assert.equal(usageError(['--reload', '--check', '--json']), '--reload and --check cannot be combined');
    assert.equal(usageError(['--json']), '--json goes with --status or --reload');
    assert.equal(usageError(['--health', '--json']), '--json goes with --status or --reload');
    assert.equal(usageError(['--live', '--json']), '--json goes with --status or --reload');
    assert.equal(usageError(['--health', '--live']), '--health and --live cannot be combined');
    assert.equal(usageError(['--live', 'true']), '--live takes no COMMAND');
  });

  test('flags are read in order, as tini\'s getopt does: the first answer or error wins', () => {
    assert.deepEqual(parse(['-h', '-x']), { kind: 'help' });
    assert.deepEqual(parse(['-hx']), { kind: 'help' });
    assert.equal(usageError(['-x', '-h']), 'unknown option -x');
    assert.equal(usageError(['-e', '300', '-h']), 'not a valid exit code for -e: 300 (0 to 255)');
    assert.equal(usageError(['-e', '300', '-x']), 'not a valid exit code for -e: 300 (0 to 255)');
    assert.deepEqual(parse(['-h', '-e', '300']), { kind: 'help' });
    assert.deepEqual(parse(['-h', '--status', '--health']), { kind: 'help' });
  });
});

describe('targeted control', () => {
  test('--reload SERVICE...: the named services, lower-cased, once each', () => {
    assert.deepEqual(parse(['--reload', 'web', 'JOBS', 'web']), { kind: 'reload', json: false, services: ['web', 'jobs'] });
    assert.deepEqual(parse(['--reload', '--json', 'job_runner']), { kind: 'reload', json: true, services: ['job_runner'] });
  });

  test('--reload takes whole services, not instances, and options before the names', () => {
    assert.equal(usageError(['--reload', 'web.2']), '--reload: web.2: a reload replaces whole services; name the service (web)');
    assert.equal(usageError(['--reload', 'web', '--json']), '--reload: "--json" is not a service name (options go before the names)');
  });

  test('--signal SIGNAL SERVICE[.N]...', () => {
    assert.deepEqual(parse(['--signal', 'SIGUSR2', 'web.2']), { kind: 'signal', signal: 'SIGUSR2', targets: ['web.2'] });
    assert.deepEqual(parse(['--signal=HUP', 'web', 'jobs.1']), { kind: 'signal', signal: 'SIGHUP', targets: ['web', 'jobs.1'] });
    assert.deepEqual(parse(['--signal', '10', 'web']), { kind: 'signal', signal: 'SIGUSR1', targets: ['web'] });
  });

  test('--signal needs a valid signal and at least one target', () => {
    assert.equal(usageError(['--signal', 'SIGUSR2']), '--signal needs a SERVICE or SERVICE.N after its signal (--signal SIGUSR2 web.2)');
    assert.equal(usageError(['--signal', 'NOPE', 'web']), 'not a valid signal for --signal: NOPE');
    assert.equal(usageError(['--signal', 'USR2', 'web.0']), '--signal: "web.0" is not a service name or an instance (web, web.2) (options go before the names)');
    assert.equal(usageError(['--signal', 'USR2', 'web', '--status']), '--signal: "--status" is not a service name or an instance (web, web.2) (options go before the names)');
  });

  test('the other queries still take no names', () => {
    assert.equal(usageError(['--status', 'web']), '--status takes no COMMAND');
    assert.equal(usageError(['--signal', 'USR2', '--reload', 'web']), '--signal and --reload cannot be combined');
  });
});
