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
import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** Bytes waiting (in the queue and in the stream) above which the children are paused. */
export const HIGH_WATER = 256 * 1024;
/** The init's own records waiting, above which new ones are dropped and counted. */
const RECORDS_MAX_BYTES = 1024 * 1024;
/** At most this much is handed to the stream at once: a record waits behind no more. */
const BATCH_BYTES = 64 * 1024;

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
  /** Each item: whole lines, as the parts they are made of (copied together once, when written). */
  private readonly lines: Array<{ parts: Buffer[]; bytes: number }> = [];
  private recordBytes = 0;
  private lineBytes = 0;
  private scheduled = false;
  private waitingForDrain = false;
  private broken: string | null = null;
  private droppedLines = 0;
  private droppedBytes = 0;
  /** Callers told to stop reading, resumed once the backlog is down. */
  private paused: Array<() => void> = [];
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
   * Queues a child's line (newline included). Returns false when the caller should stop
   * reading until `resume` is called.
   */
  push(line: Buffer | Buffer[], resume: () => void): boolean {
    const parts = Array.isArray(line) ? line : [line];
    const bytes = parts.reduce((sum, part) => sum + part.length, 0);
    if (this.broken !== null) {
      this.drop(bytes);
      return true;
    }
    this.lines.push({ parts, bytes });
    this.lineBytes += bytes;
    this.schedule();
    if (this.pendingBytes() < HIGH_WATER) return true;
    this.paused.push(resume);
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
    for (const queue of [this.records, this.lines.splice(0).map((item) => Buffer.concat(item.parts, item.bytes))]) {
      for (const item of queue.splice(0)) {
        try {
          for (let offset = 0; offset < item.length; ) offset += writeSync(this.fd, item, offset);
        } catch {
          return; // EAGAIN (the reader is stuck) or gone: what is left is lost with the process
        }
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
      const batch = this.records.length > 0 ? this.takeRecords() : this.takeLines();
      try {
        if (!this.stream.write(batch, (error) => (error ? this.fail(error) : this.checkIdle()))) this.waitingForDrain = true;
      } catch (error) {
        this.fail(error as Error);
      }
    }
    if (this.broken === null && this.pendingBytes() < HIGH_WATER / 2) {
      for (const resume of this.paused.splice(0)) resume();
    }
    this.checkIdle();
  }

  private takeRecords(): Buffer {
    const batch = Buffer.concat(this.records.splice(0));
    this.recordBytes = 0;
    return batch;
  }

  private takeLines(): Buffer {
    let count = 0;
    let bytes = 0;
    while (count < this.lines.length && (count === 0 || bytes + (this.lines[count]?.bytes ?? 0) <= BATCH_BYTES)) {
      bytes += this.lines[count]?.bytes ?? 0;
      count++;
    }
    this.lineBytes -= bytes;
    const parts = this.lines.splice(0, count).flatMap((item) => item.parts);
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes);
  }

  private fail(error: Error): void {
    if (this.broken !== null) return;
    this.broken = (error as NodeJS.ErrnoException).code ?? error.message;
    // What was still queued is lost with the stream; what was handed to it cannot be counted.
    for (const item of this.records.splice(0)) this.drop(item.length);
    for (const item of this.lines.splice(0)) this.drop(item.bytes);
    this.recordBytes = this.lineBytes = 0;
    for (const resume of this.paused.splice(0)) resume();
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
