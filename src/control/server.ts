// The init's control socket: a unix stream socket, mode 0600, one JSON request
// line in, one JSON answer line out.
import { chmodSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import type { ControlRequest, ControlResponse } from './protocol.ts';

export type ControlHandler = (request: ControlRequest) => Promise<ControlResponse> | ControlResponse;

export class ControlSocketInUse extends Error {}

/** Listens on `path`; a stale socket file left by a dead init is replaced, a live one is an error. */
export async function startControlServer(path: string, handle: ControlHandler): Promise<Server> {
  if (await answers(path)) throw new ControlSocketInUse(`another baton is already listening on ${path}`);
  try {
    unlinkSync(path);
  } catch {
    // no stale file
  }
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
  chmodSync(path, 0o600);
  server.unref(); // the control socket alone must not keep the init alive
  return server;
}

async function respond(line: string, handle: ControlHandler): Promise<ControlResponse> {
  let request: ControlRequest;
  try {
    request = JSON.parse(line) as ControlRequest;
  } catch {
    return { ok: false, error: 'the request is not JSON' };
  }
  if (request.command !== 'status' && request.command !== 'health' && request.command !== 'reload') return { ok: false, error: `unknown command ${JSON.stringify((request as { command?: unknown }).command)}` };
  try {
    return await handle(request);
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
