import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { addDays } from '../../src/services/common/dates.js';
import { CANCEL, RESERVE, reserveInput, SET_INVENTORY, SET_RATES, stockedRoomType } from '../helpers/booking.js';
import { createHotel, createRoomType } from '../helpers/catalog.js';
import { connect, quiet, until, untilMarker, watch, wsUrl, type Change, type Watcher } from '../helpers/live.js';
import { instancePair, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Live availability through the real graphql-ws client. With REDIS_URL two server
 * instances share the database and Redis, and every change must reach subscribers
 * on both; without it, the one instance's in-process bus carries them.
 */
let a: TestServer;
let b: TestServer;
let instances: TestServer[];
let admin: string;
let guest: string;
const clients: ReturnType<typeof connect>[] = [];

let pair: Awaited<ReturnType<typeof instancePair>>;

beforeAll(async () => {
  pair = await instancePair({ holdTtlMs: 30_000, paymentTimeoutMs: 200, sweepIntervalMs: 0 });
  ({ a, b } = pair);
  instances = a === b ? [a] : [a, b];
  admin = await a.token({ sub: 'admin-live', role: 'admin' });
  guest = await a.token({ sub: 'guest-live', role: 'guest' });
});

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await pair.stop();
});

function client(server: TestServer, authorization?: string) {
  const c = connect(server.app, authorization);
  clients.push(c);
  return c;
}

/** Subscribers on every instance, with the same filter. */
function watchEverywhere(variables: Record<string, unknown>): Promise<Watcher[]> {
  return Promise.all(instances.map((server) => watch(server.app, client(server), variables)));
}

const reservedOf = (w: Watcher) => w.changes.map((c) => c.days.map((d) => [d.date, d.reserved]));
/** Every event on the hotel has reached the buses of all instances: later subscribers see only what follows. */
const settled = (hotelId: string) => quiet(instances.map((server) => server.app), a.client, admin, hotelId);
/** The marker changes of these tests: a night's total set to a value nothing else uses. */
const totalSet = (date: string, total: number) => (c: Change) => c.days.some((d) => d.date === date && d.total === total);
const setTotal = (roomTypeId: string, date: string, total: number) =>
  a.client.ok(SET_INVENTORY, { input: { roomTypeId, from: date, to: addDays(date, 1), total } }, admin);

