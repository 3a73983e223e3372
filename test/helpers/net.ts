// Network helpers for the tests, 127.0.0.1 only: a free port, and a GET that retries as HTTP clients do.
import { request as httpRequest, type Agent } from 'node:http';
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
