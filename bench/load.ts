import { Pool } from 'undici';

/** One request of a load run: what to send, and how to name what came back. */
export interface LoadRequest {
  path: string;
  body: string;
  headers?: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  throughput: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  outcomes: Record<string, number>;
}

export interface LoadOptions {
  origin: string;
  connections: number;
  durationMs: number;
  /** The next request for client `client` (0..connections-1). */
  next: (client: number) => LoadRequest;
  /** The outcome of a response: 'ok', an error code, or anything else worth counting. */
  classify: (status: number, body: string) => string;
}

/**
 * A closed-loop load generator over HTTP keep-alive: `connections` clients, each on
 * its own connection, each sending its next request as soon as the last one answered,
 * for `durationMs`. Every latency is kept, so the percentiles are exact.
 */
export async function drive(options: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(options.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + options.durationMs;
  const client = async (id: number) => {
    while (performance.now() < deadline) {
      const request = options.next(id);
      const sent = performance.now();
      let outcome: string;
      try {
        const response = await pool.request({
          method: 'POST',
          path: request.path,
          headers: { 'content-type': 'application/json', ...request.headers },
          body: request.body,
        });
        outcome = options.classify(response.statusCode, await response.body.text());
      } catch (error) {
        outcome = `network: ${(error as Error).message}`;
      }
      latencies.push(performance.now() - sent);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, (_, i) => client(i)));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return { requests: latencies.length, seconds, throughput: latencies.length / seconds, latencyMs: percentiles(latencies), outcomes };
}

export function percentiles(values: number[]): LoadResult['latencyMs'] {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0);
  return { p50: at(50), p95: at(95), p99: at(99), max: sorted.length ? sorted[sorted.length - 1] : 0 };
}

/** GraphQL responses: 'ok', or the first error's code. */
export function classifyGraphQL(status: number, body: string): string {
  try {
    const json = JSON.parse(body) as { errors?: { extensions?: { code?: string } }[] };
    if (json.errors?.length) return json.errors[0].extensions?.code ?? 'error';
    return status === 200 ? 'ok' : `http ${status}`;
  } catch {
    return `http ${status}`;
  }
}

/** Runs one GraphQL operation with `{ input }` as an admin would while seeding; throws on any error. */
export type Call = <T>(query: string, input: Record<string, unknown>) => Promise<T>;

export function apiCaller(url: string, token: string): Call {
  return async <T>(query: string, input: Record<string, unknown>): Promise<T> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables: { input } }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    if (!body.data || body.errors) throw new Error(`seeding through the API failed: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
}
