// Cuts a child's output into lines, on bytes: a chunk may end inside a line or
// inside a multi-byte character, and the bytes themselves are never decoded here.
// A line is never held whole past MAX_LINE: what has come of it so far is passed
// on as a piece marked as continued, so memory stays bounded by the cap.
//
// Pieces are handed to `emit` one at a time, as views: of the chunk, or of the one
// buffer where the start of a line waits for its end. A view is only valid during
// its `emit` (the caller copies what it keeps); in exchange, cutting allocates no
// memory once that buffer has grown to the longest line seen.

/** The longest piece of a line held before it is passed on (README: "Output"). */
export const MAX_LINE = 64 * 1024;

const NEWLINE = 0x0a;
const FIRST_HOLD = 1024;

export interface LinePiece {
  bytes: Buffer;
  /** The line goes on in the next piece: it was cut at MAX_LINE, not ended by a newline. */
  continued: boolean;
}

export type PieceSink = (piece: LinePiece) => void;

export class LineSplitter {
  /** The start of the current line is `held[0, heldBytes)`, less than maxLine bytes. */
  private held: Buffer | undefined;
  private heldBytes = 0;

  constructor(private readonly maxLine = MAX_LINE) {}

  /** Emits the pieces `chunk` completes; keeps (copies) the start of a line it leaves open. */
  push(chunk: Buffer, emit: PieceSink): void {
    let start = 0;
    while (start < chunk.length) {
      const room = this.maxLine - this.heldBytes;
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline !== -1 && newline - start <= room) {
        emit({ bytes: this.take(chunk.subarray(start, newline)), continued: false });
        start = newline + 1;
      } else if (chunk.length - start < room) {
        this.hold(chunk.subarray(start));
        break;
      } else {
        const line = this.take(chunk.subarray(start, start + room));
        // Cut before a character that would be split, so that each piece of valid UTF-8 stays valid.
        const cut = utf8Boundary(line);
        emit({ bytes: line.subarray(0, cut), continued: true });
        start += room;
        this.hold(line.subarray(cut));
      }
    }
  }

  /** At the end of the stream: a last line without its newline is still a line. */
  end(emit: PieceSink): void {
    if (this.heldBytes > 0) emit({ bytes: this.take(Buffer.alloc(0)), continued: false });
  }

  private hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const held = this.reserve(this.heldBytes + bytes.length);
    // `bytes` may be a view of the held buffer itself (the rest of a cut line): copy moves overlapping bytes correctly.
    bytes.copy(held, this.heldBytes);
    this.heldBytes += bytes.length;
  }

  /** The held start of the line followed by `tail`, as one view; nothing is held after. */
  private take(tail: Buffer): Buffer {
    if (this.heldBytes === 0) return tail;
    const held = this.reserve(this.heldBytes + tail.length);
    tail.copy(held, this.heldBytes);
    const line = held.subarray(0, this.heldBytes + tail.length);
    this.heldBytes = 0;
    return line;
  }

  /** The held buffer, with room for `needed` bytes (never more than maxLine are asked for). */
  private reserve(needed: number): Buffer {
    if (this.held !== undefined && this.held.length >= needed) return this.held;
    // Grown by doubling up to the cap and then kept: a service of short lines holds little, and none allocates per read.
    let size = this.held?.length ?? FIRST_HOLD;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(Math.min(size, this.maxLine));
    this.held?.copy(grown, 0, 0, this.heldBytes);
    this.held = grown;
    return grown;
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
