// The NOTIFY_PIPE channel: an instance writes lines to a pipe whose fd it was given.
// Three conventions share it, one per line: async-container's JSON objects, systemd's
// KEY=VALUE text, and s6's readiness notification, which is a bare newline.
import { BoundedLines, type BoundedLine } from './bounded-lines.ts';
import { parseSystemdText, type NotifyMessage } from './messages.ts';

/**
 * A child that writes without ever ending a line would otherwise make the init buffer
 * without bound; no real message comes near this.
 */
const MAX_LINE = 64 * 1024;
/** How much of a line that is too long to read is kept, to show in a log. */
const EXCERPT = 200;

const BOOLEAN_KEYS = ['ready', 'stopping', 'reloading'] as const;

export class NotifyPipeParser {
  private readonly lines = new BoundedLines(MAX_LINE);

  push(chunk: Buffer | string): NotifyMessage[] {
    return this.lines.push(chunk).map(toMessage);
  }

  /** At the end of the stream: a last line without its newline still counts. */
  end(): NotifyMessage[] {
    return this.lines.end().map(toMessage);
  }
}

function toMessage(line: BoundedLine): NotifyMessage {
  return 'line' in line ? parseLine(line.line) : tooLong(line.tooLong);
}

/**
 * Reads notify messages from `stream` until it ends. The instance closing its end
 * of the pipe is not a failure (many close it once they are ready), so the end only
 * flushes a last unterminated line; a read error is passed on as a message.
 */
export function readNotifyPipe(stream: NodeJS.ReadableStream, onMessage: (m: NotifyMessage) => void): void {
  const parser = new NotifyPipeParser();
  const deliver = (messages: NotifyMessage[]): void => {
    for (const message of messages) onMessage(message);
  };
  stream.on('data', (chunk: Buffer | string) => deliver(parser.push(chunk)));
  stream.once('end', () => deliver(parser.end()));
  stream.once('error', (error: Error) => {
    deliver(parser.end());
    onMessage({ error: `notify pipe: ${error.message}`, raw: '' });
  });
}

function parseLine(text: string): NotifyMessage {
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (line === '') return { ready: true, raw: line };
  if (line.trimStart().startsWith('{')) return parseJson(line);
  return parseSystemdText(line);
}

function parseJson(line: string): NotifyMessage {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { error: `not valid JSON: ${(error as Error).message}`, raw: line };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'not a JSON object', raw: line };
  }
  const fields = value as Record<string, unknown>;
  // async-container's health check counts every message (its `healthy!` sends {"healthy":true}).
  const message: NotifyMessage = { raw: line, keepAlive: true };
  const problems: string[] = [];
  for (const key of BOOLEAN_KEYS) {
    const field = fields[key];
    if (typeof field === 'boolean') message[key] = field;
    else if (field !== undefined) problems.push(`"${key}" is not true or false`);
  }
  if (typeof fields.status === 'string') message.status = fields.status;
  else if (fields.status !== undefined) problems.push('"status" is not a string');
  // Half-understood, a message could say "ready" when it meant something else.
  return problems.length > 0 ? { error: problems.join('; '), raw: line } : message;
}

function tooLong(line: string): NotifyMessage {
  return { error: `line longer than ${MAX_LINE} characters`, raw: line.slice(0, EXCERPT) };
}
