// The `web` example: an HTTP server. It serves on the socket the init hands it
// (LISTEN_FDS, fd 3, as systemd's socket activation does) or else on PORT, reports
// ready once listening, and on SIGTERM or SIGINT drains: stops accepting, finishes the
// requests in flight, closes idle keep-alive connections, then exits. (SIGINT too: pm2
// and a Ctrl-C stop with it, and the same stop must reach the same drain.)
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { Server } from 'node:net';
import { notify } from './notify.mjs';

const name = `web.${process.env.BATON_INSTANCE ?? '1'} (generation ${process.env.BATON_GENERATION ?? '1'}, pid ${process.pid})`;

// To try a reload that fails: WEB_FAIL_START=1, or WEB_FAIL_START_FILE naming a file
// that exists when an instance starts (create it, then `docker kill -s HUP`).
const failFile = process.env.WEB_FAIL_START_FILE;
if (process.env.WEB_FAIL_START === '1' || (failFile !== undefined && existsSync(failFile))) {
  console.error(`${name}: failing its start on purpose`);
  notify({ status: 'failing on purpose (WEB_FAIL_START)' });
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

const IDLE_GRACE_MS = 1_000;

function drain() {
  if (draining) return;
  draining = true;
  notify({ stopping: true, status: 'draining' });
  console.log(`${name}: draining`);
  // Stop accepting but keep the open connections: each one's next answer says
  // `Connection: close` (above), then it ends. Closing an idle kept-alive connection now
  // would fail a request the client may be sending on it at this moment (ECONNRESET); so
  // only those still idle after IDLE_GRACE_MS are closed. (http.Server#close closes the
  // idle ones at once since Node 19; net.Server#close only stops accepting.)
  Server.prototype.close.call(server, () => {
    console.log(`${name}: drained, bye`);
    process.exit(0);
  });
  setTimeout(() => server.closeIdleConnections(), IDLE_GRACE_MS).unref();
}

process.on('SIGTERM', drain);
process.on('SIGINT', drain);
