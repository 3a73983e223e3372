// Where an instance's stdout and stderr go (BATON_OUTPUT): straight to the
// container's (inherit), or line by line through the init, tagged with the
// instance (prefix, json). In the tagged modes the init reads each child's pipe
// itself, cuts it into lines on bytes (line-splitter.ts) and hands each tagged line
// to the ordered writer of the same descriptor (fd-writer.ts), which tells it when
// to stop reading: that pause is the backpressure that slows a fast child down.
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
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
    const resume = (): void => {
      stream.resume();
    };
    // The lines of one read go to the writer as one item of whole lines, copied together only once it writes them.
    const forward = (pieces: LinePiece[]): boolean => {
      if (pieces.length === 0) return true;
      return writer.push(pieces.flatMap(format), resume);
    };
    return new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        // Nobody reads any more, or not in time: the child must still never block, and cutting lines nobody sees is wasted work.
        if (abandoned || writer.isBroken) writer.discard(chunk);
        else if (!forward(splitter.push(chunk))) stream.pause();
      });
      let timer: NodeJS.Timeout | undefined;
      let ended = false;
      const finish = (): void => {
        ended = true;
        clearTimeout(timer);
        if (!abandoned) forward(splitter.end());
        resolve();
      };
      stream.once('end', finish);
      // A read error ends the stream as far as the init is concerned; what was read still counts.
      stream.once('error', finish);
      void gone.then(() => {
        if (ended) return;
        timer = setTimeout(() => {
          abandoned = true;
          stream.resume();
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

/** `web.1 | line`; a piece of a line that goes on in the next piece has `+` in place of `|`. */
function prefixFormat(tag: OutputTag): (piece: LinePiece) => Buffer[] {
  const whole = Buffer.from(`${tag.service}.${tag.instance} | `);
  const continued = Buffer.from(`${tag.service}.${tag.instance} + `);
  return (piece) => [piece.continued ? continued : whole, piece.bytes, NEWLINE];
}

/**
 * One JSON record per line. The line is `line` (a string) when it is valid UTF-8,
 * `line_base64` when it is not, and `json` (the object itself) when it is a whole
 * JSON object; a piece that goes on in the next one has `"partial": true`.
 */
function jsonFormat(tag: OutputTag, stream: StreamName): (piece: LinePiece) => Buffer[] {
  return (piece) => [jsonLine(tag, stream, piece)];
}

export function jsonLine(tag: OutputTag, stream: StreamName, piece: LinePiece): Buffer {
  const head = JSON.stringify({ service: tag.service, instance: tag.instance, generation: tag.generation, pid: tag.pid(), stream }).slice(0, -1);
  const partial = piece.continued ? ',"partial":true' : '';
  if (!isUtf8(piece.bytes)) return Buffer.from(`${head},"line_base64":${JSON.stringify(piece.bytes.toString('base64'))}${partial}}\n`);
  const text = piece.bytes.toString('utf8');
  // The object's own text is kept as written (number precision, key order), once JSON.parse has vouched for it.
  if (!piece.continued && isJsonObject(text)) return Buffer.from(`${head},"json":${text.trim()}}\n`);
  return Buffer.from(`${head},"line":${JSON.stringify(text)}${partial}}\n`);
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
