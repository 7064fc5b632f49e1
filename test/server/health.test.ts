import http from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addDays } from '../../src/services/common/dates.js';
import { RESERVE, reserveInput, stockedRoomType, type ReservationData } from '../helpers/booking.js';
import { until } from '../helpers/live.js';
import { gate } from '../helpers/saga.js';
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
  it('lets in-flight requests finish, then refuses new connections', async () => {
    // Two requests in flight for as long as the test wants: a reservation parked inside
    // the saga (nights held, payment not yet asked for), and a query whose body is half sent.
    const parked = { reached: gate(), release: gate() };
    const server = await startTestServer(
      {},
      {
        booking: {
          afterStep: async (step) => {
            if (step !== 'held') return;
            parked.reached.open();
            await parked.release.opened;
          },
        },
      },
    );
    let stopped: Promise<void> | undefined;
    try {
      const admin = await server.token({ sub: 'admin-health', role: 'admin' });
      const guest = await server.token({ sub: 'guest-health', role: 'guest' });
      const { roomType, from } = await stockedRoomType(server.client, admin, { total: 2, nights: 1 });
      const inFlight = server.client.request<{ reserve: ReservationData }>(
        RESERVE,
        { input: reserveInput(roomType.id, from, addDays(from, 1)) },
        guest,
      );
      const arrived = gate();
      server.app.server.prependListener('request', (req) => {
        if (req.headers['x-test'] === 'half-sent') arrived.open();
      });
      const halfSent = post(server.app.url, { 'x-test': 'half-sent' });
      halfSent.request.write('{"query": "{ hotels(first: 1) ');
      await Promise.all([parked.reached.opened, arrived.opened]);

      stopped = server.stop();
      await until(() => !server.app.server.listening, 2_000, 'the listener to close');
      // While the parked request is still being served, a new connection is refused.
      await expect(get(server.app.url, '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

      halfSent.request.end('{ pageInfo { hasNextPage } } }"}');
      const rest = await halfSent.response;
      expect(rest.status).toBe(200);
      expect(JSON.parse(rest.body).data.hotels.pageInfo).toHaveProperty('hasNextPage');

      parked.release.open();
      const { status, data, errors } = await inFlight;
      expect(errors).toBeUndefined();
      expect(status).toBe(200);
      expect(data?.reserve.status).toBe('CONFIRMED');
      await stopped;
      await expect(fetch(new URL('/healthz', server.app.url))).rejects.toThrow();
    } finally {
      parked.release.open();
      await (stopped ?? server.stop());
    }
  });
});

/** A POST of JSON on a connection of its own, whose body the caller writes. */
function post(url: string, headers: Record<string, string>) {
  const request = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
  return { request, response };
}

/** A GET on a connection of its own (no keep-alive pool that could reuse an open socket). */
function get(base: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(new URL(path, base), { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
  });
}
