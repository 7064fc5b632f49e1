import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { addDays } from '../../src/services/common/dates.js';
import type { AvailabilityEvent } from '../../src/services/stays/availability.js';
import { DELETE_HOTEL, DELETE_ROOM_TYPE } from '../helpers/catalog.js';
import { errorCode } from '../helpers/graphql.js';
import { CANCEL, RESERVE, reserveInput, SET_INVENTORY, SET_RATES, stockedRoomType } from '../helpers/booking.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let admin: string;
let guest: string;

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: 30_000, paymentTimeoutMs: 200, sweepIntervalMs: 0 } });
  admin = await server.token({ sub: 'admin-x', role: 'admin' });
  guest = await server.token({ sub: 'guest-x', role: 'guest' });
});

afterAll(() => server.stop());

/** The availability events of a room type, oldest first. */
async function events(roomTypeId: string): Promise<AvailabilityEvent[]> {
  const rows = await server.orm.em.fork().execute<{ payload: AvailabilityEvent }[]>(
    `select payload from outbox where topic = 'availability' and payload->>'roomTypeId' = ? order by seq`,
    [roomTypeId],
  );
  return rows.map((row) => row.payload);
}

const numbers = (event: AvailabilityEvent) =>
  event.days.map((d) => [d.date, d.total, d.reserved, d.sellLimit, d.available, d.rate?.amount ?? null]);

it('every change of inventory, reserved counts or rates writes an event with the nights new values', async () => {
  const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 4, nights: 3, rate: '80.00' });
  const [stocked, priced] = await events(roomType.id);
  expect(numbers(stocked)).toEqual([0, 1, 2].map((i) => [addDays(from, i), 4, 0, 4, 4, null]));
  expect(numbers(priced)).toEqual([0, 1, 2].map((i) => [addDays(from, i), 4, 0, 4, 4, '80.00']));
  expect(priced).toMatchObject({ hotelId: hotel.id, roomTypeId: roomType.id });

  const { reserve } = await server.client.ok(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 2), { rooms: 2 }) }, guest);
  const afterReserve = (await events(roomType.id)).at(-1)!;
  expect(numbers(afterReserve)).toEqual([0, 1].map((i) => [addDays(from, i), 4, 2, 4, 2, '80.00']));

  await server.client.ok(CANCEL, { input: { id: reserve.id, idempotencyKey: `cancel-${reserve.id}` } }, guest);
  const afterCancel = (await events(roomType.id)).at(-1)!;
  expect(numbers(afterCancel)).toEqual([0, 1].map((i) => [addDays(from, i), 4, 0, 4, 4, '80.00']));

  // A hold that is never paid expires, and its release is an event too.
  await server.client.ok(RESERVE, { input: reserveInput(roomType.id, addDays(from, 2), addDays(from, 3), { paymentToken: 'tok_timeout' }) }, guest);
  expect(numbers((await events(roomType.id)).at(-1)!)).toEqual([[addDays(from, 2), 4, 1, 4, 3, '80.00']]);
  await server.app.sweeper.runOnce(new Date(Date.now() + 60_000), { hotelIds: [hotel.id] });
  expect(numbers((await events(roomType.id)).at(-1)!)).toEqual([[addDays(from, 2), 4, 0, 4, 4, '80.00']]);

  const all = await events(roomType.id);
  expect(new Set(all.map((e) => e.eventId)).size).toBe(all.length);
});

it('a refused change writes no event', async () => {
  const { roomType, from } = await stockedRoomType(server.client, admin, { total: 1, nights: 1 });
  await server.client.ok(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 1)) }, guest);
  const before = (await events(roomType.id)).length;
  const refused = await server.client.request(SET_INVENTORY, { input: { roomTypeId: roomType.id, from, to: addDays(from, 1), total: 0 } }, admin);
  expect(errorCode(refused)).toBe('INVALID_STATE');
  const badRate = await server.client.request(SET_RATES, { input: { roomTypeId: roomType.id, from, to: addDays(from, 1), amount: '1.001' } }, admin);
  expect(errorCode(badRate)).toBe('BAD_USER_INPUT');
  const soldOut = await server.client.request(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 1)) }, guest);
  expect(errorCode(soldOut)).toBe('SOLD_OUT');
  expect(await events(roomType.id)).toHaveLength(before);
});

it('a hotel or room type that has reservations cannot be deleted', async () => {
  const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { nights: 1 });
  await server.client.ok(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 1)) }, guest);
  expect(errorCode(await server.client.request(DELETE_ROOM_TYPE, { id: roomType.id, version: 1 }, admin))).toBe('INVALID_STATE');
  expect(errorCode(await server.client.request(DELETE_HOTEL, { id: hotel.id, version: 1 }, admin))).toBe('INVALID_STATE');
  const { hotel: still } = await server.client.ok('query($id: ID!) { hotel(id: $id) { roomTypes { id } } }', { id: hotel.id });
  expect(still.roomTypes).toEqual([{ id: roomType.id }]);
});
