// `--status`: the running init's generations and instances as a table.
import type { OutputStats } from '../log/output.ts';
import type { WriterStats } from '../log/fd-writer.ts';
import type { InstanceStatus, StatusSnapshot } from '../control/protocol.ts';

export function formatStatus(status: StatusSnapshot, now: number, output?: OutputStats): string {
  const header = ['GEN', 'SERVICE', 'PID', 'STATE', 'FOR', 'READY FOR', 'KEEP-ALIVE', 'RSS', 'RESTARTS', 'LAST STATUS'];
  const rows = status.generations.flatMap((generation) =>
    generation.instances.map((instance) => [
      `${generation.number} (${generation.state})`,
      `${instance.service}.${instance.instance}`,
      instance.pid === null ? '-' : String(instance.pid),
      instance.state,
      instance.since === null ? '-' : duration(now - instance.since),
      instance.readySince === null ? '-' : duration(now - instance.readySince),
      instance.lastKeepAlive === null ? '-' : `${duration(now - instance.lastKeepAlive)} ago`,
      instance.rss === null ? '-' : mebibytes(instance.rss),
      restarts(instance),
      instance.lastStatus ?? '-',
    ]),
  );
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  const summary = `baton (pid ${status.pid}): ${status.healthy ? 'healthy' : 'not healthy'}`;
  const streams = output === undefined ? [] : [`output: stdout ${streamState(output.stdout)}; stderr ${streamState(output.stderr)}`];
  return [summary, ...streams, line(header), ...rows.map(line)].join('\n') + '\n';
}

/** `3 (crashed 2, watchdog 1)`: how many, and why the instances before ended. */
function restarts(instance: InstanceStatus): string {
  const causes = Object.entries(instance.restartsBy).map(([cause, count]) => `${cause} ${count}`);
  return causes.length === 0 ? String(instance.restarts) : `${instance.restarts} (${causes.join(', ')})`;
}

function streamState(stats: WriterStats): string {
  const failed = stats.error === null ? 'ok' : `failed (${stats.error})`;
  return stats.droppedLines === 0 ? failed : `${failed}, ${stats.droppedLines} lines (${stats.droppedBytes} bytes) dropped`;
}

/** `123.4M`: resident memory in MiB (1024-based, as MAX_MEMORY's M). */
function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)}M`;
}

function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
