// `--status`, `--status --json`, `--health`, `--live` and `--reload`: ask the running init.
import { clientSocketPath } from '../control/paths.ts';
import { request } from '../control/client.ts';
import { formatStatus } from '../cli/status-table.ts';
import { EXIT_NO_INIT, EXIT_NOT_LIVE, EXIT_OK, EXIT_RELOAD_FAILED, EXIT_UNHEALTHY } from '../pid1/exit-codes.ts';

export async function runQuery(kind: 'status' | 'health' | 'live' | 'reload', json: boolean): Promise<number> {
  const path = clientSocketPath(process.env.BATON_CONTROL_SOCKET);
  let response;
  try {
    response = await request(path, { command: kind });
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
