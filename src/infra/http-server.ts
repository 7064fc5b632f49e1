import cluster from 'node:cluster';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import type { Logger } from './logger.js';

export const GRAPHQL_PATH = '/graphql';
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'up' | 'down' | 'stopping'>;
}

export interface HttpHandlerOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  context: (req: IncomingMessage) => Promise<TContext>;
  readiness: () => Promise<ReadinessReport>;
  logger: Logger;
  /** What browsers need before the API (CORS headers and preflights, pages): true when it answered. */
  web?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** Operators' GET endpoints by path (under /internal/), each answering JSON. */
  internal?: Record<string, (req: IncomingMessage) => Promise<{ status: number; body: unknown }>>;
}

/**
 * node:http in front of Apollo: /graphql goes to Apollo, /healthz and /readyz answer
 * directly. A plain listener keeps the hot path short and leaves the same server free
 * for the WebSocket upgrade on /graphql.
 */
export function createHttpHandler<TContext extends BaseContext>(
  options: HttpHandlerOptions<TContext>,
): RequestListener {
  return (req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      options.logger.error({ err, url: req.url }, 'HTTP request failed');
      if (!res.headersSent) sendJson(res, 500, errorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
      else res.destroy();
    });
  };
}

async function handle<TContext extends BaseContext>(
  { apollo, context, readiness, web, internal }: HttpHandlerOptions<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (web && (await web(req, res))) return;
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/healthz' && isRead(req)) {
    sendJson(res, 200, { status: 'ok' });
    return;
  }
  if (url.pathname === '/readyz' && isRead(req)) {
    const report = await readiness();
    // One of several processes (SERVER_PROCESSES) also says which one answered.
    const worker = cluster.isWorker ? { pid: process.pid } : {};
    sendJson(res, report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not ready', ...report.checks, ...worker });
    return;
  }
  const operator = internal && Object.hasOwn(internal, url.pathname) ? internal[url.pathname] : undefined;
  if (operator && isRead(req)) {
    const { status, body } = await operator(req);
    sendJson(res, status, body);
    return;
  }
  if (url.pathname !== GRAPHQL_PATH) {
    sendJson(res, 404, { error: 'not found' });
    return;
  }

  const body = await readBody(req);
  if (body.kind === 'too-large') {
    sendJson(res, 413, errorBody(`Request body over ${MAX_BODY_BYTES} bytes`, 'BAD_USER_INPUT'));
    return;
  }
  if (body.kind === 'invalid') {
    sendJson(res, 400, errorBody('Request body is not valid JSON', 'BAD_USER_INPUT'));
    return;
  }

  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const httpGraphQLRequest: HTTPGraphQLRequest = {
    method: (req.method ?? 'GET').toUpperCase(),
    headers,
    search: url.search,
    body: body.value,
  };
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest,
    context: () => context(req),
  });

  res.statusCode = response.status ?? 200;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  if (response.body.kind === 'complete') {
    const retryAfter = retryAfterOf(response.body.string);
    if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * extensions.retryAfterSeconds of the answer's first error (BUSY during an outage,
 * RATE_LIMITED), for the Retry-After header. Only a body that mentions it is parsed.
 */
export function retryAfterOf(body: string): number | undefined {
  if (!body.includes('"retryAfterSeconds"')) return undefined;
  try {
    const parsed = JSON.parse(body) as { errors?: { extensions?: { retryAfterSeconds?: unknown } }[] };
    const seconds = parsed.errors?.[0]?.extensions?.retryAfterSeconds;
    return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
  } catch {
    return undefined;
  }
}

function isRead(req: IncomingMessage): boolean {
  return req.method === 'GET' || req.method === 'HEAD';
}

type Body = { kind: 'ok'; value: unknown } | { kind: 'too-large' } | { kind: 'invalid' };

async function readBody(req: IncomingMessage): Promise<Body> {
  if (req.method !== 'POST') return { kind: 'ok', value: undefined };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { kind: 'too-large' };
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  // Apollo answers non-JSON content types itself (and refuses them: CSRF prevention).
  if (!type.includes('json')) return { kind: 'ok', value: text };
  if (text === '') return { kind: 'ok', value: undefined };
  try {
    return { kind: 'ok', value: JSON.parse(text) };
  } catch {
    return { kind: 'invalid' };
  }
}

function errorBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
