// The command line, parsed with node:util parseArgs in strict mode. As with tini (getopt
// with "+"), options stop at the first word that is not one, so `--` is optional.
import { parseArgs } from 'node:util';
import { parseSignal } from '../pid1/signal-names.ts';

/** The init's own flags, in either mode: how PID 1 sets itself up, logs, reaps and forwards. */
export interface InitFlags {
  subreaper: boolean;
  parentDeathSignal?: NodeJS.Signals;
  verbosity: number;
  warnOnReap: boolean;
  /** Single-command mode only (`-g` is refused in supervisor mode). */
  killProcessGroup: boolean;
  /** Single-command mode only (`-e` is refused in supervisor mode). */
  remapToZero: ReadonlySet<number>;
}

export type Invocation =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'license' }
  | { kind: 'usage-error'; message?: string }
  | { kind: 'single-command'; flags: InitFlags; command: [string, ...string[]] }
  | { kind: 'supervisor'; flags: InitFlags }
  | { kind: 'check' }
  | { kind: 'status'; json: boolean }
  | { kind: 'health' }
  | { kind: 'live' }
  /** `services`: the services to reload; none: every one. */
  | { kind: 'reload'; json: boolean; services: string[] }
  | { kind: 'signal'; signal: NodeJS.Signals; targets: string[] };

/** Every flag; `--help` (usage.ts) and the README list each of them. */
export const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  license: { type: 'boolean', short: 'l' },
  subreaper: { type: 'boolean', short: 's' },
  'parent-death-signal': { type: 'string', short: 'p' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  warn: { type: 'boolean', short: 'w' },
  group: { type: 'boolean', short: 'g' },
  'remap-exit': { type: 'string', short: 'e', multiple: true },
  check: { type: 'boolean' },
  status: { type: 'boolean' },
  health: { type: 'boolean' },
  live: { type: 'boolean' },
  signal: { type: 'string' },
  reload: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];
type OptionToken = Extract<Token, { kind: 'option' }>;

/** Flags answered as soon as they are read, as tini's getopt loop does: what follows is not looked at. */
const ANSWERS = new Map<string, Invocation>([
  ['help', { kind: 'help' }],
  ['version', { kind: 'version' }],
  ['license', { kind: 'license' }],
]);
/** Flags that only make sense with a COMMAND, and the queries that only make sense without one. */
const SINGLE_ONLY = new Map<string, string>([
  ['group', '-g'],
  ['remap-exit', '-e'],
]);
const QUERIES = new Set<string>(['check', 'status', 'health', 'live', 'reload', 'signal', 'json']);
/** What `--reload` and `--signal` take after them: `web`, `web.2`. */
const TARGET = /^([A-Za-z0-9]+(?:_[A-Za-z0-9]+)*)(?:\.([1-9]\d*))?$/;

export function parseInvocation(args: readonly string[], env: NodeJS.ProcessEnv): Invocation {
  const { options, command, terminated } = splitAtCommand(args);
  const tokens = parseOptions(options);
  if (!Array.isArray(tokens)) return tokens;
  const read = readFlags(tokens, env);
  if ('kind' in read) return read;
  return queryOf(read, command) ?? modeOf(read, command, terminated);
}

/**
 * The init's options, and the COMMAND after them: it starts at the first word that is not an
 * option (nor an option's value), or after `--`. Read leniently, so that an unknown option
 * still ends where it should; strict parsing of the options themselves comes next.
 */
function splitAtCommand(args: readonly string[]): { options: string[]; command: string[]; terminated: boolean } {
  // No option before the COMMAND, as in `init -- CMD` or `init CMD`: nothing for parseArgs to
  // read, and at start-up loading and first running it is most of what parsing costs (~0.5 ms).
  const [first] = args;
  if (first === '--') return { options: [], command: args.slice(1), terminated: true };
  if (first !== undefined && !first.startsWith('-')) return { options: [], command: [...args], terminated: false };
  const end = lenientTokens(args).find((token) => token.kind === 'positional' || token.kind === 'option-terminator');
  if (end === undefined) return { options: [...args], command: [], terminated: false };
  const terminated = end.kind === 'option-terminator';
  return { options: args.slice(0, end.index), command: args.slice(terminated ? end.index + 1 : end.index), terminated };
}

