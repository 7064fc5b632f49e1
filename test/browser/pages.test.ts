import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { Orm } from '../../src/infra/database.js';
import { addDays } from '../../src/services/common/dates.js';
import { reserveInput, reserveOk, stockedRoomType, type StockedRoomType } from '../helpers/booking.js';
import { holdSeats, RELEASE_HOLD } from '../helpers/holds.js';
import { until } from '../helpers/live.js';
import { isolatedDatabase, openTestDatabase, startTestServer, testConfig, type TestServer } from '../helpers/server.js';
import { seatedPerformance } from '../helpers/venues.js';
import { launchChromium, pageLog } from './chromium.js';

/** The pages the server serves to people: /live, and the GraphQL IDE on GET /graphql. */

/** The promise: cells change within a second of a booking, hold or release. */
const LIVE_WITHIN_MS = 1_000;

let main: Orm;
let database: Awaited<ReturnType<typeof isolatedDatabase>>;
let server: TestServer;
let browser: Browser;
let admin: string;
let guest: string;
let stock: StockedRoomType;
let performanceId: string;

const booking = { holdTtlMs: 60_000, paymentTimeoutMs: 2_000, sweepIntervalMs: 0 };

beforeAll(async () => {
  main = await openTestDatabase(testConfig(), 2);
  database = await isolatedDatabase(main);
  server = await startTestServer({ booking }, { orm: database.orm });
  admin = await server.token({ sub: 'admin-pages', role: 'admin' });
  guest = await server.token({ sub: 'guest-pages', role: 'guest' });
  let seated;
  [browser, stock, seated] = await Promise.all([
    launchChromium(),
    stockedRoomType(server.client, admin, { total: 3, rate: '95.00', nights: 7, hotel: { name: 'Harbour View' } }),
    seatedPerformance(server.client, admin),
  ]);
  performanceId = seated.performance.id;
});

afterAll(async () => {
  await browser?.close();
  await server?.app.stop();
  await database?.orm.close();
  await database?.drop();
  await main?.close();
});

const base = () => server.app.url.replace(/\/graphql$/, '');
const night = (roomTypeId: string, date: string, available: number) =>
  `td.night[data-room-type="${roomTypeId}"][data-date="${date}"][data-available="${available}"]`;
const seat = (seatId: string, status: string) => `.seat[data-seat="${seatId}"][data-status="${status}"]`;
const connected = '#connection[data-state="connected"]';

/** Runs `change` and returns how long after its answer `selector` appeared on the page. */
async function msUntilShown(page: Page, change: () => Promise<unknown>, selector: string): Promise<number> {
  await change();
  const answered = Date.now();
  await page.waitForSelector(selector, { timeout: 5_000 });
  return Date.now() - answered;
}

async function withPage<T>(run: (page: Page) => Promise<T>): Promise<T> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  const log = pageLog(page);
  try {
    return await run(page);
  } catch (error) {
    throw new Error(`${String(error)}\npage log:\n${log.join('\n')}`, { cause: error });
  } finally {
    await page.close();
  }
}

