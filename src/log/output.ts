// Where an instance's stdout and stderr go (BATON_OUTPUT): straight to the
// container's (inherit), or line by line through the init, tagged with the
// instance (prefix, json). execa splits the lines; a last line without a newline
// is still a line.
//
// The tagged lines are written by the transform itself, not piped on by execa to
// 'inherit': execa does not wait for what it pipes into the init's own stdout, so
// lines still in that pipe when a child exits could be lost at the init's exit.
// process.stdout and process.stderr write synchronously to pipes, files and
// terminals on Linux, so a line is out once the transform has returned.
import type { OutputMode } from '../config/types.ts';

export interface OutputTag {
  service: string;
  instance: number;
  generation: number;
  /** Known once spawned. */
  pid(): number | undefined;
}

type StreamName = 'stdout' | 'stderr';
// execa passes each line as a string (no binary or object mode here), typed unknown.
type LineTransform = (line: unknown) => Generator<never, void, void>;
export type OutputOption = 'inherit' | { transform: LineTransform };

export function outputOption(mode: OutputMode, tag: OutputTag, stream: StreamName): OutputOption {
  if (mode === 'inherit') return 'inherit';
  const target = stream === 'stdout' ? process.stdout : process.stderr;
  const format =
    mode === 'prefix'
      ? (line: string): string => `${tag.service}.${tag.instance} | ${line}\n`
      : (line: string): string => `${JSON.stringify({ service: tag.service, instance: tag.instance, generation: tag.generation, pid: tag.pid(), stream, line })}\n`;
  return {
    // execa wants a generator; this one writes each line itself and hands nothing on.
    // eslint-disable-next-line require-yield
    *transform(line: unknown) {
      target.write(format(String(line)));
    },
  };
}

/** Resolves once everything written to the init's stdout and stderr has left the process. */
export async function flushOutput(): Promise<void> {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
}
