import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { addDays, nightsOf } from '../../src/services/common/dates.js';
import { parseAmount } from '../../src/services/common/money.js';
import { query, sql } from '../../src/services/common/sql.js';
import { availabilityEvent } from '../../src/services/stays/availability.js';
import { daysOf } from '../../src/services/stays/inventory-day.js';
import { nightlyRate } from '../../src/services/stays/pricing.js';
import { readInventory, touchInventory } from '../../src/services/stays/stays.store.js';
import {
  invariantViolations,
  RESERVE,
  reserveInput,
  reserveOk,
  SET_PRICING_RULES,
  stockedRoomType,
  type ReservationData,
} from '../helpers/booking.js';
import { errorCode } from '../helpers/graphql.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The hold is one statement that locks a stay's nights, prices the stay from the rows it
 * locked and writes the reservation with its availability event (booking.store.ts,
 * `holdStay`). Its total and its event must be exactly what the TypeScript pricing gives
 * for the rows as they were before and after it, and a change of rates or rules that
 * commits while it waits for the locks must price it.
 */

let server: TestServer;
let admin: string;
let guest: string;
/** Row locks and snapshots only mean something with concurrent connections: on PGlite those tests are skipped. */
const onPostgres = Boolean(process.env.DATABASE_URL);

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: 600_000, paymentTimeoutMs: 5_000, sweepIntervalMs: 0 } });
  admin = await server.token({ sub: 'admin-hold-pricing', role: 'admin' });
  guest = await server.token({ sub: `guest-hold-pricing-${randomUUID()}`, role: 'guest' });
});

afterAll(() => server.stop());

const stored = async (roomTypeId: string, from: string, to: string) =>
  (await readInventory(server.orm.em.fork(), [roomTypeId], from, to)).get(roomTypeId)!;

/** The payload of the hotel's newest availability event. */
async function lastAvailabilityEvent(hotelId: string) {
  const [row] = await query(
    server.orm.em.fork(),
    'test.lastAvailabilityEvent',
    sql`select payload from outbox where hotel_id = ${hotelId}::uuid and topic = 'availability' order by seq desc limit 1`,
    z.object({ payload: z.record(z.string(), z.unknown()) }),
  );
  return row.payload as unknown as ReturnType<typeof availabilityEvent>['payload'];
}

it("prices each stay at the occupancy it found and writes each day's event as the TypeScript would, booking after booking", async () => {
  const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 10, rate: '99.99', nights: 8 });
  const rules = [
    { minOccupancyPercent: 0, adjustmentPercent: -5 },
    { minOccupancyPercent: 30, adjustmentPercent: 12 },
    { minOccupancyPercent: 70, adjustmentPercent: 55 },
    { minOccupancyPercent: 100, adjustmentPercent: 200 },
  ];
  await server.client.ok(SET_PRICING_RULES, { input: { roomTypeId: roomType.id, version: roomType.version, rules } }, admin);
  const to = addDays(from, 8);
  let booked = 0;
  for (let i = 0; i < 40; i++) {
    const start = (i * 5) % 6;
    const stay = { checkIn: addDays(from, start), checkOut: addDays(from, start + 1 + (i % 3)), rooms: 1 + (i % 3) };
    const nights = nightsOf(stay.checkIn, stay.checkOut);
    const before = await stored(roomType.id, from, to);
    const answer = await server.client.request<{ reserve: ReservationData }>(
      RESERVE,
      { input: reserveInput(roomType.id, stay.checkIn, stay.checkOut, { rooms: stay.rooms }) },
      guest,
    );
    const room = (date: string) => before.inventory.get(date)!;
    if (nights.some((date) => room(date).reserved + stay.rooms > room(date).sellLimit)) {
      expect(errorCode(answer)).toBe('SOLD_OUT');
      continue;
    }
    expect(errorCode(answer)).toBeUndefined();
    booked++;
    const total = nights.reduce(
      (sum, date) => sum + nightlyRate(before.rates.get(date)!, room(date).reserved, room(date).total, before.rules) * stay.rooms,
      0,
    );
    expect(parseAmount(answer.data!.reserve.total.amount, 'EUR')).toBe(total);

    const after = await stored(roomType.id, from, to);
    const event = await lastAvailabilityEvent(hotel.id);
    const expected = availabilityEvent(hotel.id, roomType.id, daysOf(after, nights, hotel.currency), new Date()).payload;
    expect(event.days).toEqual(expected.days);
    expect(event.days.map((day) => day.version)).toEqual(nights.map((date) => room(date).version + 1));
    expect(event).toMatchObject({ hotelId: hotel.id, roomTypeId: roomType.id });
  }
  // The walk sold out some nights and refused on them.
  expect(booked).toBeGreaterThan(5);
  expect(booked).toBeLessThan(40);
  expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
});

