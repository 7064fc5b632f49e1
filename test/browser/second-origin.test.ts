import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { Orm } from '../../src/infra/database.js';
import { SET_INVENTORY, stockedRoomType, type StockedRoomType } from '../helpers/booking.js';
import { HOTEL, unique } from '../helpers/catalog.js';
import { until } from '../helpers/live.js';
import { isolatedDatabase, openTestDatabase, startTestServer, testConfig, type TestServer } from '../helpers/server.js';
import { launchChromium, pageLog } from './chromium.js';

/**
 * A browser app on another origin, as a Vite dev server would serve it: a static page
 * on a port of its own, with its own copy of the graphql-ws client, calling the API.
 */

const require = createRequire(import.meta.url);
const GRAPHQL_WS = readFileSync(path.join(path.dirname(require.resolve('graphql-ws/package.json')), 'umd/graphql-ws.min.js'));
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>second origin</title>
<script src="/graphql-ws.js"></script></head><body><p id="ready">ready</p></body></html>`;

const CREATE_ROOM_TYPE = 'mutation($input: CreateRoomTypeInput!) { createRoomType(input: $input) { id name } }';
const SUBSCRIBE = 'subscription($h: ID!) { availabilityChanged(hotelId: $h) { eventId roomTypeId days { date total available } } }';

let main: Orm;
let database: Awaited<ReturnType<typeof isolatedDatabase>>;
/** CORS_ORIGINS unset (any origin). */
let open: TestServer;
/** CORS_ORIGINS set to an origin that is not the page's. */
let closed: TestServer;
let site: Server;
let siteOrigin: string;
let browser: Browser;
let admin: string;
let stock: StockedRoomType;

beforeAll(async () => {
  main = await openTestDatabase(testConfig(), 2);
  database = await isolatedDatabase(main);
  [open, closed] = await Promise.all([
    startTestServer({}, { orm: database.orm }),
    startTestServer({ corsOrigins: ['https://app.example.com'] }, { orm: database.orm }),
  ]);
  site = createServer((req, res) => {
    const js = req.url === '/graphql-ws.js';
    res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html; charset=utf-8' });
    res.end(js ? GRAPHQL_WS : PAGE);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  admin = await open.token({ sub: 'admin-browser-cors', role: 'admin' });
  [browser, stock] = await Promise.all([launchChromium(), stockedRoomType(open.client, admin, { total: 4, nights: 3 })]);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  for (const server of [open, closed]) await server?.app.stop();
  await database?.orm.close();
  await database?.drop();
  await main?.close();
});

interface Outcome {
  ok: boolean;
  body?: any;
  error?: string;
}

/** Runs a GraphQL request with fetch() inside the page, as the app's code would; a CORS refusal is a TypeError there. */
function pageFetch(page: Page, url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<Outcome> {
  return page.evaluate(
    async ([url, query, variables, token]) => {
      try {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (token) headers.authorization = `Bearer ${token}`;
        const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
        return { ok: true, body: await res.json() };
      } catch (error) {
        return { ok: false, error: String(error) };
      }
    },
    [url, query, variables, token] as const,
  );
}

/** Opens a graphql-ws subscription inside the page; resolves 'connected', or how the socket closed. */
function pageSubscribe(page: Page, url: string, hotelId: string): Promise<string> {
  return page.evaluate(
    ([url, query, hotelId]) =>
      new Promise<string>((resolve) => {
        const w = globalThis as any;
        w.received = [];
        const client = w.graphqlWs.createClient({
          url: url.replace(/^http/, 'ws'),
          retryAttempts: 0,
          on: {
            connected: () => resolve('connected'),
            closed: (event: { code: number }) => resolve(`closed ${event.code}`),
          },
        });
        client.subscribe(
          { query, variables: { h: hotelId } },
          { next: (result: unknown) => w.received.push(result), error: () => undefined, complete: () => undefined },
        );
      }),
    [url, SUBSCRIBE, hotelId] as const,
  );
}

async function openPage(): Promise<{ page: Page; log: string[] }> {
  const page = await browser.newPage();
  const log = pageLog(page);
  await page.goto(`${siteOrigin}/`);
  await page.waitForSelector('#ready');
  return { page, log };
}

describe('a browser app on another origin', () => {
  it('runs queries, a mutation and a subscription against the API', async () => {
    const { page, log } = await openPage();
    try {
      const query = await pageFetch(page, open.app.url, HOTEL, { id: stock.hotel.id });
      expect(query).toEqual({ ok: true, body: { data: { hotel: expect.objectContaining({ id: stock.hotel.id }) } } });

      // A POST with a token: the browser preflights it first.
      const name = unique('Suite');
      const mutation = await pageFetch(page, open.app.url, CREATE_ROOM_TYPE, { input: { hotelId: stock.hotel.id, name, maxOccupancy: 2 } }, admin);
      expect(mutation).toEqual({ ok: true, body: { data: { createRoomType: { id: expect.any(String), name } } } });

      const before = open.app.bus.subscriberCount;
      expect(await pageSubscribe(page, open.app.url, stock.hotel.id)).toBe('connected');
      await until(() => open.app.bus.subscriberCount > before, 5_000, 'the page’s subscription on the server');
      const change = await pageFetch(
        page,
        open.app.url,
        SET_INVENTORY,
        { input: { roomTypeId: stock.roomType.id, from: stock.from, to: stock.to, total: 6 } },
        admin,
      );
      expect(change.ok).toBe(true);
      expect(change.body.errors).toBeUndefined();
      await page.waitForFunction(() => (globalThis as any).received.length > 0, undefined, { timeout: 5_000 });
      const [event] = await page.evaluate(() => (globalThis as any).received);
      expect(event.data.availabilityChanged).toMatchObject({ roomTypeId: stock.roomType.id });
      expect(event.data.availabilityChanged.days.map((day: { total: number }) => day.total)).toEqual([6, 6, 6]);
    } catch (error) {
      throw new Error(`${String(error)}\npage log:\n${log.join('\n')}`, { cause: error });
    } finally {
      await page.close();
    }
  });

  it('is refused, over HTTP and WebSocket, when CORS_ORIGINS names another origin', async () => {
    const { page } = await openPage();
    try {
      const query = await pageFetch(page, closed.app.url, HOTEL, { id: stock.hotel.id });
      expect(query).toEqual({ ok: false, error: expect.stringContaining('Failed to fetch') });

      const name = unique('Refused');
      const mutation = await pageFetch(page, closed.app.url, CREATE_ROOM_TYPE, { input: { hotelId: stock.hotel.id, name, maxOccupancy: 2 } }, admin);
      expect(mutation).toEqual({ ok: false, error: expect.stringContaining('Failed to fetch') });
      // Refused at the preflight: the mutation never ran.
      const hotel = await open.client.ok(HOTEL, { id: stock.hotel.id });
      expect(hotel.hotel.roomTypes.map((roomType: { name: string }) => roomType.name)).not.toContain(name);

      // The handshake is answered 403: the browser reports an abnormal close.
      expect(await pageSubscribe(page, closed.app.url, stock.hotel.id)).toBe('closed 1006');
    } finally {
      await page.close();
    }
  });
});
