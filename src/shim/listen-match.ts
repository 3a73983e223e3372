// Which listen calls the listen shim rewrites: a listen on exactly PORT, on every address
// (no host, 0.0.0.0 or ::), becomes a listen on the socket the init passed as fd 3.
// Anything else (another port, a host of its own, a unix path, a handle, an fd) is left as it is.

/** SD_LISTEN_FDS_START: the first passed socket, as in systemd's socket activation. */
export const LISTEN_FD = 3;

/** The hosts that mean "every address": the socket the init holds answers there whatever its own address. */
const ANY_HOST = new Set<unknown>([undefined, null, '', '0.0.0.0', '::']);

/** PORT as the shim reads it at start-up: a port number, else undefined (and the shim does nothing). */
export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Node reads a port given as a number or as a string of digits. */
function isPort(value: unknown, port: number): boolean {
  if (typeof value === 'number') return value === port;
  return typeof value === 'string' && /^\d+$/.test(value) && Number(value) === port;
}

function backlogOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * The arguments `net.Server#listen` is called with instead, or undefined to leave the call
 * as it is. The forms Node accepts: (port[, host][, backlog][, callback]) and
 * (options[, callback]); a string that is not all digits is a unix path, never a port.
 */
export function rewriteListen(args: readonly unknown[], port: number): unknown[] | undefined {
  const [first] = args;
  const last = args.at(-1);
  const callback = typeof last === 'function' ? [last] : [];
  if (typeof first === 'object' && first !== null) {
    const options = first as Record<string, unknown>;
    if (!('port' in options) || !isPort(options.port, port) || !ANY_HOST.has(options.host)) return undefined;
    // A path, fd or handle beside the port: not a plain listen on PORT.
    if (options.path !== undefined || options.fd !== undefined || options.handle !== undefined) return undefined;
    const backlog = backlogOf(options.backlog);
    return [{ fd: LISTEN_FD, ...(backlog === undefined ? {} : { backlog }), ...(options.signal === undefined ? {} : { signal: options.signal }) }, ...callback];
  }
  if (!isPort(first, port)) return undefined;
  const host = typeof args[1] === 'string' ? args[1] : undefined;
  if (!ANY_HOST.has(host)) return undefined;
  // As Node reads it: the backlog is the number after the port, or after the host.
  const backlog = backlogOf(args[1]) ?? backlogOf(args[2]);
  return [{ fd: LISTEN_FD, ...(backlog === undefined ? {} : { backlog }) }, ...callback];
}
