import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { CORS_ALLOWED_HEADERS, CORS_MAX_AGE_SECONDS } from '../../src/infra/web/cors.js';
import type { Orm } from '../../src/infra/database.js';
import { openTestDatabase, startTestServer, testConfig, type TestServer } from '../helpers/server.js';

const APP_ORIGIN = 'http://localhost:5173';
const OTHER_ORIGIN = 'http://evil.example:8080';

let orm: Orm;
/** CORS_ORIGINS unset: any origin. */
let open: TestServer;
/** CORS_ORIGINS=http://localhost:5173 */
let listed: TestServer;

beforeAll(async () => {
  orm = await openTestDatabase(testConfig(), 4);
  open = await startTestServer({}, { orm });
  listed = await startTestServer({ corsOrigins: [APP_ORIGIN] }, { orm });
});

afterAll(async () => {
  await open?.app.stop();
  await listed?.app.stop();
  await orm?.close();
});

const base = (server: TestServer) => server.app.url.replace(/\/graphql$/, '');

function preflight(server: TestServer, origin: string, headers = 'content-type,authorization') {
  return fetch(server.app.url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
  });
}

function post(server: TestServer, body: string, headers: Record<string, string> = {}) {
  return fetch(server.app.url, {
    method: 'POST',
    headers: { origin: APP_ORIGIN, 'content-type': 'application/json', ...headers },
    body,
  });
}

/** Opens a WebSocket as a browser page of `origin` would; resolves with the handshake's outcome. */
function handshake(server: TestServer, origin?: string): Promise<{ opened: true } | { opened: false; status: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.app.url.replace(/^http/, 'ws'), 'graphql-transport-ws', origin ? { origin } : {});
    socket.once('open', () => {
      socket.close();
      resolve({ opened: true });
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

describe('CORS with the default (any origin)', () => {
  it('answers the preflight a browser app sends before a POST with a token', async () => {
    const res = await preflight(open, APP_ORIGIN, 'content-type,authorization,apollographql-client-name,x-apollo-operation-name');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')?.split(',')).toEqual(expect.arrayContaining(['GET', 'POST']));
    const allowed = res.headers.get('access-control-allow-headers')?.split(',') ?? [];
    for (const header of ['content-type', 'authorization', 'apollographql-client-name', 'apollographql-client-version', 'apollo-require-preflight', 'x-apollo-operation-name']) {
      expect(allowed).toContain(header);
    }
    expect(allowed).toEqual(CORS_ALLOWED_HEADERS);
    expect(res.headers.get('access-control-max-age')).toBe(String(CORS_MAX_AGE_SECONDS));
    // No credentials: tokens travel in the Authorization header, never in cookies.
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('puts Access-Control-Allow-Origin on every answer: data, errors, refusals, other paths', async () => {
    const answers = [
      await post(open, JSON.stringify({ query: '{ __typename }' })),
      await post(open, JSON.stringify({ query: '{ hotel(id: "nope") { id } }' })),
      await post(open, '{ not json'),
      await post(open, JSON.stringify({ query: '{' })),
      await fetch(`${base(open)}/healthz`, { headers: { origin: APP_ORIGIN } }),
      await fetch(`${base(open)}/nowhere`, { headers: { origin: APP_ORIGIN } }),
    ];
    expect(answers.map((res) => res.status)).toEqual([200, 200, 400, 400, 200, 404]);
    for (const res of answers) expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(answers[0].headers.get('access-control-expose-headers')).toBe('retry-after');
  });

  it('keeps CSRF prevention on for simple requests', async () => {
    const textPlain = await fetch(open.app.url, {
      method: 'POST',
      headers: { origin: OTHER_ORIGIN, 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(textPlain.status).toBe(400);
    expect(await textPlain.text()).toContain('CSRF');
    const simpleGet = await fetch(`${open.app.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { origin: OTHER_ORIGIN } });
    expect(simpleGet.status).toBe(400);
    // The same GET with a header only a preflighted request can carry goes through.
    const preflightedGet = await fetch(`${open.app.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { origin: APP_ORIGIN, 'apollo-require-preflight': 'true' },
    });
    expect(preflightedGet.status).toBe(200);
    expect(await preflightedGet.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('lets a WebSocket of any origin connect', async () => {
    expect(await handshake(open, OTHER_ORIGIN)).toEqual({ opened: true });
  });
});

describe('CORS_ORIGINS set to a list', () => {
  it('allows a listed origin, by name, varying on Origin', async () => {
    const pre = await preflight(listed, APP_ORIGIN);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(pre.headers.get('vary')).toContain('Origin');
    const res = await post(listed, JSON.stringify({ query: '{ __typename }' }));
    expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
  });

  it('gives another origin no Access-Control-Allow-Origin, so its browser refuses', async () => {
    const pre = await preflight(listed, OTHER_ORIGIN);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const res = await post(listed, JSON.stringify({ query: '{ __typename }' }), { origin: OTHER_ORIGIN });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a WebSocket handshake from another origin, and lets listed origins and non-browser clients in', async () => {
    expect(await handshake(listed, OTHER_ORIGIN)).toEqual({ opened: false, status: 403 });
    expect(await handshake(listed, APP_ORIGIN)).toEqual({ opened: true });
    expect(await handshake(listed)).toEqual({ opened: true });
  });
});
