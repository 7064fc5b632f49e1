import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AvailabilityEvent } from '../../src/services/stays/availability.js';
import { addDays } from '../../src/services/common/dates.js';
import { EVENT_STREAM } from '../../src/infra/live/sinks.js';
import { reserveInput, reserveOk, SEARCH, stockedRoomType } from '../helpers/booking.js';
import { UPDATE_ROOM_TYPE } from '../helpers/catalog.js';
import { connect, until, untilMarker, watch } from '../helpers/live.js';
import { freePort, RedisProcess } from '../helpers/redis-process.js';
import { instancePair, isolatedDatabase, startTestServer, testConfig, type TestServer } from '../helpers/server.js';

/**
 * The search's cache of nights (src/services/stays/stay-cache.ts). With REDIS_URL, two
 * instances share a database of their own and Redis: what one books, the other's cache
 * learns from the event stream. Without it, one instance and its in-process relay.
 */
let pair: Awaited<ReturnType<typeof instancePair>>;
let database: Awaited<ReturnType<typeof isolatedDatabase>>;
let a: TestServer;
let b: TestServer;
let admin: string;
let guest: string;
const clients: ReturnType<typeof connect>[] = [];

beforeAll(async () => {
  pair = await instancePair({ holdTtlMs: 30_000, paymentTimeoutMs: 2_000, sweepIntervalMs: 0 });
  ({ a, b, database } = pair);
  admin = await a.token({ sub: 'admin-cache', role: 'admin' });
  guest = await a.token({ sub: 'guest-cache', role: 'guest' });
  // Both caches are on once their stream readers have caught up.
  await until(() => a.app.stayCache.stats().enabled && b.app.stayCache.stats().enabled, 10_000, 'the caches to start');
});

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await pair.stop();
});

interface OfferData {
  roomType: { id: string; name: string; version: number };
  available: number;
  total: { amount: string };
}

async function search(server: TestServer, hotelId: string, checkIn: string, checkOut: string, rooms = 1): Promise<OfferData[]> {
  const data = await server.client.ok<{ searchAvailability: OfferData[] }>(SEARCH.replace('roomType { id }', 'roomType { id name version }'), {
    hotelId,
    checkIn,
    checkOut,
    rooms,
  });
  return data.searchAvailability;
}

const available = (offers: OfferData[]) => offers.map((offer) => offer.available);

/** Both caches against the database, once each instance has applied every committed event. */
async function expectCachesAgree(): Promise<void> {
  for (const server of new Set([a, b])) expect((await server.app.auditStayCache()).violations).toEqual([]);
}

/**
 * A stocked room type, once every instance has applied the events of stocking it: a
 * catalog event still on its way would make an instance forget the hotel after the
 * test has filled its cache.
 */
async function stocked(options: Parameters<typeof stockedRoomType>[2]) {
  const made = await stockedRoomType(a.client, admin, options);
  await expectCachesAgree();
  return made;
}

/** Searches until the instance keeps the stay's nights (a second search of them does), and answers the offers. */
async function cached(server: TestServer, hotelId: string, checkIn: string, checkOut: string): Promise<OfferData[]> {
  await search(server, hotelId, checkIn, checkOut);
  return search(server, hotelId, checkIn, checkOut);
}

/** Runs `work` and answers how the instance's cache counted the searches it made. */
async function counted<T>(server: TestServer, work: () => Promise<T>): Promise<{ result: T; hits: number; misses: number }> {
  const before = server.app.stayCache.stats();
  const result = await work();
  const after = server.app.stayCache.stats();
  return { result, hits: after.hits - before.hits, misses: after.misses - before.misses };
}

