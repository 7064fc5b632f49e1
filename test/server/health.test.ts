import http from 'node:http';
import { createServer, type Server } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('health endpoints', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(() => server.stop());

  it('GET /healthz answers while the process is alive', async () => {
    const response = await fetch(new URL('/healthz', server.app.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz checks the database (and Redis when REDIS_URL is set)', async () => {
    const response = await fetch(new URL('/readyz', server.app.url));
    expect(response.status).toBe(200);
    const expected: Record<string, string> = { status: 'ready', database: 'up' };
    if (server.config.redisUrl) expected.redis = 'up';
    expect(await response.json()).toEqual(expected);
  });
});

describe('with Redis configured but unreachable', () => {
  let server: TestServer;
  let deadPort: Server;

  beforeAll(async () => {
    // A port that accepts TCP and then hangs up: nothing there speaks Redis.
    deadPort = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => deadPort.listen(0, '127.0.0.1', resolve));
    const { port } = deadPort.address() as { port: number };
    server = await startTestServer({ redisUrl: `redis://127.0.0.1:${port}` });
  });

  afterAll(async () => {
    await server.stop();
    await new Promise((resolve) => deadPort.close(resolve));
  });

  it('/readyz reports Redis down with 503, and the API keeps serving', async () => {
    const response = await fetch(new URL('/readyz', server.app.url));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not ready', database: 'up', redis: 'down' });
    const { hotels } = await server.client.ok('{ hotels(first: 1) { pageInfo { hasNextPage } } }');
    expect(hotels.pageInfo).toBeDefined();
  });
});

describe('graceful stop', () => {
  it('lets an in-flight request finish, then refuses new connections', async () => {
    const server = await startTestServer();
    const url = new URL(server.app.url);
    const request = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      request.on('error', reject);
    });
    // Half a request is on the wire when the stop begins.
    request.write('{"query": "{ hotels(first: 1) ');
    await delay(100);
    const stopped = server.stop();
    await delay(100);
    request.end('{ pageInfo { hasNextPage } } }"}');

    const { status, body } = await response;
    expect(status).toBe(200);
    expect(JSON.parse(body).data.hotels.pageInfo).toHaveProperty('hasNextPage');
    await stopped;
    await expect(fetch(new URL('/healthz', url))).rejects.toThrow();
  });
});
