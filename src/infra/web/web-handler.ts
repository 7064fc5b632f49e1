import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsOrigins } from '../config.js';
import { GRAPHQL_PATH } from '../http-server.js';
import { AssetCache, ASSETS, ASSETS_PATH, PAGES, type LoadedAsset } from './assets.js';
import { createCors } from './cors.js';

export const LIVE_PATH = '/live';

export interface WebOptions {
  corsOrigins: CorsOrigins;
  /** Serve the GraphQL IDE on GET /graphql to browsers. */
  ide: boolean;
}

/** Answers what it handles and returns true; otherwise only sets headers (CORS) and returns false. */
export type WebHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * What the server does for browsers, in front of the API: CORS headers on every
 * answer and preflights, the GraphQL IDE (GET /graphql asking for HTML), the /live
 * page, and the static files both load.
 */
export function createWebHandler(options: WebOptions): WebHandler {
  const cors = createCors(options.corsOrigins);
  const assets = new AssetCache();
  return async (req, res) => {
    if (await cors(req, res)) return true;
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname === GRAPHQL_PATH) {
      if (!options.ide || !prefersHtml(req)) return false;
      send(req, res, await assets.get(PAGES.ide), PAGE_HEADERS);
      return true;
    }
    if (pathname === LIVE_PATH || pathname === `${LIVE_PATH}/`) {
      send(req, res, await assets.get(PAGES.live), PAGE_HEADERS);
      return true;
    }
    const asset = pathname.startsWith(ASSETS_PATH) ? ASSETS.get(pathname.slice(ASSETS_PATH.length)) : undefined;
    if (!asset) return false;
    send(req, res, await assets.get(asset), { 'x-content-type-options': 'nosniff' });
    return true;
  };
}

/**
 * The pages load only this server's own files and talk only to it (fetch and the
 * WebSocket: 'self' covers ws: on the same host and port). GraphiQL styles elements
 * inline and ships its fonts and icons as data: URLs.
 */
const PAGE_HEADERS = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** A browser navigating to /graphql lists text/html first; fetch() and GraphQL clients do not. */
function prefersHtml(req: IncomingMessage): boolean {
  const first = (req.headers.accept ?? '').split(',')[0].trim().toLowerCase();
  return first.startsWith('text/html');
}

function send(req: IncomingMessage, res: ServerResponse, asset: LoadedAsset, headers: Record<string, string>): void {
  res.writeHead(200, {
    ...headers,
    'content-type': asset.type,
    'content-length': asset.body.length,
    'cache-control': asset.cacheControl,
  });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}
