// The command line, parsed with node:util parseArgs. As with tini (getopt with "+"),
// options stop at the first word that is not one, so `--` is optional.
import { parseArgs } from 'node:util';
import { parseSignal } from '../pid1/signals.ts';

/** The init's own flags, in either mode: how PID 1 sets itself up, logs, reaps and forwards. */
export interface InitFlags {
  subreaper: boolean;
  parentDeathSignal?: NodeJS.Signals;
  verbosity: number;
  warnOnReap: boolean;
  killProcessGroup: boolean;
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
  | { kind: 'reload'; json: boolean };

const OPTIONS = {
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
  reload: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** Flags that only make sense with a COMMAND, and the queries that only make sense without one. */
const SINGLE_ONLY = new Map<OptionName, string>([
  ['group', '-g'],
  ['remap-exit', '-e'],
]);
const QUERIES = new Set<OptionName>(['check', 'status', 'health', 'reload', 'json']);

type OptionName = keyof typeof OPTIONS;

export function parseInvocation(args: readonly string[], env: NodeJS.ProcessEnv): Invocation {
  const { tokens } = parseArgs({ args: [...args], options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  const end = tokens.find((token) => token.kind === 'positional' || token.kind === 'option-terminator');
  const commandStart = end === undefined ? args.length : end.kind === 'positional' ? end.index : end.index + 1;
  const ours = tokens.filter((token) => token.index < commandStart);

  const flags: InitFlags = {
    subreaper: env.TINI_SUBREAPER !== undefined,
    verbosity: 1,
    warnOnReap: false,
    killProcessGroup: env.TINI_KILL_PROCESS_GROUP !== undefined,
    remapToZero: new Set<number>(),
  };
  const remap = new Set<number>();
  const seen = new Set<OptionName>();
  for (const token of ours) {
    if (token.kind !== 'option') continue;
    if (!(token.name in OPTIONS)) return { kind: 'usage-error', message: `unknown option ${token.rawName}` };
    const name = token.name as OptionName;
    seen.add(name);
    const needsValue = OPTIONS[name].type === 'string';
    if (needsValue && token.value === undefined) return { kind: 'usage-error', message: `option ${token.rawName} needs a value` };
    if (!needsValue && token.value !== undefined) return { kind: 'usage-error', message: `option ${token.rawName} takes no value` };
    switch (name) {
      case 'help':
        return { kind: 'help' };
      case 'version':
        return { kind: 'version' };
      case 'license':
        return { kind: 'license' };
      case 'subreaper':
        flags.subreaper = true;
        break;
      case 'parent-death-signal': {
        const signal = parseSignal(token.value ?? '');
        if (signal === undefined) return { kind: 'usage-error', message: `not a valid signal for ${token.rawName}: ${token.value}` };
        flags.parentDeathSignal = signal;
        break;
      }
      case 'verbose':
        flags.verbosity += 1;
        break;
      case 'warn':
        flags.warnOnReap = true;
        break;
      case 'group':
        flags.killProcessGroup = true;
        break;
      case 'check':
      case 'status':
      case 'health':
      case 'reload':
      case 'json':
        break;
      case 'remap-exit': {
        const value = token.value ?? '';
        const code = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
        if (!(code >= 0 && code <= 255)) return { kind: 'usage-error', message: `not a valid exit code for ${token.rawName}: ${value} (0 to 255)` };
        remap.add(code);
        break;
      }
    }
  }
  flags.remapToZero = remap;
  if (env.TINI_VERBOSITY !== undefined) {
    // tini reads it with atoi(): anything that is not a number counts as 0.
    const parsed = Number.parseInt(env.TINI_VERBOSITY, 10);
    flags.verbosity = Number.isNaN(parsed) ? 0 : parsed;
  }

  const command = args.slice(commandStart);
  const [file, ...rest] = command;
  const queries = [...seen].filter((name) => QUERIES.has(name));
  if (queries.length > 0) {
    if (file !== undefined) return { kind: 'usage-error', message: `--${queries[0]} takes no COMMAND` };
    if (seen.has('json') && !seen.has('status') && !seen.has('reload')) return { kind: 'usage-error', message: '--json goes with --status or --reload' };
    const asked = queries.filter((name) => name !== 'json');
    if (asked.length > 1) return { kind: 'usage-error', message: `--${asked[0]} and --${asked[1]} cannot be combined` };
    if (seen.has('check')) return { kind: 'check' };
    if (seen.has('health')) return { kind: 'health' };
    if (seen.has('reload')) return { kind: 'reload', json: seen.has('json') };
    return { kind: 'status', json: seen.has('json') };
  }
  if (file === undefined) {
    // `--` announces a COMMAND: with none, tini prints its usage and exits 1, and so does baton
    // (supervisor mode is asked for by giving no COMMAND and no `--`).
    if (end?.kind === 'option-terminator') return { kind: 'usage-error', message: '-- must be followed by a COMMAND (leave out -- for supervisor mode)' };
    const misplaced = [...seen].map((name) => SINGLE_ONLY.get(name)).find((flag) => flag !== undefined);
    if (misplaced) return { kind: 'usage-error', message: `${misplaced} needs a COMMAND (it has no meaning in supervisor mode)` };
    return { kind: 'supervisor', flags };
  }
  return { kind: 'single-command', flags, command: [file, ...rest] };
}
