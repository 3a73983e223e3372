// Readiness probes for instances that say nothing themselves: ready once a TCP connect
// succeeds, or once an HTTP GET answers 2xx. Both retry until then, or until aborted.
import { request, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { maskedUrl } from './masked-url.ts';

const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 1_000;
/** One attempt that hangs (a SYN dropped, a server that accepts and never answers) must not stall the probe. */
const ATTEMPT_TIMEOUT_MS = 2_000;

/** Resolves on the first successful connect to host:port; rejects with the signal's reason when aborted. */
export async function waitForTcp(host: string, port: number, signal: AbortSignal): Promise<void> {
  await retry(signal, () => tryConnect(host, port, signal));
}

/** Resolves on the first 2xx answer to a GET of `url`; rejects with the signal's reason when aborted. */
export async function waitForHttp(url: string, signal: AbortSignal): Promise<void> {
  const target = new URL(url);
  // A URL that can never be fetched would otherwise be retried until the ready timeout, saying nothing.
  if (target.protocol !== 'http:') throw new Error(`readiness probe ${maskedUrl(url)}: only http:// URLs can be probed`);
  await retry(signal, () => tryGet(target, signal));
}

/** Runs `attempt` until it succeeds, waiting 50 ms, 100 ms, … up to 1 s between failures. */
async function retry(signal: AbortSignal, attempt: () => Promise<boolean>): Promise<void> {
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    signal.throwIfAborted();
    if (await attempt()) return;
    await sleep(delay, signal);
  }
}

function tryConnect(host: string, port: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: ATTEMPT_TIMEOUT_MS });
    const settle = (connected: boolean): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(connected);
    };
    const onAbort = (): void => {
      socket.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort(); // aborted by something connect() itself set off
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
    socket.once('timeout', () => settle(false));
  });
}

function tryGet(url: URL, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve, reject) => {
    // A connection of its own, closed after the answer: nothing is left pooled to keep the init alive.
    const req: ClientRequest = request(url, { method: 'GET', agent: false, timeout: ATTEMPT_TIMEOUT_MS, headers: { connection: 'close' } });
    let settled = false;
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = (): void => {
      settled = true;
      req.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort(); // aborted by something request() itself set off
    req.once('response', (res) => {
      // Read the body to its end, so the server is not left blocked writing it.
      res.resume();
      // A body cut short changes nothing once the status is known.
      res.on('error', () => undefined);
      const status = res.statusCode ?? 0;
      settle(status >= 200 && status < 300);
    });
    req.once('timeout', () => {
      req.destroy();
      settle(false);
    });
    // After the answer, an error only means the body was cut short: the verdict stands.
    req.on('error', () => settle(false));
    req.end();
  });
}

/** Like timers/promises' setTimeout, but rejects with the signal's own reason rather than an AbortError. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
