// `node /init.js --status | --health`: one request to the running init's control socket.
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
import type { ControlRequest, ControlResponse } from './protocol.ts';

export class ControlUnavailable extends Error {}

export async function request(path: string, body: ControlRequest): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      reject(new ControlUnavailable(`cannot reach the init's control socket ${path}: ${error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? 'no baton is running there' : error.message} (set BATON_CONTROL_SOCKET if it listens elsewhere)`));
    });
    socket.once('connect', () => socket.write(`${JSON.stringify(body)}\n`));
    const lines = createInterface({ input: socket });
    lines.on('error', () => undefined); // readline repeats the socket's errors, handled above
    lines.once('line', (line) => {
      // Settle before closing: closing emits 'close', which would reject first.
      try {
        resolve(JSON.parse(line) as ControlResponse);
      } catch {
        reject(new Error(`unreadable answer from ${path}`));
      }
      lines.close();
      socket.destroy();
    });
    lines.once('close', () => reject(new ControlUnavailable(`the init at ${path} closed the connection without answering`)));
  });
}
