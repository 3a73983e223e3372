// `--status`, `--status --json` and `--health`: ask the running init.
import { clientSocketPath } from '../control/paths.ts';
import { request } from '../control/client.ts';
import { formatStatus } from '../cli/status-table.ts';

export const EXIT_UNHEALTHY = 1;
/** The control socket cannot be reached: no init, or not where we looked. */
export const EXIT_NO_INIT = 3;

export async function runQuery(kind: 'status' | 'health', json: boolean): Promise<number> {
  const path = clientSocketPath(process.env.BATON_CONTROL_SOCKET);
  let response;
  try {
    response = await request(path, { command: kind });
  } catch (error) {
    process.stderr.write(`baton: ${(error as Error).message}\n`);
    return kind === 'health' ? EXIT_UNHEALTHY : EXIT_NO_INIT;
  }
  if (!response.ok) {
    process.stderr.write(`baton: the init refused the request: ${response.error}\n`);
    return EXIT_NO_INIT;
  }
  if (response.command === 'health') {
    process.stdout.write(response.healthy ? 'healthy\n' : 'not healthy\n');
    return response.healthy ? 0 : EXIT_UNHEALTHY;
  }
  process.stdout.write(json ? `${JSON.stringify(response.status, null, 2)}\n` : formatStatus(response.status, Date.now()));
  return 0;
}
