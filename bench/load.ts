// HTTP load on a server of this machine, with autocannon: always 127.0.0.1, bounded in
// time and in the number of requests.
import autocannon, { type Client } from 'autocannon';
import { get } from 'node:http';
import { sleep } from './measure.ts';

export const CONNECTIONS = 50;
/** Hard bounds of one load run, whatever the caller does. */
const MAX_SECONDS = 150;
const MAX_REQUESTS = 5_000_000;

export interface LoadSummary {
  seconds: number;
  /** Responses received. */
  requests: number;
  /** Connection errors + timeouts + non-2xx responses + requests lost (autocannon counts a timeout as an error too: counted once here). */
  failed: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Requests sent on a connection that then closed without answering them (no error seen). */
  lost: number;
  /** Connections the server closed after a `Connection: close` answer, each then replaced by a new one. */
  closedByServer: number;
  /** Latency of the responses, in whole milliseconds (autocannon's resolution). */
  p50: number;
  p99: number;
  max: number;
}

/**
 * Makes autocannon's client follow `Connection: close` and count what it loses.
 *
 * autocannon 9 writes the next request as soon as a response is complete, even one that
 * says `Connection: close` (RFC 9112 9.6: the client MUST NOT send more on it). When the
 * server then closes the connection, that request is gone without an error, and it stays
 * at the head of the client's queue of pending requests: every later response on the
 * client is timed from an earlier request, so the latencies grow with each such close.
 * Here a client that got `Connection: close` sends nothing more on that connection and
 * waits for the server to close it; and whatever is still pending when a connection is
 * replaced without an error (which autocannon counts itself) is counted as lost and
 * dropped from the queue.
 */
function followConnectionClose(counts: { lost: number; closedByServer: number }): (client: Client) => void {
  return (client) => {
    let closing = false;
    let errored = false;
    const connect = client._connect;
    const doRequest = client._doRequest;
    client.on('headers', (info: unknown) => {
      if ((info as { shouldKeepAlive?: boolean } | undefined)?.shouldKeepAlive === false) closing = true;
    });
    client.on('connError', () => (errored = true));
    client._doRequest = function (this: Client) {
      if (!closing) doRequest.call(this);
    };
    client._connect = function (this: Client) {
      const pending = this.pipelinedRequests.size();
      if (pending > 0) {
        if (!errored) counts.lost += pending;
        this.pipelinedRequests.clear();
      }
      if (closing) counts.closedByServer += 1;
      closing = errored = false;
      connect.call(this);
    };
  };
}

/**
 * Keep-alive load from CONNECTIONS connections (one request at a time on each) on
 * http://127.0.0.1:PORT/ for `during` seconds, or for as long as `during()` runs.
 * autocannon stops at its next sample (every 100 ms here) once told to. `responses`, when
 * given, gets each response's Date.now() and latency, to see when the slow ones came.
 */
export async function load(port: number, during: number | (() => Promise<void>), responses?: Array<[at: number, ms: number]>): Promise<LoadSummary> {
  const counts = { lost: 0, closedByServer: 0 };
  const run = autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: MAX_SECONDS,
    sampleInt: 100,
    timeout: 10,
    maxOverallRequests: MAX_REQUESTS,
    setupClient: followConnectionClose(counts),
  });
  if (responses) run.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => responses.push([Date.now(), ms]));
  try {
    if (typeof during === 'number') await sleep(during * 1000);
    else await during();
  } finally {
    run.stop();
  }
  const result = await run;
  return {
    seconds: result.duration,
    requests: result.requests.total,
    failed: result.errors + result.non2xx + counts.lost,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    lost: counts.lost,
    closedByServer: counts.closedByServer,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
  };
}

/** One GET on a connection of its own; resolves with the body, or undefined if it failed. */
function fetchOnce(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 ? body : undefined));
      response.on('error', () => resolve(undefined));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

/** Waits until `count` different processes have answered on the port (examples/web.mjs names its pid). */
export async function answeringProcesses(port: number, count: number, timeoutMs: number): Promise<void> {
  const seen = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while (seen.size < count) {
    if (Date.now() > deadline) throw new Error(`only ${seen.size} of ${count} processes answered on 127.0.0.1:${port} within ${timeoutMs} ms`);
    const pid = /pid (\d+)/.exec((await fetchOnce(port)) ?? '')?.[1];
    if (pid === undefined) await sleep(50);
    else seen.add(pid);
  }
}
