import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import type { CorsOrigins } from '../config.js';

/**
 * What a browser app may send to /graphql: JSON bodies with a bearer token, and the
 * headers Apollo Client and GraphiQL add (client awareness, the CSRF-prevention
 * headers that make a GET non-simple, the operation name).
 */
export const CORS_ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'apollographql-client-name',
  'apollographql-client-version',
  'apollo-require-preflight',
  'x-apollo-operation-name',
];
/** How long a browser may reuse a preflight: two hours, Chromium's own ceiling. */
export const CORS_MAX_AGE_SECONDS = 7200;

/** Sets the CORS headers of any answer; returns true when it answered a preflight itself. */
export type CorsHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * CORS with the `cors` package. No credentials: tokens travel in the Authorization
 * header, which a page on another origin can only send when it has the token itself,
 * so `*` lets no site act with a visitor's rights (cookies would; there are none).
 * An origin outside a list gets no Access-Control-Allow-Origin: the browser hides the
 * answer, and refuses to send anything but a simple request, which Apollo's CSRF
 * prevention refuses in turn.
 */
export function createCors(origins: CorsOrigins): CorsHandler {
  const middleware = cors({
    origin: origins === '*' ? '*' : [...origins],
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    // BUSY and rate limits come with Retry-After: let browser code read it.
    exposedHeaders: ['retry-after'],
    maxAge: CORS_MAX_AGE_SECONDS,
    credentials: false,
    preflightContinue: true,
  });
  return (req, res) =>
    new Promise<boolean>((resolve, reject) => {
      middleware(req, res, (err?: unknown) => {
        if (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (req.method !== 'OPTIONS') {
          resolve(false);
          return;
        }
        res.statusCode = 204;
        res.setHeader('content-length', '0');
        res.end();
        resolve(true);
      });
    });
}

/**
 * The WebSocket's Origin check (the handshake has no CORS): a browser always sends
 * Origin, so one outside the list is refused; a client without one (a server, a
 * script) is not a browser page and passes, as it would over HTTP.
 */
export function originAllowed(origins: CorsOrigins, origin: string | undefined): boolean {
  if (origins === '*' || origin === undefined) return true;
  return origins.includes(origin.toLowerCase());
}