function lenientTokens(args: readonly string[]): Token[] {
  return parseArgs({ args: [...args], options: OPTIONS, strict: false, allowPositionals: true, tokens: true }).tokens;
}

/** The options as parseArgs's strict mode reads them, or the usage error it found, in baton's words. */
function parseOptions(options: string[]): Token[] | Invocation {
  if (options.length === 0) return [];
  try {
    return parseArgs({ args: options, options: OPTIONS, strict: true, allowPositionals: false, tokens: true }).tokens;
  } catch (error) {
    return refusedOption(error, options);
  }
}

/**
 * Node's error names the option as declared (`-e, --remap-exit <value>`), not as typed, and
 * not which value is wrong. baton reads the options again in order, as tini's getopt loop
 * does, up to the first it refuses: an unknown one, a value that does not fit (including
 * `-e 300`, refused by baton itself before anything after it), or an answer (`-h -x` is help).
 */
function refusedOption(error: unknown, options: string[]): Invocation {
  const code = (error as { code?: unknown }).code;
  if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw error;
  for (const token of lenientTokens(options)) {
    if (token.kind !== 'option') continue;
    const message = isOptionName(token.name) ? badValue(token) : `unknown option ${token.rawName}`;
    if (message !== undefined) return { kind: 'usage-error', message };
    const answer = ANSWERS.get(token.name);
    if (answer) return answer;
  }
  throw error;
}

function isOptionName(name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name);
}

/** What strict mode refuses in a known option's value, as baton says it. */
function badValue(token: OptionToken): string | undefined {
  if (!isOptionName(token.name)) return undefined;
  if (OPTIONS[token.name].type === 'boolean') return token.value === undefined ? undefined : `option ${token.rawName} takes no value`;
  if (token.value === undefined) return `option ${token.rawName} needs a value`;
  // Strict mode also refuses a separate value that starts with a dash (`-e -1`): no signal and no exit code does.
  const read = readValue(token.name, token.rawName, token.value);
  return 'problem' in read ? read.problem : undefined;
}

type Value = { signal: NodeJS.Signals } | { exitCode: number } | { problem: string };

function readValue(name: OptionName, rawName: string, value: string): Value {
  if (name === 'parent-death-signal' || name === 'signal') {
    const signal = parseSignal(value);
    return signal === undefined ? { problem: `not a valid signal for ${rawName}: ${value}` } : { signal };
  }
  const code = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  return code >= 0 && code <= 255 ? { exitCode: code } : { problem: `not a valid exit code for ${rawName}: ${value} (0 to 255)` };
}

interface ReadFlags {
  flags: InitFlags;
  /** Every option given, by name. */
  seen: Set<string>;
  /** `--signal`'s value. */
  querySignal?: NodeJS.Signals;
}

/** The flags, in the order given: an answer or a bad value ends the reading there, as in tini. */
function readFlags(tokens: Token[], env: NodeJS.ProcessEnv): ReadFlags | Invocation {
  const flags = flagsFromEnvironment(env);
  const remap = new Set<number>();
  const seen = new Set<string>();
  let querySignal: NodeJS.Signals | undefined;
  for (const token of tokens) {
    if (token.kind !== 'option' || !isOptionName(token.name)) continue;
    seen.add(token.name);
    const answer = ANSWERS.get(token.name);
    if (answer) return answer;
    if (token.value !== undefined) {
      const read = readValue(token.name, token.rawName, token.value);
      if ('problem' in read) return { kind: 'usage-error', message: read.problem };
      if ('signal' in read && token.name === 'signal') querySignal = read.signal;
      else if ('signal' in read) flags.parentDeathSignal = read.signal;
      else remap.add(read.exitCode);
    }
    if (token.name === 'subreaper') flags.subreaper = true;
    if (token.name === 'verbose') flags.verbosity += 1;
    if (token.name === 'warn') flags.warnOnReap = true;
    if (token.name === 'group') flags.killProcessGroup = true;
  }
  flags.remapToZero = remap;
  // tini reads it with atoi() after the flags, and it overrides -v: anything that is not a number counts as 0.
  if (env.TINI_VERBOSITY !== undefined) {
    const parsed = Number.parseInt(env.TINI_VERBOSITY, 10);
    flags.verbosity = Number.isNaN(parsed) ? 0 : parsed;
  }
  return querySignal === undefined ? { flags, seen } : { flags, seen, querySignal };
}

