import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Orm } from '../../src/infra/database.js';
import { addDays } from '../../src/services/common/dates.js';
import { RESERVE, reserveInput, stockedRoomType } from '../helpers/booking.js';
import { connect, quiet, until, untilMarker, watch, type Watcher } from '../helpers/live.js';
import { freePort, RedisProcess, redisServerInstalled } from '../helpers/redis-process.js';
import { isolatedDatabase, openTestDatabase, startTestServer, testConfig, type LogRecord, type TestServer } from '../helpers/server.js';

/**
 * PostgreSQL is the source of truth; Redis can go away. Two instances share a database
 * of their own and a redis-server of this test's own, which the test kills and restarts.
 */
let main: Orm;
let database: Awaited<ReturnType<typeof isolatedDatabase>>;

beforeAll(async () => {
  main = await openTestDatabase(testConfig(), 2);
  database = await isolatedDatabase(main);
});

afterAll(async () => {
  await database.orm.close();
  await database.drop();
  await main.close();
});

const booking = { holdTtlMs: 30_000, paymentTimeoutMs: 500, sweepIntervalMs: 0 };

async function unpublished(hotelId: string): Promise<number> {
  const [row] = await database.orm.em
    .fork()
    .execute<{ n: string }[]>("select count(*) as n from outbox where hotel_id = ? and topic = 'availability' and published_at is null", [hotelId]);
  return Number(row.n);
}

/**
 * Waits for the positive sign that the relay tried to send the outbox and could not: its
 * warning, logged by one of `servers` after the first `since[i]` records of each.
 */
async function relayFailed(servers: TestServer[], since: number[] = servers.map(() => 0)): Promise<void> {
  const failed = (record: LogRecord) => record.level === 'warn' && /outbox relay/.test(record.msg);
  await until(() => servers.some((server, i) => server.logs.slice(since[i]).some(failed)), 5_000, 'the relay to fail');
}

async function readyz(server: TestServer) {
  const response = await fetch(new URL('/readyz', server.app.url));
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

describe('with Redis unreachable from the start', () => {
  it('bookings work, events wait in the outbox, and /readyz says Redis is down', async () => {
    const server = await startTestServer({ booking, redisUrl: `redis://127.0.0.1:${await freePort()}` }, { orm: database.orm });
    try {
      const admin = await server.token({ sub: 'admin-rf', role: 'admin' });
      const guest = await server.token({ sub: 'guest-rf', role: 'guest' });
      const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 3, nights: 2 });
      const { reserve } = await server.client.ok(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 2)) }, guest);
      expect(reserve.status).toBe('CONFIRMED');
      await relayFailed([server]);
      expect(await unpublished(hotel.id)).toBe(3); // stock, price, reservation
      expect(await readyz(server)).toEqual({ status: 503, body: { status: 'not ready', database: 'up', redis: 'down' } });
    } finally {
      await server.app.stop();
    }
  });
});

const restartable = redisServerInstalled() ? describe : describe.skip;

restartable('Redis stopped and restarted mid-test', () => {
  let redis: RedisProcess;
  let a: TestServer;
  let b: TestServer;
  const clients: ReturnType<typeof connect>[] = [];

  beforeAll(async () => {
    redis = new RedisProcess(await freePort());
    await redis.start();
    a = await startTestServer({ booking, redisUrl: redis.url }, { orm: database.orm });
    b = await startTestServer({ booking, redisUrl: redis.url }, { orm: database.orm });
  });

  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await a.app.stop();
    await b.app.stop();
    await redis.stop();
  });

  it('loses no event: bookings go on while it is down, and every subscriber gets each event exactly once after', async () => {
    const admin = await a.token({ sub: 'admin-rr', role: 'admin' });
    const guest = await a.token({ sub: 'guest-rr', role: 'guest' });
    const { hotel, roomType, from } = await stockedRoomType(a.client, admin, { total: 10, nights: 1 });
    await quiet([a.app, b.app], a.client, admin, hotel.id);
    const watchers: Watcher[] = [];
    for (const server of [a, b]) {
      const client = connect(server.app);
      clients.push(client);
      watchers.push(await watch(server.app, client, { hotelId: hotel.id }));
    }
    const book = (server: TestServer) =>
      server.client.ok(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 1)) }, guest);

    await book(a);
    await until(() => watchers.every((w) => w.changes.length === 1), 2_000, 'the first event everywhere');

    const logged = [a.logs.length, b.logs.length];
    await redis.stop();
    for (const server of [a, b, a]) expect((await book(server)).reserve.status).toBe('CONFIRMED');
    await relayFailed([a, b], logged);
    expect(await unpublished(hotel.id)).toBe(3);
    expect((await readyz(a)).body.redis).toBe('down');

    await redis.start();
    await until(() => watchers.every((w) => w.changes.length >= 4), 10_000, 'the held-back events everywhere');
    // One more booking: once its event is in, any duplicate of the held-back ones would be too.
    await book(b);
    await untilMarker(watchers, (c) => c.days[0].reserved === 5);
    for (const w of watchers) {
      expect(w.errors).toEqual([]);
      expect(w.changes.map((c) => c.days[0].reserved)).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(w.changes.map((c) => c.eventId)).size).toBe(5);
    }
    // The relay publishes inside the transaction that stamps the rows, so a subscriber can
    // hold an event a moment before its row reads as published: wait for the stamp.
    let left = -1;
    for (let i = 0; i < 50 && left !== 0; i++, await delay(100)) left = await unpublished(hotel.id);
    expect(left).toBe(0);
    let ready = 0;
    for (let i = 0; i < 50 && ready !== 200; i++, await delay(100)) ready = (await readyz(a)).status;
    expect(ready).toBe(200);
  });
});
