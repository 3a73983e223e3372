// Where an instance's stdout and stderr go (BATON_OUTPUT): straight to the
// container's (inherit), or line by line through the init, tagged with the
// instance (prefix, json). In the tagged modes the init reads each child's pipe
// itself, cuts it into lines on bytes (line-splitter.ts) and hands each tagged line
// to the ordered writer of the same descriptor (fd-writer.ts), which tells it when
// to stop reading: that pause is the backpressure that slows a fast child down.
// A chunk read, and the pieces cut from it, are views the writer copies from: the
// path from a child's pipe to the init's own stdout allocates nothing per read.
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { readChildPipe, type PipeReader } from './child-pipe.ts';
import { FdWriter, type WriterStats } from './fd-writer.ts';
import { LineSplitter, type LinePiece } from './line-splitter.ts';

/** BATON_OUTPUT: the container's streams as they are (inherit), or tagged lines (prefix, json). */
export type OutputMode = 'inherit' | 'prefix' | 'json';

export interface OutputTag {
  service: string;
  instance: number;
  generation: number;
  /** Known once spawned. */
  pid(): number | undefined;
}

export type StreamName = 'stdout' | 'stderr';

export interface OutputStats {
  stdout: WriterStats;
  stderr: WriterStats;
}

/** The init's stdout and stderr, and how its children's output reaches them. */
export class Output {
  readonly stdout: FdWriter;
  readonly stderr: FdWriter;

  constructor(readonly mode: OutputMode) {
    this.stdout = new FdWriter('stdout', process.stdout, 1);
    this.stderr = new FdWriter('stderr', process.stderr, 2);
    process.once('exit', () => {
      this.stderr.flushSync();
      this.stdout.flushSync();
    });
  }

  /** The stdio entry of a child's stdout or stderr. */
  stdio(): 'inherit' | 'pipe' {
    return this.mode === 'inherit' ? 'inherit' : 'pipe';
  }

  /**
   * Reads a child's piped stdout or stderr to its end, line by line; resolves once every
   * line is queued. Once the child is `gone`, what is left in its pipe gets `graceMs` to
   * be taken by the reader; after that it is read and dropped (counted), so that a stalled
   * reader cannot keep the instance from being done, nor the init from exiting.
   */
  follow(stream: Readable | null | undefined, tag: OutputTag, name: StreamName, gone: Promise<unknown>, graceMs: number): Promise<void> {
    if (this.mode === 'inherit' || !stream) return Promise.resolve();
    const writer = name === 'stdout' ? this.stdout : this.stderr;
    const format = this.mode === 'prefix' ? prefixFormat(tag) : jsonFormat(tag, name);
    const splitter = new LineSplitter();
    let abandoned = false;
    let reader: PipeReader | undefined;
    const resume = (): void => reader?.resume();
    let stop = false;
    const forward = (piece: LinePiece): void => {
      if (!writer.push(format(piece), resume)) stop = true;
    };
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let ended = false;
      reader = readChildPipe(stream, {
        data(chunk) {
          // Nobody reads any more, or not in time: the child must still never block, and cutting lines nobody sees is wasted work.
          if (abandoned || writer.isBroken) return writer.discard(chunk);
          stop = false;
          splitter.push(chunk, forward);
          if (stop) reader?.pause();
        },
        end() {
          ended = true;
          clearTimeout(timer);
          if (!abandoned) splitter.end(forward);
          resolve();
        },
      });
      void gone.then(() => {
        if (ended) return;
        timer = setTimeout(() => {
          abandoned = true;
          reader?.resume();
          resolve();
        }, graceMs);
      });
    });
  }

  stats(): OutputStats {
    return { stdout: this.stdout.stats(), stderr: this.stderr.stats() };
  }

  /** Resolves once both streams are written out, or after `ms`, whichever comes first; true if written out. */
  async drain(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const drained = Promise.all([this.stdout.idle(), this.stderr.idle()]).then(() => true);
    try {
      return await Promise.race([drained, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const NEWLINE = Buffer.from('\n');

type Format = (piece: LinePiece) => Array<Buffer | string>;

/** `web.1 | line`; a piece of a line that goes on in the next piece has `+` in place of `|`. */
function prefixFormat(tag: OutputTag): Format {
  const whole = Buffer.from(`${tag.service}.${tag.instance} | `);
  const continued = Buffer.from(`${tag.service}.${tag.instance} + `);
  return (piece) => [piece.continued ? continued : whole, piece.bytes, NEWLINE];
}

/**
 * One JSON record per line. The line is `line` (a string) when it is valid UTF-8,
 * `line_base64` when it is not, and `json` (the object itself) when it is a whole
 * JSON object; a piece that goes on in the next one has `"partial": true`.
 */
function jsonFormat(tag: OutputTag, stream: StreamName): Format {
  return (piece) => [jsonLine(tag, stream, piece)];
}

/** The record as text: the writer encodes it straight into its own memory. */
export function jsonLine(tag: OutputTag, stream: StreamName, piece: LinePiece): string {
  const head = JSON.stringify({ service: tag.service, instance: tag.instance, generation: tag.generation, pid: tag.pid(), stream }).slice(0, -1);
  const partial = piece.continued ? ',"partial":true' : '';
  if (!isUtf8(piece.bytes)) return `${head},"line_base64":${JSON.stringify(piece.bytes.toString('base64'))}${partial}}\n`;
  const text = piece.bytes.toString('utf8');
  // The object's own text is kept as written (number precision, key order), once JSON.parse has vouched for it.
  if (!piece.continued && isJsonObject(text)) return `${head},"json":${text.trim()}}\n`;
  return `${head},"line":${JSON.stringify(text)}${partial}}\n`;
}

function isJsonObject(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return false;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
