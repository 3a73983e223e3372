// The listen shim (BATON_<NAME>_LISTEN_SHIM), preloaded into an instance through
// NODE_OPTIONS=--require: the first listen on exactly PORT takes the socket the init holds
// (fd 3), so that an app written for `listen(PORT)` runs several instances on one port and
// is reloaded without a refused connection. It acts only in the process the socket was
// passed to (LISTEN_PID, as systemd's sd_listen_fds checks): a child process or a cluster
// worker, which inherits NODE_OPTIONS, is left alone.
import { Server } from 'node:net';
import { parsePort, rewriteListen } from './listen-match.ts';

const port = parsePort(process.env.PORT);
if (port !== undefined && process.env.LISTEN_FDS === '1' && process.env.LISTEN_PID === String(process.pid)) {
  const listen = Server.prototype.listen;
  let taken = false;
  // Only the first: fd 3 is one socket, and a server closed on it closes it; a second
  // listen on PORT is left as it is (and finds the port in use, held by the init).
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    const rewritten = taken ? undefined : rewriteListen(args, port);
    if (rewritten !== undefined) taken = true;
    return Reflect.apply(listen, this, rewritten ?? args) as Server;
  } as typeof listen;
}