describe('the search cache on one instance', () => {
  it('answers a repeated search from memory, and a booking made here shows in the next search at once', async () => {
    const { hotel, roomType, from } = await stocked({ total: 5, nights: 6 });
    const [checkIn, checkOut] = [addDays(from, 1), addDays(from, 4)];
    const hotelsBefore = a.app.stayCache.stats().hotels;
    // Searched once: read from the database, not kept. Twice: read and kept. Then from memory.
    expect(await counted(a, () => search(a, hotel.id, checkIn, checkOut))).toMatchObject({ misses: 1, hits: 0 });
    expect(a.app.stayCache.stats().hotels).toBe(hotelsBefore);
    expect(await counted(a, () => search(a, hotel.id, checkIn, checkOut))).toMatchObject({ misses: 1, hits: 0 });
    expect(a.app.stayCache.stats().hotels).toBe(hotelsBefore + 1);
    const again = await counted(a, () => search(a, hotel.id, checkIn, checkOut));
    expect(again).toMatchObject({ hits: 1, misses: 0 });
    expect(available(again.result)).toEqual([5]);

    await reserveOk(a.client, guest, reserveInput(roomType.id, addDays(from, 2), addDays(from, 3), { rooms: 2 }));
    // No waiting for the event: this server forgot the nights it changed.
    expect(available(await search(a, hotel.id, checkIn, checkOut))).toEqual([3]);
    expect(available(await search(a, hotel.id, checkIn, checkOut, 4))).toEqual([]);
    await expectCachesAgree();
  });

  it('never lets an older view of a night replace a newer one, and the audit finds a night that differs', async () => {
    const { hotel, roomType, from } = await stocked({ total: 5, nights: 3 });
    await cached(b, hotel.id, from, addDays(from, 1));
    const stale: AvailabilityEvent = {
      eventId: randomUUID(),
      hotelId: hotel.id,
      roomTypeId: roomType.id,
      at: new Date().toISOString(),
      // Version 0 is older than the stored row's (setInventory wrote 1, setRates bumped it to 2).
      days: [{ date: from, version: 0, total: 5, reserved: 5, sellLimit: 5, available: 0, baseRate: null, rate: null }],
    };
    b.app.stayCache.applyAvailability(stale);
    const hit = await counted(b, () => search(b, hotel.id, from, addDays(from, 1)));
    expect(hit).toMatchObject({ hits: 1 });
    expect(available(hit.result)).toEqual([5]);

    // A view with a higher version than the database's wins here: the audit must say so.
    b.app.stayCache.applyAvailability({ ...stale, eventId: randomUUID(), days: [{ ...stale.days[0], version: 99 }] });
    expect(await search(b, hotel.id, from, addDays(from, 1))).toEqual([]);
    const { violations } = await b.app.auditStayCache();
    expect(violations).toEqual([expect.stringContaining(`room type ${roomType.id} on ${from}: cached version 99, available 0`)]);
    b.app.stayCache.changedHere(hotel.id);
    expect(available(await search(b, hotel.id, from, addDays(from, 1)))).toEqual([5]);
    await expectCachesAgree();
  });

  it('the audit finds a night written behind the events’ back', async () => {
    const { hotel, roomType, from } = await stocked({ total: 5, nights: 2 });
    await cached(a, hotel.id, from, addDays(from, 2));
    await database.orm.em
      .fork()
      .getConnection()
      .execute('update room_type_inventory set reserved = reserved + 1, version = version + 1 where room_type_id = ? and date = ?', [
        roomType.id,
        from,
      ]);
    const { violations } = await a.app.auditStayCache();
    expect(violations).toEqual([expect.stringMatching(new RegExp(`room type ${roomType.id} on ${from}: cached version \\d+, available 5.*available 4`))]);
    a.app.stayCache.changedHere(hotel.id);
    await expectCachesAgree();
  });
});

