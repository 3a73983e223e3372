// Lines of text cut from a stream of chunks, none held longer than a bound: a child that
// writes without ever ending a line must not make the init buffer without limit. The
// notify pipe and the IPC channel read their messages through it.
import { StringDecoder } from 'node:string_decoder';

/** A whole line, or the start of one longer than the bound (said once; the rest of it is skipped). */
export type BoundedLine = { line: string } | { tooLong: string };

export class BoundedLines {
  // A chunk may end inside a multi-byte character as well as inside a line.
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  /** The current line grew past the bound and was reported; the rest of it is skipped. */
  private skipping = false;

  constructor(private readonly maxLine: number) {}

  push(chunk: Buffer | string): BoundedLine[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const lines: BoundedLine[] = [];
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const line = this.partial + text.slice(start, newline);
      start = newline + 1;
      this.partial = '';
      if (this.skipping) this.skipping = false;
      else lines.push(line.length > this.maxLine ? { tooLong: line } : { line });
    }
    if (!this.skipping) {
      this.partial += text.slice(start);
      if (this.partial.length > this.maxLine) {
        lines.push({ tooLong: this.partial });
        this.partial = '';
        this.skipping = true;
      }
    }
    return lines;
  }

  /** At the end of the stream: a last line without its newline still counts. */
  end(): BoundedLine[] {
    const rest = this.partial + this.decoder.end();
    const skipped = this.skipping;
    this.partial = '';
    this.skipping = false;
    return rest.length > 0 && !skipped ? [rest.length > this.maxLine ? { tooLong: rest } : { line: rest }] : [];
  }
}
