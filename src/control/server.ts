// The init's control socket: a unix stream socket, mode 0600, one JSON request
// line in, one JSON answer line out.
import { chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { boundSocketFile, claimSocketPath } from '../pid1/socket-path.ts';
import type { ControlRequest, ControlResponse } from './protocol.ts';

export type ControlHandler = (request: ControlRequest) => Promise<ControlResponse> | ControlResponse;

export interface ControlServer {
  /** Stops listening and removes the socket file, unless another file has since taken its path. Synchronous, so it can run at exit. */
  close(): void;
}

/**
 * Listens on `path`; a stale socket file left by a dead init is replaced, anything else
 * there (a live socket, a file, a directory, a symlink) is refused with SocketPathRefused,
 * as is a path no unix socket can have.
 */
export async function startControlServer(path: string, handle: ControlHandler): Promise<ControlServer> {
  claimSocketPath(path);
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    const lines = createInterface({ input: socket });
    lines.on('error', () => undefined); // readline repeats the socket's errors, handled above
    lines.once('line', (line) => {
      lines.close();
      void respond(line, handle).then((response) => socket.end(`${JSON.stringify(response)}\n`));
    });
  });
  // The socket file is created by bind(), inside listen(): a tight umask makes it 0600 from the start.
  const previous = process.umask(0o077);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(previous);
  }
  const file = boundSocketFile(path);
  chmodSync(path, 0o600);
  server.unref(); // the control socket alone must not keep the init alive
  return {
    close: () => {
      file.remove();
      server.close();
    },
  };
}

const COMMANDS: readonly ControlRequest['command'][] = ['status', 'health', 'live', 'reload', 'signal'];

async function respond(line: string, handle: ControlHandler): Promise<ControlResponse> {
  let request: ControlRequest;
  try {
    request = JSON.parse(line) as ControlRequest;
  } catch {
    return { ok: false, error: 'the request is not JSON' };
  }
  if (!COMMANDS.includes(request.command)) return { ok: false, error: `unknown command ${JSON.stringify((request as { command?: unknown }).command)}` };
  try {
    return await handle(request);
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
