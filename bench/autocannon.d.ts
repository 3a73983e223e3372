// The part of autocannon (a CommonJS package without types) that bench/load.ts uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  function autocannon(options: autocannon.Options): autocannon.Instance;

  namespace autocannon {
    /**
     * A connection's client, as setupClient gets it. Only `on` is public; the rest are
     * internals of autocannon 9 (lib/httpClient.js) that bench/load.ts wraps.
     */
    interface Client extends EventEmitter {
      _connect(): void;
      _doRequest(): void;
      pipelinedRequests: { size(): number; clear(): void };
    }

    interface Options {
      url: string;
      connections?: number;
      pipelining?: number;
      /** Seconds. */
      duration?: number;
      /** Seconds before a request counts as timed out. */
      timeout?: number;
      maxOverallRequests?: number;
      /** Milliseconds between samples; a stop() takes effect at the next one. */
      sampleInt?: number;
      /** Called with each connection's client before it connects. */
      setupClient?: (client: Client) => void;
    }

    interface Percentiles {
      average: number;
      min: number;
      max: number;
      p50: number;
      p90: number;
      p99: number;
    }

    interface Result {
      /** Seconds. */
      duration: number;
      /** Connection errors and timeouts (a timeout is counted in both). */
      errors: number;
      timeouts: number;
      non2xx: number;
      mismatches: number;
      resets: number;
      statusCodeStats: Record<string, { count: number }>;
      /** Milliseconds, of the responses received. */
      latency: Percentiles;
      requests: Percentiles & { total: number; sent: number };
    }

    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop(): void;
    }
  }

  export = autocannon;
}
