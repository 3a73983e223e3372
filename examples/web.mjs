// The `web` example: an HTTP server. It serves on the socket the init hands it
// (LISTEN_FDS, fd 3, as systemd's socket activation does) or else on PORT, reports
// ready once listening, and on SIGTERM drains: stops accepting, finishes the requests
// in flight, closes idle keep-alive connections, then exits.
import { createServer } from 'node:http';
import { notify } from './notify.mjs';

const name = `web.${process.env.BATON_INSTANCE ?? '1'} (generation ${process.env.BATON_GENERATION ?? '1'}, pid ${process.pid})`;

if (process.env.WEB_FAIL_START === '1') {
  console.error(`${name}: WEB_FAIL_START=1, failing on purpose`);
  notify({ status: 'failing on purpose (WEB_FAIL_START=1)' });
  process.exit(3);
}

let draining = false;
const server = createServer((request, response) => {
  const delay = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
  setTimeout(() => {
    if (draining) response.setHeader('Connection', 'close');
    response.setHeader('Content-Type', 'text/plain');
    response.end(`hello from ${name}\n`);
  }, Math.min(delay, 10_000));
});
server.keepAliveTimeout = 5_000;

const inherited = process.env.LISTEN_FDS === '1' && process.env.LISTEN_PID === String(process.pid);
const where = inherited ? { fd: 3 } : { port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1' };
server.listen(where, () => {
  const address = inherited ? `the socket from the init (${process.env.LISTEN_FDNAMES ?? 'fd 3'})` : `${where.host}:${where.port}`;
  console.log(`${name}: listening on ${address}`);
  notify({ ready: true, status: `serving on ${address}` });
});

process.on('SIGTERM', () => {
  draining = true;
  notify({ stopping: true, status: 'draining' });
  console.log(`${name}: draining`);
  server.close(() => {
    console.log(`${name}: drained, bye`);
    process.exit(0);
  });
  server.closeIdleConnections();
});