describe('availabilityChanged', () => {
  it('a reservation through one instance reaches subscribers on every instance within a second, exactly once', async () => {
    const { hotel, roomType, from } = await stockedRoomType(a.client, admin, { total: 5, nights: 3 });
    await settled(hotel.id);
    const watchers = await watchEverywhere({ hotelId: hotel.id });
    const started = Date.now();
    await a.client.ok(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 2)) }, guest);
    await until(() => watchers.every((w) => w.changes.length >= 1), 1_000, 'the event on every instance');
    const latency = Date.now() - started;
    // A later change on the hotel: once it is in, a duplicate of the reservation's event would be too.
    const last = addDays(from, 2);
    await setTotal(roomType.id, last, 6);
    await untilMarker(watchers, totalSet(last, 6));
    for (const w of watchers) {
      expect(w.errors).toEqual([]);
      expect(reservedOf(w)).toEqual([[[from, 1], [addDays(from, 1), 1]], [[last, 0]]]);
      expect(w.changes[0]).toMatchObject({ hotelId: hotel.id, roomTypeId: roomType.id });
    }
    expect(new Set(watchers.map((w) => w.changes[0].eventId)).size).toBe(1);
    expect(latency).toBeLessThan(1_000);
  });

  it('filters by room type and by nights overlapping [from, to), sending only those nights', async () => {
    const { hotel, roomType, from } = await stockedRoomType(a.client, admin, { total: 5, nights: 4 });
    const other = await createRoomType(a.client, admin, hotel.id);
    await a.client.ok(SET_INVENTORY, { input: { roomTypeId: other.id, from, to: addDays(from, 4), total: 2 } }, admin);
    await settled(hotel.id);
    const byType = await watchEverywhere({ hotelId: hotel.id, roomTypeId: roomType.id });
    const byDates = await watchEverywhere({ hotelId: hotel.id, from: addDays(from, 1), to: addDays(from, 2) });
    const later = await watchEverywhere({ hotelId: hotel.id, from: addDays(from, 3) });

    await a.client.ok(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 3)) }, guest);
    await a.client.ok(SET_INVENTORY, { input: { roomTypeId: other.id, from, to: addDays(from, 2), total: 3 } }, admin);
    // The marker every filter lets through: the room type, on the nights of both date ranges.
    await a.client.ok(SET_RATES, { input: { roomTypeId: roomType.id, from: addDays(from, 1), to: addDays(from, 4), amount: '123.00' } }, admin);
    await untilMarker([...byType, ...byDates, ...later], (c) => c.days.some((d) => d.rate?.amount === '123.00'));

    const seen = (w: Watcher) => w.changes.map((c) => [c.roomTypeId, c.days.map((d) => d.date)]);
    const nights = (...offsets: number[]) => offsets.map((i) => addDays(from, i));
    for (const w of byType) {
      expect(seen(w)).toEqual([
        [roomType.id, nights(0, 1, 2)],
        [roomType.id, nights(1, 2, 3)],
      ]);
    }
    for (const w of byDates) {
      expect(seen(w)).toEqual([
        [roomType.id, nights(1)],
        [other.id, nights(1)],
        [roomType.id, nights(1)],
      ]);
    }
    for (const w of later) expect(seen(w)).toEqual([[roomType.id, nights(3)]]);
  });

  it('rate and inventory changes arrive with their new values', async () => {
    const { hotel, roomType, from } = await stockedRoomType(a.client, admin, { total: 5, nights: 2, rate: '90.00' });
    await settled(hotel.id);
    const watchers = await watchEverywhere({ hotelId: hotel.id });
    await a.client.ok(SET_RATES, { input: { roomTypeId: roomType.id, from, to: addDays(from, 1), amount: '95.50' } }, admin);
    await a.client.ok(SET_INVENTORY, { input: { roomTypeId: roomType.id, from, to: addDays(from, 2), total: 8 } }, admin);
    await setTotal(roomType.id, addDays(from, 1), 9);
    await untilMarker(watchers, totalSet(addDays(from, 1), 9));
    for (const w of watchers) {
      expect(w.changes.map((c) => c.days.map((d) => [d.date, d.total, d.sellLimit, d.rate?.amount]))).toEqual([
        [[from, 5, 5, '95.50']],
        [
          [from, 8, 8, '95.50'],
          [addDays(from, 1), 8, 8, '90.00'],
        ],
        [[addDays(from, 1), 9, 9, '90.00']],
      ]);
    }
  });

  it('cancellations and expired holds are events too', async () => {
    const { hotel, roomType, from } = await stockedRoomType(a.client, admin, { total: 5, nights: 1 });
    await settled(hotel.id);
    const watchers = await watchEverywhere({ hotelId: hotel.id });
    const { reserve } = await a.client.ok(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 1)) }, guest);
    await a.client.ok(CANCEL, { input: { id: reserve.id, idempotencyKey: `cancel-${reserve.id}` } }, guest);
    await a.client.ok(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 1), { paymentToken: 'tok_timeout' }) }, guest);
    await a.app.sweeper.runOnce(new Date(Date.now() + 60_000), { hotelIds: [hotel.id] });
    await setTotal(roomType.id, from, 6);
    await untilMarker(watchers, totalSet(from, 6));
    for (const w of watchers) {
      expect(w.changes.map((c) => [c.days[0].reserved, c.days[0].total])).toEqual([
        [1, 5],
        [0, 5],
        [1, 5],
        [0, 5],
        [0, 6],
      ]);
    }
  });

  it('a subscriber to another hotel gets nothing', async () => {
    const { roomType, from } = await stockedRoomType(a.client, admin, { total: 5, nights: 1 });
    const elsewhere = await createHotel(a.client, admin);
    const there = await createRoomType(a.client, admin, elsewhere.id);
    const watchers = await watchEverywhere({ hotelId: elsewhere.id });
    await a.client.ok(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 1)) }, guest);
    // The marker is a change at the other hotel, committed after the reservation.
    await setTotal(there.id, from, 4);
    await untilMarker(watchers, totalSet(from, 4));
    for (const w of watchers) expect(w.changes.map((c) => [c.hotelId, c.roomTypeId])).toEqual([[elsewhere.id, there.id]]);
  });

  it('unknown hotels and room types, and reversed dates, are refused with their codes', async () => {
    const hotel = await createHotel(a.client, admin);
    const cases: [Record<string, unknown>, string][] = [
      [{ hotelId: '0190a000-0000-7000-8000-000000000000' }, 'NOT_FOUND'],
      [{ hotelId: hotel.id, roomTypeId: 'nope' }, 'NOT_FOUND'],
      [{ hotelId: hotel.id, from: '2027-01-02', to: '2027-01-01' }, 'BAD_USER_INPUT'],
    ];
    for (const [variables, code] of cases) {
      const w = await watch(a.app, client(a), variables);
      await until(() => w.errors.length > 0, 2_000, 'the refusal');
      expect((w.errors[0] as { extensions?: { code?: string } }).extensions?.code).toBe(code);
    }
  });
});