// What one instance changes, the other's cache learns from the stream: with Redis only.
if (testConfig().redisUrl) {
  describe('the search cache across instances', () => {
    it('a booking on one instance is in the other’s cached search once that instance has applied its event', async () => {
      const { hotel, roomType, from } = await stocked({ total: 5, nights: 6 });
      const [checkIn, checkOut] = [addDays(from, 1), addDays(from, 4)];
      expect(available(await cached(b, hotel.id, checkIn, checkOut))).toEqual([5]);
      const client = connect(b.app);
      clients.push(client);
      const watcher = await watch(b.app, client, { hotelId: hotel.id });

      await reserveOk(a.client, guest, reserveInput(roomType.id, checkIn, checkOut, { rooms: 2 }));
      // B's subscriber has the event: B's cache applied it before its subscribers got it.
      await untilMarker([watcher], (change) => change.days.some((day) => day.reserved === 2));
      const after = await counted(b, () => search(b, hotel.id, checkIn, checkOut));
      expect(after).toMatchObject({ hits: 1, misses: 0 });
      expect(available(after.result)).toEqual([3]);
      await expectCachesAgree();
    });

    it('a room type renamed on one instance is renamed in the other’s search once it has applied the catalog event', async () => {
      const { hotel, roomType, from } = await stocked({ total: 5, nights: 2 });
      const [before] = await cached(b, hotel.id, from, addDays(from, 1));
      expect(before.roomType.name).toBe(roomType.name);
      const { updateRoomType } = await a.client.ok<{ updateRoomType: { version: number } }>(
        UPDATE_ROOM_TYPE,
        { input: { id: roomType.id, version: roomType.version, name: 'Renamed Suite' } },
        admin,
      );
      await expectCachesAgree();
      const [after] = await search(b, hotel.id, from, addDays(from, 1));
      expect(after.roomType).toEqual({ id: roomType.id, name: 'Renamed Suite', version: updateRoomType.version });
    });

    it('bookings and searches on both instances at once: both caches agree with the database afterwards', async () => {
      const hotels = await Promise.all([1, 2, 3].map(() => stocked({ total: 20, nights: 10 })));
      const servers = [a, b];
      const hits = a.app.stayCache.stats().hits + b.app.stayCache.stats().hits;
      const work = Array.from({ length: 120 }, async (_, i) => {
        const { hotel, roomType, from } = hotels[i % 3];
        const server = servers[(i >> 1) % 2];
        const checkIn = addDays(from, i % 7);
        const checkOut = addDays(checkIn, 1 + (i % 3));
        if (i % 3 === 0) {
          // 40 bookings of one room over three hotels of 20: none sells out.
          await reserveOk(server.client, guest, reserveInput(roomType.id, checkIn, checkOut));
        } else {
          await search(server, hotel.id, checkIn, checkOut);
        }
      });
      await Promise.all(work);
      expect(a.app.stayCache.stats().hits + b.app.stayCache.stats().hits).toBeGreaterThan(hits);
      await expectCachesAgree();
      // And what they answer now is what the database says.
      for (const { hotel, from } of hotels) {
        const [fromA, fromB] = await Promise.all([search(a, hotel.id, from, addDays(from, 7)), search(b, hotel.id, from, addDays(from, 7))]);
        expect(fromA).toEqual(fromB);
      }
    });
  });

  describe('the search cache while the event stream cannot be read', () => {
    it('is emptied and not used until the reader has caught up again', async () => {
      const redis = new RedisProcess(await freePort());
      await redis.start();
      const booking = { holdTtlMs: 30_000, paymentTimeoutMs: 2_000, sweepIntervalMs: 0 };
      const [c, d] = [
        await startTestServer({ booking, redisUrl: redis.url }, { orm: database.orm }),
        await startTestServer({ booking, redisUrl: redis.url }, { orm: database.orm }),
      ];
      try {
        await until(() => c.app.stayCache.stats().enabled, 10_000, 'the cache to start');
        const { hotel, roomType, from } = await stockedRoomType(d.client, admin, { total: 5, nights: 2 });
        expect((await c.app.auditStayCache()).violations).toEqual([]);
        await cached(c, hotel.id, from, addDays(from, 1));
        expect(c.app.stayCache.stats().hotels).toBeGreaterThan(0);

        await redis.stop();
        await until(() => !c.app.stayCache.stats().enabled, 10_000, 'the cache to stop');
        expect(c.app.stayCache.stats()).toMatchObject({ hotels: 0, nights: 0 });
        // Booked on the other instance, whose events cannot be published now: C reads the database.
        await reserveOk(d.client, guest, reserveInput(roomType.id, from, addDays(from, 1), { rooms: 2 }));
        const during = await counted(c, () => search(c, hotel.id, from, addDays(from, 1)));
        expect(during).toMatchObject({ hits: 0, misses: 1 });
        expect(available(during.result)).toEqual([3]);

        await redis.start();
        await until(() => c.app.stayCache.stats().enabled, 15_000, 'the cache to resume');
        expect((await c.app.auditStayCache()).violations).toEqual([]);
        expect(available(await search(c, hotel.id, from, addDays(from, 1)))).toEqual([3]);
        expect(available(await search(c, hotel.id, from, addDays(from, 1)))).toEqual([3]);
        expect((await c.app.auditStayCache()).violations).toEqual([]);
      } finally {
        await c.app.stop();
        await d.app.stop();
        await redis.stop();
      }
    });

    it('starts afresh when entries it had not read were trimmed from the stream', async () => {
      const redis = new RedisProcess(await freePort());
      await redis.start();
      const raw = new Redis(redis.url);
      const c = await startTestServer({ booking: { holdTtlMs: 30_000, paymentTimeoutMs: 2_000, sweepIntervalMs: 0 }, redisUrl: redis.url }, { orm: database.orm });
      try {
        await until(() => c.app.stayCache.stats().enabled, 10_000, 'the cache to start');
        const { hotel, from } = await stockedRoomType(c.client, admin, { total: 5, nights: 2 });
        expect((await c.app.auditStayCache()).violations).toEqual([]);
        /** 1,500 entries of a topic no server reads, added at once (to a new stream when `fresh`); then trimmed to the newest `keep`. */
        const flood = async ({ fresh = false, keep }: { fresh?: boolean; keep?: number }) => {
          const multi = raw.multi();
          if (fresh) multi.del(EVENT_STREAM);
          for (let i = 0; i < 1_500; i++) multi.xadd(EVENT_STREAM, '*', 'eventId', randomUUID(), 'topic', 'test-filler', 'payload', '{}');
          if (keep !== undefined) multi.xtrim(EVENT_STREAM, 'MAXLEN', keep);
          await multi.exec();
          // Returns once C has read the newest entry.
          expect((await c.app.auditStayCache()).violations).toEqual([]);
        };

        await cached(c, hotel.id, from, addDays(from, 1));
        expect(c.app.stayCache.stats().hotels).toBe(1);
        // C has read every entry: a new stream, whose first entry is past the last one C read, loses it nothing.
        await flood({ fresh: true });
        // Read in full batches, none lost: the hotel stays cached.
        expect(c.app.stayCache.stats().hotels).toBe(1);
        await flood({});
        expect(c.app.stayCache.stats().hotels).toBe(1);

        // Trimmed to more than a read takes (as MAXLEN trimming always leaves), but the oldest 300 unread entries are gone.
        await flood({ keep: 1_200 });
        expect(c.app.stayCache.stats()).toMatchObject({ enabled: true, hotels: 0 });
        // The next search reads the database.
        expect(await counted(c, () => search(c, hotel.id, from, addDays(from, 1)))).toMatchObject({ hits: 0, misses: 1 });
        expect((await c.app.auditStayCache()).violations).toEqual([]);
      } finally {
        await c.app.stop();
        raw.disconnect();
        await redis.stop();
      }
    });
  });
}

describe('GET /internal/stay-cache', () => {
  it('audits the cache for an admin and refuses anyone else', async () => {
    const url = new URL('/internal/stay-cache', a.app.url);
    expect((await fetch(url)).status).toBe(403);
    expect((await fetch(url, { headers: { authorization: `Bearer ${guest}` } })).status).toBe(403);
    const response = await fetch(url, { headers: { authorization: `Bearer ${admin}` } });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { violations: string[]; stats: { enabled: boolean; hits: number } };
    expect(report).toMatchObject({ violations: [], stats: { enabled: true } });
  });
});