function flagsFromEnvironment(env: NodeJS.ProcessEnv): InitFlags {
  return {
    subreaper: env.TINI_SUBREAPER !== undefined,
    verbosity: 1,
    warnOnReap: false,
    killProcessGroup: env.TINI_KILL_PROCESS_GROUP !== undefined,
    remapToZero: new Set<number>(),
  };
}

/**
 * A query of the running init, when one was asked; only one at a time. `--reload` and
 * `--signal` take service names (`web`, `web.2`) where a COMMAND would be; the others nothing.
 */
function queryOf({ seen, querySignal }: ReadFlags, command: string[]): Invocation | undefined {
  const queries = [...seen].filter((name) => QUERIES.has(name));
  if (queries.length === 0) return undefined;
  const targeted = seen.has('reload') || seen.has('signal');
  if (command.length > 0 && !targeted) return { kind: 'usage-error', message: `--${queries[0]} takes no COMMAND` };
  if (seen.has('json') && !seen.has('status') && !seen.has('reload')) return { kind: 'usage-error', message: '--json goes with --status or --reload' };
  const asked = queries.filter((name) => name !== 'json');
  if (asked.length > 1) return { kind: 'usage-error', message: `--${asked[0]} and --${asked[1]} cannot be combined` };
  if (seen.has('check')) return { kind: 'check' };
  if (seen.has('health')) return { kind: 'health' };
  if (seen.has('live')) return { kind: 'live' };
  if (targeted) return targetedQuery(seen, querySignal, command);
  return { kind: 'status', json: seen.has('json') };
}

/** With a COMMAND, single-command mode; with neither COMMAND nor `--`, supervisor mode. */
function modeOf({ flags, seen }: ReadFlags, command: string[], terminated: boolean): Invocation {
  const [file, ...rest] = command;
  if (file !== undefined) return { kind: 'single-command', flags, command: [file, ...rest] };
  // `--` announces a COMMAND: with none, tini prints its usage and exits 1, and so does baton.
  if (terminated) return { kind: 'usage-error', message: '-- must be followed by a COMMAND (leave out -- for supervisor mode)' };
  const misplaced = [...seen].map((name) => SINGLE_ONLY.get(name)).find((flag) => flag !== undefined);
  if (misplaced) return { kind: 'usage-error', message: `${misplaced} needs a COMMAND (it has no meaning in supervisor mode)` };
  return { kind: 'supervisor', flags };
}

/** `--reload [SERVICE...]` (whole services) or `--signal SIGNAL SERVICE[.N]...`. */
function targetedQuery(seen: Set<string>, querySignal: NodeJS.Signals | undefined, words: string[]): Invocation {
  const query = seen.has('reload') ? '--reload' : '--signal';
  const targets: string[] = [];
  for (const word of words) {
    const match = TARGET.exec(word);
    if (!match) return { kind: 'usage-error', message: `${query}: ${JSON.stringify(word)} is not a service name${query === '--signal' ? ' or an instance (web, web.2)' : ''} (options go before the names)` };
    if (query === '--reload' && match[2] !== undefined) return { kind: 'usage-error', message: `--reload: ${word}: a reload replaces whole services; name the service (${(match[1] ?? '').toLowerCase()})` };
    targets.push(word.toLowerCase());
  }
  if (query === '--reload') return { kind: 'reload', json: seen.has('json'), services: [...new Set(targets)] };
  if (targets.length === 0) return { kind: 'usage-error', message: '--signal needs a SERVICE or SERVICE.N after its signal (--signal SIGUSR2 web.2)' };
  return { kind: 'signal', signal: querySignal as NodeJS.Signals, targets: [...new Set(targets)] };
}
