// The one path to the init's stdout or stderr: its own log records and its children's
// lines go through the same queue per descriptor, so that what reaches the reader is
// always whole lines, whatever the reader's pace.
//
// - Backpressure: above HIGH_WATER bytes waiting, push() says "stop" and the caller
//   stops reading its child's pipe until resumed; a fast child then blocks on its own
//   write. Memory stays bounded by the high-water mark plus one read per child.
// - Priority: the init's own records go ahead of waiting child lines (a crash record
//   must not wait behind megabytes of output). Every queued item is a whole line, so
//   a record only ever lands between two lines.
// - Errors: a failed write (EPIPE when the reader went away, EIO, anything) never
//   throws. The writer turns broken: from then on what would go there is dropped and
//   counted, and the children are read again at full speed so that none blocks.
// - Memory: a child's line is copied, when pushed, into slabs of SLAB_BYTES that are
//   reused once written. A stream of output thus makes no garbage outside the V8
//   heap: garbage there is freed by V8 only after tens of megabytes (Node 22 and 24
//   let it reach 60 MB and more before a collection), which the init cannot afford.
import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** Bytes waiting (in the queue and in the stream) above which the children are paused. */
export const HIGH_WATER = 256 * 1024;
/** The init's own records waiting, above which new ones are dropped and counted. */
const RECORDS_MAX_BYTES = 1024 * 1024;
/** At most this much is handed to the stream at once: a record waits behind no more. */
const BATCH_BYTES = 64 * 1024;
/** Room for a 64 KiB piece of a line with its tag, twice over. */
const SLAB_BYTES = 160 * 1024;
/** Written slabs kept for reuse: enough for HIGH_WATER bytes in flight, and one slab being filled. */
const SPARE_SLABS = 3;

/** Memory the lines are copied into; `refs` counts the segments on it not yet written. */
interface Slab {
  bytes: Buffer;
  filled: number;
  refs: number;
}

/** Whole lines, `slab.bytes[start, end)`, waiting to be written. */
interface Segment {
  slab: Slab;
  start: number;
  end: number;
}

export interface WriterStats {
  /** Lines (children's lines and the init's records) that could not be written. */
  droppedLines: number;
  droppedBytes: number;
  /** Why the stream stopped taking output, once it has. */
  error: string | null;
  /** Bytes waiting to be written now. */
  pendingBytes: number;
}

export class FdWriter {
  private readonly records: Buffer[] = [];
  private readonly lines: Segment[] = [];
  /** Where pushed lines are copied now. */
  private slab: Slab | undefined;
  private readonly spare: Slab[] = [];
  private recordBytes = 0;
  private lineBytes = 0;
  private scheduled = false;
  private waitingForDrain = false;
  private broken: string | null = null;
  private droppedLines = 0;
  private droppedBytes = 0;
  /** Callers told to stop reading, resumed once the backlog is down. */
  private readonly paused = new Set<() => void>();
  private idleWaiters: Array<() => void> = [];
  private onBroken: ((reason: string) => void) | undefined;

  constructor(
    readonly name: 'stdout' | 'stderr',
    private readonly stream: Writable,
    private readonly fd: number,
  ) {
    stream.on('error', (error: Error) => this.fail(error));
    stream.on('drain', () => {
      this.waitingForDrain = false;
      this.pump();
    });
  }

  /** Called once, the first time the stream fails. */
  whenBroken(listener: (reason: string) => void): void {
    this.onBroken = listener;
  }

  /**
   * Queues a child's line (newline included), as parts copied now: the caller may reuse
   * them as soon as this returns. Returns false when the caller should stop reading
   * until `resume` is called.
   */
  push(parts: ReadonlyArray<Buffer | string>, resume: () => void): boolean {
    let bytes = 0;
    for (const part of parts) bytes += typeof part === 'string' ? Buffer.byteLength(part) : part.length;
    if (this.broken !== null) {
      this.drop(bytes);
      return true;
    }
    const slab = this.slabFor(bytes);
    let at = slab.filled;
    for (const part of parts) at += typeof part === 'string' ? slab.bytes.write(part, at) : part.copy(slab.bytes, at);
    const last = this.lines.at(-1);
    if (last !== undefined && last.slab === slab && last.end === slab.filled && last.end - last.start + bytes <= BATCH_BYTES) last.end = at;
    else {
      this.lines.push({ slab, start: slab.filled, end: at });
      slab.refs++;
    }
    slab.filled = at;
    this.lineBytes += bytes;
    this.schedule();
    if (this.pendingBytes() < HIGH_WATER) return true;
    this.paused.add(resume);
    return false;
  }

  /** Nothing can be written any more: what would go there is only counted. */
  get isBroken(): boolean {
    return this.broken !== null;
  }

