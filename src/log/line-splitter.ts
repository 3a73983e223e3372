// Cuts a child's output into lines, on bytes: a chunk may end inside a line or
// inside a multi-byte character, and the bytes themselves are never decoded here.
// A line is never held whole past MAX_LINE: what has come of it so far is passed
// on as a piece marked as continued, so memory stays bounded by the cap.

/** The longest piece of a line held before it is passed on (README: "Output"). */
export const MAX_LINE = 64 * 1024;

const NEWLINE = 0x0a;
const SMALL_REST = 8 * 1024;

export interface LinePiece {
  bytes: Buffer;
  /** The line goes on in the next piece: it was cut at MAX_LINE, not ended by a newline. */
  continued: boolean;
}

export class LineSplitter {
  /** The start of the current line, less than MAX_LINE bytes. */
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(private readonly maxLine = MAX_LINE) {}

  push(chunk: Buffer): LinePiece[] {
    const pieces: LinePiece[] = [];
    let start = 0;
    while (start < chunk.length) {
      const room = this.maxLine - this.heldBytes;
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline !== -1 && newline - start <= room) {
        pieces.push({ bytes: this.take(chunk.subarray(start, newline)), continued: false });
        start = newline + 1;
      } else if (chunk.length - start < room) {
        this.hold(chunk.subarray(start));
        break;
      } else {
        const line = this.take(chunk.subarray(start, start + room));
        // Cut before a character that would be split, so that each piece of valid UTF-8 stays valid.
        const cut = utf8Boundary(line);
        pieces.push({ bytes: line.subarray(0, cut), continued: true });
        start += room;
        if (cut < line.length) this.hold(Buffer.from(line.subarray(cut)));
      }
    }
    return pieces;
  }

  /** At the end of the stream: a last line without its newline is still a line. */
  end(): LinePiece[] {
    return this.heldBytes === 0 ? [] : [{ bytes: this.take(Buffer.alloc(0)), continued: false }];
  }

  private hold(bytes: Buffer): void {
    // A small rest is copied, so that it does not keep a whole read buffer alive; a large one is not, to make no garbage.
    this.held.push(bytes.length < SMALL_REST ? Buffer.from(bytes) : bytes);
    this.heldBytes += bytes.length;
  }

  private take(tail: Buffer): Buffer {
    if (this.heldBytes === 0) return tail;
    const line = Buffer.concat([...this.held, tail]);
    this.held = [];
    this.heldBytes = 0;
    return line;
  }
}

/** Where to cut `bytes` so that no UTF-8 sequence starting in its last 3 bytes is split; its length if none is. */
function utf8Boundary(bytes: Buffer): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    if (byte < 0x80) return bytes.length;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    // Cutting everything would make no progress: a piece is never empty.
    return length > back && back < bytes.length ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}
