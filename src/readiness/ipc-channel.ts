// READY=ipc: the instance's Node IPC channel, read as pm2's wait_ready reads it, where
// `process.send('ready')` marks it ready. The init hands the child one end of a socket
// pair and names it in NODE_CHANNEL_FD, with NODE_CHANNEL_SERIALIZATION_MODE=json: a
// Node child then has process.send, which writes each message as one line of JSON. The
// init reads that end as plain bytes, not through Node's own channel, whose parser holds
// a message until its end arrives however long it grows; here a line longer than
// MAX_LINE is skipped, so memory stays bounded whatever the child sends.
import { BoundedLines } from './bounded-lines.ts';

/** `process.send('ready')` is `"ready"` and a newline; no message the init reads comes near this. */
export const MAX_LINE = 4 * 1024;

/** `ready`: the one message the init acts on; `other`: anything else, ignored. */
export type IpcMessage = 'ready' | 'other';

export class IpcChannelParser {
  private readonly lines = new BoundedLines(MAX_LINE);

  push(chunk: Buffer | string): IpcMessage[] {
    return this.lines.push(chunk).map((line) => ('line' in line ? parseLine(line.line) : 'other'));
  }
}

function parseLine(line: string): IpcMessage {
  // Exactly the string: pm2 compares the message with 'ready' too.
  return line === '"ready"' ? 'ready' : 'other';
}

/**
 * Reads `stream`, the init's end of the channel, until it ends, and calls `onMessage` for
 * each message. The channel stays open after ready: a pm2 app may call process.send at any
 * time, and a send on a closed channel is an 'error' event that ends a Node process that
 * has no listener for it.
 */
export function readIpcChannel(stream: NodeJS.ReadableStream, onMessage: (m: IpcMessage) => void): void {
  const parser = new IpcChannelParser();
  stream.on('data', (chunk: Buffer | string) => {
    for (const message of parser.push(chunk)) onMessage(message);
  });
  // The child's end closing, or a read error, only ends the channel: its exit is what counts.
  stream.on('error', () => undefined);
}
