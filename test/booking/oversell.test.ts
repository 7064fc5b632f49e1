import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addDays } from '../../src/services/common/dates.js';
import {
  INVENTORY,
  invariantViolations,
  RESERVE,
  reserveInput,
  SET_PRICING_RULES,
  stockedRoomType,
} from '../helpers/booking.js';
import { errorCode, type GraphQLResult } from '../helpers/graphql.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Never oversell: many buyers at once on one room type, each on its own HTTP
 * connection and (on PostgreSQL) its own database connection.
 */
const BUYERS = 200;

let server: TestServer;
let admin: string;
let guests: string[];

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: 600_000, paymentTimeoutMs: 5_000, sweepIntervalMs: 0 } });
  admin = await server.token({ sub: 'admin-o', role: 'admin' });
  guests = await Promise.all(Array.from({ length: 8 }, (_, i) => server.token({ sub: `guest-o-${i}`, role: 'guest' })));
});

afterAll(() => server.stop());

function outcomes(results: GraphQLResult[]) {
  const sold = results.filter((r) => !r.errors);
  const codes = results.filter((r) => r.errors).map(errorCode);
  return { sold, codes };
}

describe(`${BUYERS} concurrent reserve calls on one room type with 10 rooms and 10% overbooking`, () => {
  it('sell exactly 11, every other call gets SOLD_OUT, and invariant 1 holds', async () => {
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 10 });
    const checkOut = addDays(from, 3);
    const results = await Promise.all(
      Array.from({ length: BUYERS }, (_, i) =>
        server.client.request(RESERVE, { input: reserveInput(roomType.id, from, checkOut) }, guests[i % guests.length]),
      ),
    );
    const { sold, codes } = outcomes(results);
    expect(sold).toHaveLength(11);
    expect(codes).toEqual(Array(BUYERS - 11).fill('SOLD_OUT'));
    expect(sold.every((r) => r.data!.reserve.status === 'CONFIRMED')).toBe(true);

    const { roomType: read } = await server.client.ok(INVENTORY, { id: roomType.id, from, to: checkOut });
    expect(read.inventory.map((d: { reserved: number; available: number }) => [d.reserved, d.available])).toEqual([
      [11, 0],
      [11, 0],
      [11, 0],
    ]);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });

  it('with overlapping stays of different lengths: no night oversold, every refusal SOLD_OUT', async () => {
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 10, nights: 10 });
    const stays = Array.from({ length: BUYERS }, (_, i) => {
      const start = (i * 7) % 8; // nights 0..7
      const length = 1 + ((i * 3) % 3); // 1..3 nights
      return { checkIn: addDays(from, start), checkOut: addDays(from, start + length), rooms: 1 + (i % 2) };
    });
    const results = await Promise.all(
      stays.map((stay, i) =>
        server.client.request(
          RESERVE,
          { input: reserveInput(roomType.id, stay.checkIn, stay.checkOut, { rooms: stay.rooms }) },
          guests[i % guests.length],
        ),
      ),
    );
    const { sold, codes } = outcomes(results);
    expect(codes.every((code) => code === 'SOLD_OUT')).toBe(true);
    expect(sold.length).toBeGreaterThan(0);

    const { roomType: read } = await server.client.ok(INVENTORY, { id: roomType.id, from, to: addDays(from, 10) });
    const reserved = read.inventory.map((d: { reserved: number }) => d.reserved);
    expect(Math.max(...reserved)).toBeLessThanOrEqual(11);
    // Demand far exceeds supply on the busiest nights: they sell out to the last room (or one short, when only 2-room stays were left).
    expect(reserved.filter((r: number) => r >= 10).length).toBeGreaterThan(0);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });

  it('each buyer pays the rate of the occupancy its booking found, however the race went', async () => {
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 10, rate: '100.00' });
    const rules = [{ minOccupancyPercent: 50, adjustmentPercent: 100 }];
    await server.client.ok(SET_PRICING_RULES, { input: { roomTypeId: roomType.id, version: roomType.version, rules } }, admin);
    const checkOut = addDays(from, 2);
    const results = await Promise.all(
      Array.from({ length: BUYERS }, (_, i) =>
        server.client.request(RESERVE, { input: reserveInput(roomType.id, from, checkOut) }, guests[i % guests.length]),
      ),
    );
    const { sold, codes } = outcomes(results);
    expect(codes).toEqual(Array(BUYERS - 11).fill('SOLD_OUT'));
    // Bookings 1-5 find 0-40% occupancy and pay 2 x 100.00; bookings 6-11 find 50-100% and pay 2 x 200.00.
    // A price computed from a stale read would put a sixth buyer in the cheap group.
    const totals = sold.map((r) => r.data!.reserve.total.amount as string).sort();
    expect(totals).toEqual([...Array(5).fill('200.00'), ...Array(6).fill('400.00')]);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });
});
