// BATON_LOG_FORMAT=pretty: pino's records as lines a person reads in `docker logs`,
// such as "0.65s info: web.1 [pid=96760] ready". A pino destination, not a logger.
import { writeSync } from 'node:fs';

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const SHOWN_APART = new Set(['level', 'time', 'msg', 'service', 'instance', 'pid', 'name']);

export function prettyLine(record: Record<string, unknown>, startedAt: number): string {
  const elapsed = ((Number(record.time) - startedAt) / 1000).toFixed(2);
  const level = LEVEL_NAMES[Number(record.level)] ?? String(record.level);
  const subject = record.service === undefined ? 'baton' : record.instance === undefined ? String(record.service) : `${String(record.service)}.${String(record.instance)}`;
  const pid = record.pid === undefined ? '' : ` [pid=${String(record.pid)}]`;
  const extra = Object.entries(record)
    .filter(([key]) => !SHOWN_APART.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${elapsed}s ${level}: ${subject}${pid} ${String(record.msg ?? '')}${extra.length > 0 ? ` (${extra.join(' ')})` : ''}\n`;
}

/** A destination for pino that passes pretty lines on to `sink` (by default, written synchronously to fd 2). */
export function prettyDestination(startedAt: number, sink: (line: string) => void = (line) => writeSync(2, line)): { write(chunk: string): void } {
  return {
    write(chunk: string): void {
      for (const json of chunk.split('\n')) {
        if (json === '') continue;
        sink(prettyLine(JSON.parse(json) as Record<string, unknown>, startedAt));
      }
    },
  };
}