  /** Counts a raw chunk of a child's output as dropped, without cutting it into lines first. */
  discard(chunk: Buffer): void {
    let lines = 0;
    for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) lines++;
    this.droppedLines += lines;
    this.droppedBytes += chunk.length;
  }

  /** Queues one of the init's own records (newline included), ahead of the children's lines. */
  record(line: string | Buffer): void {
    const bytes = typeof line === 'string' ? Buffer.from(line) : line;
    if (this.broken !== null || this.recordBytes + bytes.length > RECORDS_MAX_BYTES) {
      this.drop(bytes.length);
      return;
    }
    this.records.push(bytes);
    this.recordBytes += bytes.length;
    this.schedule();
  }

  stats(): WriterStats {
    return { droppedLines: this.droppedLines, droppedBytes: this.droppedBytes, error: this.broken, pendingBytes: this.pendingBytes() };
  }

  /** Resolves once nothing is left to write (or nothing more can be). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * At process exit, when nothing is in flight in the stream: writes what is still queued
   * synchronously, as far as the descriptor takes it without blocking.
   */
  flushSync(): void {
    if (this.broken !== null || this.stream.writableLength > 0) return;
    const items = [...this.records.splice(0), ...this.lines.splice(0).map((segment) => segment.slab.bytes.subarray(segment.start, segment.end))];
    for (const item of items) {
      try {
        for (let offset = 0; offset < item.length; ) offset += writeSync(this.fd, item, offset);
      } catch {
        return; // EAGAIN (the reader is stuck) or gone: what is left is lost with the process
      }
    }
  }

  private pendingBytes(): number {
    return this.recordBytes + this.lineBytes + this.stream.writableLength;
  }

  private isIdle(): boolean {
    return this.broken !== null || (this.recordBytes + this.lineBytes === 0 && this.stream.writableLength === 0);
  }

  // Lines are batched per event-loop turn: one read of a child's pipe holds many lines, written in one go.
  private schedule(): void {
    if (this.scheduled || this.waitingForDrain) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.broken === null && !this.waitingForDrain && this.recordBytes + this.lineBytes > 0) {
      let batch: Buffer;
      let slab: Slab | undefined;
      if (this.records.length > 0) batch = this.takeRecords();
      else {
        const segment = this.lines.shift() as Segment;
        slab = segment.slab;
        batch = slab.bytes.subarray(segment.start, segment.end);
        this.lineBytes -= batch.length;
      }
      try {
        const more = this.stream.write(batch, (error) => {
          if (slab) this.release(slab);
          if (error) this.fail(error);
          else this.checkIdle();
        });
        if (!more) this.waitingForDrain = true;
      } catch (error) {
        this.fail(error as Error);
      }
    }
    if (this.broken === null && this.pendingBytes() < HIGH_WATER / 2) {
      const paused = [...this.paused];
      this.paused.clear();
      for (const resume of paused) resume();
    }
    this.checkIdle();
  }

  private takeRecords(): Buffer {
    const batch = Buffer.concat(this.records.splice(0));
    this.recordBytes = 0;
    return batch;
  }

  /** A slab with room for `bytes` more: the current one, a spare one, or a new one. */
  private slabFor(bytes: number): Slab {
    const current = this.slab;
    if (current !== undefined && current.filled + bytes <= current.bytes.length) return current;
    // A line longer than a slab (a json record of a long line of escapes) gets memory of its own, not kept.
    if (bytes > SLAB_BYTES) return { bytes: Buffer.allocUnsafe(bytes), filled: 0, refs: 0 };
    if (current !== undefined && current.refs === 0) {
      current.filled = 0;
      return current;
    }
    const next = this.spare.pop() ?? { bytes: Buffer.allocUnsafe(SLAB_BYTES), filled: 0, refs: 0 };
    this.slab = next;
    if (current !== undefined) this.retire(current);
    return next;
  }

  /** A segment of `slab` is written (or dropped). */
  private release(slab: Slab): void {
    slab.refs--;
    if (slab.refs === 0 && slab !== this.slab) this.retire(slab);
  }

  /** A slab no longer filled: kept as a spare once nothing on it waits, if it is one of ours. */
  private retire(slab: Slab): void {
    if (slab.refs > 0 || slab.bytes.length !== SLAB_BYTES || this.spare.length >= SPARE_SLABS) return;
    slab.filled = 0;
    this.spare.push(slab);
  }

  private fail(error: Error): void {
    if (this.broken !== null) return;
    this.broken = (error as NodeJS.ErrnoException).code ?? error.message;
    // What was still queued is lost with the stream; what was handed to it cannot be counted.
    for (const item of this.records.splice(0)) this.drop(item.length);
    for (const segment of this.lines.splice(0)) this.discard(segment.slab.bytes.subarray(segment.start, segment.end));
    this.recordBytes = this.lineBytes = 0;
    this.slab = undefined;
    this.spare.length = 0;
    const paused = [...this.paused];
    this.paused.clear();
    for (const resume of paused) resume();
    this.checkIdle();
    this.onBroken?.(this.broken);
  }

  private drop(bytes: number): void {
    this.droppedLines++;
    this.droppedBytes += bytes;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length > 0 && this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
