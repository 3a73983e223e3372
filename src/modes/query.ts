// `--status`, `--status --json`, `--health`, `--live`, `--reload [SERVICE...]` and
// `--signal SIGNAL SERVICE[.N]...`: ask the running init.
import type { Invocation } from '../cli/args.ts';
import { clientSocketPath } from '../control/paths.ts';
import { request } from '../control/client.ts';
import type { ControlRequest, SignalOutcome } from '../control/protocol.ts';
import { formatStatus } from '../cli/status-table.ts';
import { EXIT_NO_INIT, EXIT_NOT_DELIVERED, EXIT_NOT_LIVE, EXIT_OK, EXIT_RELOAD_FAILED, EXIT_UNHEALTHY } from '../pid1/exit-codes.ts';

export type Query = Extract<Invocation, { kind: 'status' | 'health' | 'live' | 'reload' | 'signal' }>;

export async function runQuery(query: Query): Promise<number> {
  const { kind } = query;
  const json = 'json' in query && query.json;
  const path = clientSocketPath(process.env.BATON_CONTROL_SOCKET);
  let response;
  try {
    response = await request(path, requestOf(query));
  } catch (error) {
    process.stderr.write(`baton: ${(error as Error).message}\n`);
    return kind === 'health' ? EXIT_UNHEALTHY : kind === 'reload' ? EXIT_RELOAD_FAILED : EXIT_NO_INIT;
  }
  if (!response.ok) {
    process.stderr.write(`baton: the init refused the request: ${response.error}\n`);
    return EXIT_NO_INIT;
  }
  if (response.command === 'health') {
    process.stdout.write(response.healthy ? 'healthy\n' : 'not healthy\n');
    return response.healthy ? EXIT_OK : EXIT_UNHEALTHY;
  }
  if (response.command === 'live') {
    process.stdout.write(response.live ? 'live\n' : 'shutting down\n');
    return response.live ? EXIT_OK : EXIT_NOT_LIVE;
  }
  if (response.command === 'signal') return reportSignal(response.outcome);
  if (response.command === 'reload') {
    const outcome = response.outcome;
    if (json) process.stdout.write(`${JSON.stringify(outcome)}\n`);
    if (outcome.committed) {
      if (!json) process.stdout.write(`reload committed: generation ${outcome.generation} is live (${outcome.ms} ms)\n`);
      return EXIT_OK;
    }
    if (!json) {
      const detail = 'cancelled' in outcome ? outcome.reason : `generation ${outcome.generation}: ${outcome.reason}${outcome.lastStatus ? ` (last status: ${outcome.lastStatus})` : ''}`;
      process.stderr.write(`reload rolled back: ${detail}\n`);
    }
    return EXIT_RELOAD_FAILED;
  }
  process.stdout.write(json ? `${JSON.stringify({ ...response.status, output: response.output }, null, 2)}\n` : formatStatus(response.status, Date.now(), response.output));
  return EXIT_OK;
}

function requestOf(query: Query): ControlRequest {
  if (query.kind === 'reload') return query.services.length === 0 ? { command: 'reload' } : { command: 'reload', services: query.services };
  if (query.kind === 'signal') return { command: 'signal', signal: query.signal, targets: query.targets };
  return { command: query.kind };
}

/** One line per instance reached; one per target that named none, which makes it exit 1. */
function reportSignal(outcome: SignalOutcome): number {
  for (const { instance, generation, pid } of outcome.delivered) process.stdout.write(`sent to ${instance} (generation ${generation}, pid ${pid})\n`);
  for (const { target, reason } of outcome.unknown) process.stderr.write(`baton: ${target}: ${reason}\n`);
  return outcome.unknown.length === 0 && outcome.delivered.length > 0 ? EXIT_OK : EXIT_NOT_DELIVERED;
}
