// The grammar of BATON_<NAME>_COMMAND: the argv of a service.
import { EnvError } from 'envalid';

const FORMS = 'use a JSON array of strings such as ["node","web.js"], or words separated by spaces';

/**
 * A JSON array of strings, or plain words split on whitespace. There is no shell and no
 * quoting: an argument with a space needs the JSON form. A value starting with `[` is
 * always taken as JSON, because splitting a broken array into words would run nonsense.
 */
export function parseCommand(input: string): [string, ...string[]] {
  const text = input.trim();
  if (text.startsWith('[')) return spawnable(parseJsonCommand(input, text));
  const words = text.split(/\s+/).filter((word) => word !== '');
  const [program, ...args] = words;
  if (program === undefined) throw new EnvError(`is set but empty (${FORMS})`);
  return [program, ...args];
}

/** What exec would refuse, refused now (only the JSON form can hold a NUL or a padded name). */
function spawnable(argv: [string, ...string[]]): [string, ...string[]] {
  const nul = argv.findIndex((arg) => arg.includes('\0'));
  if (nul >= 0) throw new EnvError(`${nul === 0 ? 'the program name' : `argument ${nul}`} ${JSON.stringify(argv[nul])} holds a NUL byte, which no program can be given`);
  const [program] = argv;
  if (program !== program.trim()) throw new EnvError(`the program name ${JSON.stringify(program)} starts or ends with whitespace (no program is named so; remove it)`);
  return argv;
}

function parseJsonCommand(input: string, text: string): [string, ...string[]] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EnvError(`${JSON.stringify(input)} is not valid JSON (${(error as Error).message}); ${FORMS}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((item): item is string => typeof item === 'string')) {
    throw new EnvError(`${JSON.stringify(input)} is not a JSON array of strings; ${FORMS}`);
  }
  const [program, ...args] = parsed;
  if (program === undefined) throw new EnvError(`is an empty JSON array; ${FORMS}`);
  // An empty program name would fail only at spawn, with a confusing ENOENT.
  if (program.trim() === '') throw new EnvError(`${JSON.stringify(input)} starts with an empty program name; ${FORMS}`);
  return [program, ...args];
}