describe('the WebSocket connection', () => {
  it('anonymous sockets may subscribe; a bad token is refused at connect', async () => {
    const { hotel } = await stockedRoomType(a.client, admin, { nights: 1 });
    const anonymous = await watch(a.app, client(a), { hotelId: hotel.id });
    expect(anonymous.errors).toEqual([]);
    const withToken = await watch(a.app, client(a, `Bearer ${guest}`), { hotelId: hotel.id });
    expect(withToken.errors).toEqual([]);

    const refused = await watch(a.app, client(a, 'Bearer not-a-token'), { hotelId: hotel.id });
    await until(() => refused.errors.length > 0, 2_000, 'the refusal');
    expect((refused.errors[0] as { code?: number }).code).toBe(4403);
  });

  it('allows at most 100 subscriptions per socket', async () => {
    const { hotel } = await stockedRoomType(a.client, admin, { nights: 1 });
    const socket = client(a);
    const watchers: Watcher[] = [];
    for (let i = 0; i < 100; i++) watchers.push(await watch(a.app, socket, { hotelId: hotel.id, from: addDays("2027-01-01", i) }));
    expect(watchers.every((w) => w.errors.length === 0)).toBe(true);
    const extra = await watch(a.app, socket, { hotelId: hotel.id });
    await until(() => extra.errors.length > 0, 2_000, 'the refusal');
    expect((extra.errors[0] as { extensions?: { code?: string } }).extensions?.code).toBe('BAD_USER_INPUT');
    const open = a.app.bus.subscriberCount;
    watchers[0].stop();
    await until(() => a.app.bus.subscriberCount < open, 2_000, 'the freed slot');
    const again = await watch(a.app, socket, { hotelId: hotel.id });
    expect(again.errors).toEqual([]);
  });

  it('closes a socket that never sends connection_init', async () => {
    const socket = new WebSocket(wsUrl(a.app), 'graphql-transport-ws');
    const started = Date.now();
    const code = await new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stopping a server closes its sockets cleanly (1001)', async () => {
    const server = await startTestServer({ booking: { sweepIntervalMs: 0, holdTtlMs: 60_000, paymentTimeoutMs: 200 } });
    const hotel = await createHotel(server.client, admin);
    const closed = new Promise<number>((resolve) => {
      const socket = new WebSocket(wsUrl(server.app), 'graphql-transport-ws');
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString());
        if (message.type === 'connection_ack') {
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `subscription { availabilityChanged(hotelId: "${hotel.id}") { eventId } }` } }));
        }
      });
      socket.on('close', (c) => resolve(c));
    });
    await until(() => server.app.bus.subscriberCount === 1, 2_000, 'the subscription');
    await server.stop();
    expect(await closed).toBe(1001);
  });
});
