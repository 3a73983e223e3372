// The grammars of BATON_<NAME>_READY and BATON_<NAME>_LISTEN: where a service is reached.
import { EnvError } from 'envalid';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { maskedUrl } from '../readiness/masked-url.ts';
import type { Listen, Readiness } from './types.ts';

const READY_FORMS = 'use none, notify, ipc, tcp:PORT, tcp:HOST:PORT or an http:// URL';
const LISTEN_FORMS = 'use PORT, HOST:PORT or an absolute unix socket path';
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

const DEFAULT_READY_HOST = '127.0.0.1';
const DEFAULT_LISTEN_HOST = '0.0.0.0';

export function parseReadiness(input: string): Readiness {
  const text = input.trim();
  if (text === 'none' || text === 'notify' || text === 'ipc') return { kind: text };
  if (text.startsWith('tcp:')) {
    const address = hostPort(text.slice('tcp:'.length), DEFAULT_READY_HOST);
    if (typeof address === 'string') throw new EnvError(`"${input}" ${address}; ${READY_FORMS}`);
    return { kind: 'tcp', ...address };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new EnvError(`"${maskedUrl(input)}" is not a valid URL; ${READY_FORMS}`);
    }
    // The probe is a plain HTTP GET: no TLS client, no certificates to configure.
    if (url.protocol !== 'http:') throw new EnvError(`"${maskedUrl(input)}" is a ${url.protocol} URL, only http:// is supported; ${READY_FORMS}`);
    return { kind: 'http', url: url.href };
  }
  throw new EnvError(`"${input}" is not a readiness check; ${READY_FORMS}`);
}

export function parseListen(input: string): Listen {
  const text = input.trim();
  // Normalised (`/a//b/./c.sock` is `/a/b/c.sock`), so that two spellings of one path are seen as one.
  if (text.startsWith('/')) return { kind: 'unix', path: resolve(text) };
  const address = hostPort(text, DEFAULT_LISTEN_HOST);
  if (typeof address === 'string') throw new EnvError(`"${input}" ${address}; ${LISTEN_FORMS}`);
  return { kind: 'tcp', ...address };
}

/**
 * `PORT` or `HOST:PORT`; the port is after the last colon so that IPv6 hosts work,
 * bracketed (`[::1]:80`) or not. Returns what is wrong as a string instead of throwing,
 * so each caller can name its own accepted forms.
 */
function hostPort(text: string, defaultHost: string): { host: string; port: number } | string {
  const colon = text.lastIndexOf(':');
  const portText = colon === -1 ? text : text.slice(colon + 1);
  let host = colon === -1 ? defaultHost : text.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') return 'has an empty host';
  if (isIP(host) === 0 && !HOSTNAME.test(host)) return `has "${host}" as host, which is neither an IP address nor a host name`;
  if (portText === '') return 'has no port';
  if (!/^\d+$/.test(portText)) return colon === -1 ? 'is not a port number' : `has "${portText}" as port, which is not a number`;
  const port = Number(portText);
  if (port < 1 || port > 65535) return `has port ${port}, outside 1..65535`;
  return { host, port };
}

/** `127.0.0.1:8080`, `[::1]:8080`: as a URL would write it. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