describe('a change of prices that commits while the hold waits for the nights', () => {
  /**
   * Holds the stay's nights under the inventory lock (as setRates and setPricingRules
   * do, `touchInventory`), makes `change` in that transaction, starts a reserve, waits
   * until its hold statement waits for the locks, and only then commits.
   */
  async function changeWhileHoldWaits(stay: { roomTypeId: string; from: string; to: string }, change: (tx: any) => Promise<void>) {
    let answer!: Promise<ReservationData>;
    await server.orm.em.fork().transactional(async (tx) => {
      await touchInventory(tx, { roomTypeId: stay.roomTypeId, from: stay.from, to: stay.to });
      await change(tx);
      const [{ pid }] = await query(tx, 'test.backendPid', sql`select pg_backend_pid() as pid`, z.object({ pid: z.number() }));
      answer = reserveOk(server.client, guest, reserveInput(stay.roomTypeId, stay.from, stay.to));
      answer.catch(() => undefined);
      for (let waited = 0; ; waited += 10) {
        const [{ waiting }] = await query(
          server.orm.em.fork(),
          'test.holdWaiting',
          sql`select count(*)::int as waiting from pg_stat_activity
               where query like '%booking.holdStay%' and ${pid}::int = any(pg_blocking_pids(pid))`,
          z.object({ waiting: z.number() }),
        );
        if (waiting > 0) break;
        if (waited > 10_000) throw new Error('the hold never waited for the locks');
        await delay(10);
      }
    });
    return answer;
  }

  /** The hotel's newest availability event shows these days ([reserved, base rate, rate]), and the invariants hold. */
  async function expectEventDays(hotelId: string, days: [number, string, string][]) {
    const event = await lastAvailabilityEvent(hotelId);
    expect(event.days.map((day) => [day.reserved, day.baseRate?.amount, day.rate?.amount])).toEqual(days);
    expect(await invariantViolations(server.orm, [hotelId])).toEqual([]);
  }

  (onPostgres ? it : it.skip)('new base rates: the hold pays them, and its event shows them', async () => {
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 10, rate: '100.00' });
    const to = addDays(from, 2);
    const booked = await changeWhileHoldWaits({ roomTypeId: roomType.id, from, to }, (tx) =>
      tx.execute(`update room_type_rate set amount_minor = 25000 where room_type_id = ? and date >= ? and date < ?`, [roomType.id, from, to]),
    );
    expect(booked.total).toEqual({ amount: '500.00', currency: 'EUR' });
    await expectEventDays(hotel.id, [
      [1, '250.00', '250.00'],
      [1, '250.00', '250.00'],
    ]);
  });

  (onPostgres ? it : it.skip)('new pricing rules: the hold is priced by them, and its event too', async () => {
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 10, rate: '100.00' });
    const to = addDays(from, 2);
    const booked = await changeWhileHoldWaits({ roomTypeId: roomType.id, from, to }, (tx) =>
      tx.execute(`insert into pricing_rule (room_type_id, hotel_id, min_occupancy_percent, adjustment_percent) values (?, ?, 0, 50), (?, ?, 10, 100)`, [
        roomType.id,
        hotel.id,
        roomType.id,
        hotel.id,
      ]),
    );
    // Priced at 0% occupancy (+50%); the event shows the nights at 10% (+100%).
    expect(booked.total).toEqual({ amount: '300.00', currency: 'EUR' });
    await expectEventDays(hotel.id, [
      [1, '100.00', '200.00'],
      [1, '100.00', '200.00'],
    ]);
  });
});
