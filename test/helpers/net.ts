// Network helpers for the tests, 127.0.0.1 only: a free port, and a GET that retries as HTTP clients do.
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * GET / on 127.0.0.1:`port`, resolving with the body of a 200. A keep-alive connection the
 * server closed as idle just as the request went out processed nothing: it is retried once
 * on a new connection, as HTTP clients do.
 */
export function get(port: number, agent: Agent | false): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/', agent, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (req.reusedSocket && error.code === 'ECONNRESET') get(port, false).then(resolve, reject);
      else reject(error);
    });
    req.end();
  });
}

/** What a load saw: answered requests, failures by message, and the generations that answered (`generation N` in the body). */
export interface LoadResult {
  ok: number;
  failures: string[];
  generations: Set<string>;
}

/**
 * HTTP load on 127.0.0.1:`port` while a test acts: four clients one request at a time
 * each, three on kept-alive connections and one on a new connection per request. Bounded:
 * it runs until stop(), and never past `maxPerClient` requests per client.
 */
export function startLoad(port: number, maxPerClient: number): { stop(): Promise<LoadResult>; readonly result: LoadResult } {
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 8 });
  const result: LoadResult = { ok: 0, failures: [], generations: new Set() };
  let done = false;
  const client = async (agent: Agent | false): Promise<void> => {
    for (let i = 0; !done && i < maxPerClient; i++) {
      try {
        const body = await get(port, agent);
        result.generations.add(body.match(/generation (\d+)/)?.[1] ?? '?');
        result.ok++;
      } catch (error) {
        result.failures.push((error as Error).message);
      }
    }
  };
  const clients = [client(keepAlive), client(keepAlive), client(keepAlive), client(false)];
  return {
    result,
    async stop() {
      done = true;
      await Promise.all(clients);
      keepAlive.destroy();
      return result;
    },
  };
}