describe('/live', () => {
  it('shows bookings, holds and releases made through the API within a second, and reconnects by itself', async () => {
    await withPage(async (page) => {
      const { from, to, roomType } = stock;
      await page.goto(`${base()}/live?hotel=${stock.hotel.id}&from=${from}&to=${to}&performance=${performanceId}`);
      await page.waitForSelector(connected);
      await page.waitForSelector(night(roomType.id, from, 3));
      await page.waitForSelector(seat('ORCH-R1-5', 'FREE'));
      expect(await page.locator('td.night').count()).toBe(7);
      expect(await page.locator('.seat').count()).toBe(46);
      expect(await page.locator(`td.night[data-room-type="${roomType.id}"][data-date="${from}"] .rate`).textContent()).toBe('95.00');

      // A booking of two nights: both cells drop from 3 to 2.
      const booked = await msUntilShown(
        page,
        () => reserveOk(server.client, guest, reserveInput(roomType.id, from, addDays(from, 2))),
        night(roomType.id, addDays(from, 1), 2),
      );
      expect(booked).toBeLessThan(LIVE_WITHIN_MS);
      await page.waitForSelector(night(roomType.id, from, 2));

      // A hold turns its seats HELD and moves the section's counts; its release turns them back.
      let token = '';
      const held = await msUntilShown(
        page,
        async () => (token = (await holdSeats(server.client, guest, performanceId, ['ORCH-R1-5', 'ORCH-R1-6'])).token),
        seat('ORCH-R1-6', 'HELD'),
      );
      expect(held).toBeLessThan(LIVE_WITHIN_MS);
      await page.waitForSelector(seat('ORCH-R1-5', 'HELD'));
      await page.waitForSelector('tr[data-section="ORCH"] td[data-count="held"]:text-is("2")');
      if (process.env.UPDATE_SCREENSHOTS) await page.screenshot({ path: 'docs/live.png', fullPage: true });

      const released = await msUntilShown(
        page,
        () => server.client.ok(RELEASE_HOLD, { token }, guest),
        seat('ORCH-R1-5', 'FREE'),
      );
      expect(released).toBeLessThan(LIVE_WITHIN_MS);
      await page.waitForSelector('tr[data-section="ORCH"] td[data-count="held"]:text-is("0")');

      // The server goes away and comes back on the same port: the page says so and carries on.
      const port = server.app.port;
      await server.app.stop();
      await page.waitForSelector('#connection[data-state="reconnecting"]');
      server = await startTestServer({ booking, port }, { orm: database.orm });
      await page.waitForSelector(connected, { timeout: 10_000 });
      // The page subscribes again once connected: wait until the new server has both subscriptions.
      await until(() => server.app.bus.subscriberCount > 0 && server.app.seatFeed.subscriberCount > 0, 5_000, 'the page’s subscriptions');
      const afterRestart = await msUntilShown(
        page,
        () => reserveOk(server.client, guest, reserveInput(roomType.id, addDays(from, 4), addDays(from, 5))),
        night(roomType.id, addDays(from, 4), 2),
      );
      expect(afterRestart).toBeLessThan(LIVE_WITHIN_MS);
    });
  });

  it('says so when the hotel does not exist', async () => {
    await withPage(async (page) => {
      await page.goto(`${base()}/live?hotel=00000000-0000-4000-8000-000000000000`);
      await page.waitForSelector('#message:has-text("not found")');
      expect(await page.locator('#message').textContent()).toContain('NOT_FOUND');
      expect(await page.locator('#hotel').isHidden()).toBe(true);
    });
  });
});

describe('the GraphQL IDE', () => {
  /** Replaces the text of one of GraphiQL's editors, as typing would. */
  const setEditor = (page: Page, selector: string, text: string) =>
    page.evaluate(([selector, text]) => (globalThis as any).document.querySelector(selector).CodeMirror.setValue(text), [selector, text] as const);
  const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
  const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';

  it('loads from this server alone, runs a query, and a subscription with a pasted token', async () => {
    await withPage(async (page) => {
      const elsewhere: string[] = [];
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (url.protocol !== 'data:' && url.host !== new URL(base()).host) elsewhere.push(request.url());
      });
      const answers: any[] = [];
      page.on('response', async (response) => {
        if (response.request().method() === 'POST' && response.url() === server.app.url) answers.push(await response.json().catch(() => null));
      });
      await page.goto(server.app.url);
      const run = page.locator('.graphiql-execute-button');
      await run.waitFor();
      // The default query lists hotels: this file's database has one.
      await run.click();
      await page.waitForSelector('.result-window:has-text("Harbour View")', { timeout: 10_000 });
      expect(answers.some((answer) => answer?.data?.hotels?.edges?.some((edge: any) => edge.node.name === 'Harbour View'))).toBe(true);

      // A token pasted in Headers goes with the subscription's socket too: a bad one is refused at connect (4403).
      await setEditor(page, HEADERS_EDITOR, JSON.stringify({ Authorization: 'Bearer not-a-token' }));
      await setEditor(
        page,
        QUERY_EDITOR,
        `subscription Watch { availabilityChanged(hotelId: "${stock.hotel.id}") { roomTypeId days { date total } } }`,
      );
      // GraphiQL has parsed the new document once the tab carries its operation's name.
      await page.waitForSelector('.graphiql-tab:has-text("Watch")');
      await run.click();
      await page.waitForSelector('.result-window:has-text("4403")', { timeout: 5_000 });

      await setEditor(page, HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${guest}` }));
      const before = server.app.bus.subscriberCount;
      await run.click();
      await until(() => server.app.bus.subscriberCount > before, 5_000, 'the IDE’s subscription on the server');
      await server.client.ok(
        'mutation($input: SetInventoryInput!) { setInventory(input: $input) { date } }',
        { input: { roomTypeId: stock.roomType.id, from: addDays(stock.from, 6), to: stock.to, total: 9 } },
        admin,
      );
      await page.waitForSelector(`.result-window:has-text("${stock.roomType.id}")`, { timeout: 5_000 });
      expect(await page.locator('.result-window').textContent()).toContain('"total": 9');
      expect(elsewhere).toEqual([]);
    });
  });
});
