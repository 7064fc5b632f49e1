import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addDays, todayIn } from '../../src/services/common/dates.js';
import {
  CANCEL,
  INVENTORY,
  invariantViolations,
  RESERVE,
  reserveInput,
  reserveOk,
  SET_INVENTORY,
  SET_PRICING_RULES,
  stockedRoomType,
  type ReservationData,
  type StockedRoomType,
} from '../helpers/booking.js';
import { errorCode } from '../helpers/graphql.js';
import { reservedCounts } from '../helpers/inventory.js';
import { minor, MY_RESERVATIONS, RESERVATION, reservationCount, type ReservationPage } from '../helpers/reservations.js';
import { chargesOf } from '../helpers/saga.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** reserve and cancelReservation through the public API: pricing, holds, payment, refunds, and who may do what. */

let server: TestServer; // the one most tests use: payments answer in time, holds last 10 minutes
let slowPay: TestServer; // gateway timeouts after 200 ms leave PENDING holds of 10 minutes
let admin: string;
let guest: string;
let otherGuest: string;
const hotelsOf = new Map<TestServer, string[]>();

beforeAll(async () => {
  [server, slowPay] = await Promise.all([
    startTestServer({ booking: { holdTtlMs: 600_000, paymentTimeoutMs: 2_000, sweepIntervalMs: 0 } }),
    startTestServer({ booking: { holdTtlMs: 600_000, paymentTimeoutMs: 200, sweepIntervalMs: 0 } }),
  ]);
  // Both share one JWT secret: any server accepts these tokens.
  admin = await server.token({ sub: 'admin-res', role: 'admin' });
  guest = await server.token({ sub: `guest-res-${randomUUID()}`, role: 'guest' });
  otherGuest = await server.token({ sub: `guest-res-${randomUUID()}`, role: 'guest' });
});

afterAll(() => Promise.all([server, slowPay].map((s) => s?.stop())));

/** A stocked room type on `on`, remembered for the final invariant check. */
async function stock(on: TestServer, options: Parameters<typeof stockedRoomType>[2] = {}): Promise<StockedRoomType> {
  const stocked = await stockedRoomType(on.client, admin, options);
  hotelsOf.set(on, [...(hotelsOf.get(on) ?? []), stocked.hotel.id]);
  return stocked;
}

const staffOf = (hotelId: string) => server.token({ sub: `staff-res-${randomUUID()}`, role: 'staff', hotels: [hotelId] });
const cancel = (on: TestServer, id: string, token?: string) =>
  on.client.request<{ cancelReservation: ReservationData }>(CANCEL, { input: { id, idempotencyKey: `cancel-${randomUUID()}` } }, token);
const read = async (on: TestServer, id: string) =>
  (await on.client.ok<{ reservation: ReservationData }>(RESERVATION, { id }, admin)).reservation;
/** Settles the hotel's PENDING holds as of just after `hold` expires: no waiting, and no other hotel touched. */
const sweepAfter = (on: TestServer, hotelId: string, hold: ReservationData) =>
  on.app.sweeper.runOnce(new Date(Date.parse(hold.holdExpiresAt!) + 1), { hotelIds: [hotelId] });

describe('reserve', () => {
  it('confirms a paid stay, charges the sum of its rule-adjusted nightly rates and holds exactly its nights', async () => {
    const { hotel, roomType, from } = await stock(server, { total: 10 });
    const rules = [{ minOccupancyPercent: 20, adjustmentPercent: 50 }];
    await server.client.ok(SET_PRICING_RULES, { input: { roomTypeId: roomType.id, version: roomType.version, rules } }, admin);
    const checkIn = addDays(from, 1);
    const checkOut = addDays(from, 4);
    const window = [from, addDays(from, 6)] as const;

    // 2 of 10 rooms sold on the first night puts it at 20% occupancy: +50% from then on.
    const early = await reserveOk(server.client, guest, reserveInput(roomType.id, checkIn, addDays(checkIn, 1), { rooms: 2 }));
    expect(early.total).toEqual({ amount: '200.00', currency: 'EUR' });
    expect(await reservedCounts(server.client, roomType.id, ...window)).toEqual([0, 2, 0, 0, 0, 0]);

    const { roomType: quoted } = await server.client.ok(INVENTORY, { id: roomType.id, from: checkIn, to: checkOut });
    const rates = quoted.inventory.map((night: { rate: { amount: string } }) => night.rate.amount);
    expect(rates).toEqual(['150.00', '100.00', '100.00']);

    const input = reserveInput(roomType.id, checkIn, checkOut, { rooms: 2, guest: { name: 'Grace Hopper', email: 'grace@example.com' } });
    const booked = await reserveOk(server.client, guest, input);
    expect(booked).toMatchObject({
      status: 'CONFIRMED',
      holdExpiresAt: null,
      checkIn,
      checkOut,
      rooms: 2,
      guest: input.guest,
      hotel: { id: hotel.id },
      roomType: { id: roomType.id },
      total: { amount: '700.00', currency: 'EUR' },
    });
    expect(minor(booked.total.amount)).toBe(rates.reduce((sum: number, rate: string) => sum + minor(rate), 0) * 2);
    expect(await chargesOf(server.orm, roomType.id)).toMatchObject([
      { reservationId: early.id, status: 'succeeded', amount: 20_000, refunded: 0 },
      { reservationId: booked.id, status: 'succeeded', amount: 70_000, refunded: 0 },
    ]);
    expect(await reservedCounts(server.client, roomType.id, ...window)).toEqual([0, 4, 2, 2, 0, 0]);
  });

  it('needs a token', async () => {
    const { hotel, roomType, from } = await stock(server);
    const result = await server.client.request(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 1)) });
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
    expect(await reservationCount(server.orm, hotel.id)).toBe(0);
  });

  describe('refuses, writing nothing', () => {
    // UTC+14: today there is always at least one day after today in Pago Pago (UTC-11).
    let stocked: StockedRoomType;
    beforeAll(async () => {
      stocked = await stock(server, { total: 10, nights: 14, hotel: { timezone: 'Pacific/Kiritimati' } });
      const { roomType, to } = stocked;
      // Two more nights with rooms but no base rate; nothing at all after them.
      await server.client.ok(SET_INVENTORY, { input: { roomTypeId: roomType.id, from: to, to: addDays(to, 2), total: 10 } }, admin);
      // 10 of the 11 sellable rooms (10% overbooking) sold on the fourth night.
      await reserveOk(server.client, guest, reserveInput(roomType.id, addDays(stocked.from, 3), addDays(stocked.from, 4), { rooms: 10 }));
    });

    type Case = [string, string, (s: StockedRoomType) => Record<string, unknown>];
    const stay = ({ roomType, from }: StockedRoomType, start: number, end: number, overrides: Record<string, unknown> = {}) =>
      reserveInput(roomType.id, addDays(from, start), addDays(from, end), overrides);
    const cases: Case[] = [
      ['checkOut equal to checkIn', 'BAD_USER_INPUT', (s) => stay(s, 1, 1)],
      ['checkOut before checkIn', 'BAD_USER_INPUT', (s) => stay(s, 2, 1)],
      ['a stay of 31 nights', 'BAD_USER_INPUT', (s) => stay(s, 0, 31)],
      ['a check-in in the past of the hotel time zone', 'BAD_USER_INPUT', (s) =>
        reserveInput(s.roomType.id, todayIn('Pacific/Pago_Pago'), addDays(s.from, 1))],
      ['0 rooms', 'BAD_USER_INPUT', (s) => stay(s, 0, 1, { rooms: 0 })],
      ['21 rooms', 'BAD_USER_INPUT', (s) => stay(s, 0, 1, { rooms: 21 })],
      ['a checkIn that is no calendar date', 'BAD_USER_INPUT', (s) => stay(s, 0, 1, { checkIn: '2026-02-30' })],
      ['a checkOut written with slashes', 'BAD_USER_INPUT', (s) => stay(s, 0, 1, { checkOut: '2026/01/01' })],
      ['an empty guest name', 'BAD_USER_INPUT', (s) => stay(s, 0, 1, { guest: { name: '', email: 'ada@example.com' } })],
      ['an invalid guest email', 'BAD_USER_INPUT', (s) => stay(s, 0, 1, { guest: { name: 'Ada', email: 'ada@example' } })],
      ['an empty payment token', 'BAD_USER_INPUT', (s) => stay(s, 0, 1, { paymentToken: '' })],
      ['a 7-character idempotency key', 'BAD_USER_INPUT', (s) => stay(s, 0, 1, { idempotencyKey: 'k234567' })],
      ['an unknown room type id', 'NOT_FOUND', (s) => stay(s, 0, 1, { roomTypeId: randomUUID() })],
      ['a room type id that is no uuid', 'NOT_FOUND', (s) => stay(s, 0, 1, { roomTypeId: 'not-a-room-type' })],
      ['nights without inventory', 'SOLD_OUT', (s) => stay(s, 16, 18)],
      ['a night without a base rate', 'SOLD_OUT', (s) => stay(s, 13, 15)],
      ['more rooms than the sell limit', 'SOLD_OUT', (s) => stay(s, 0, 1, { rooms: 12 })],
      ['more rooms than are left', 'SOLD_OUT', (s) => stay(s, 2, 5, { rooms: 2 })],
    ];

    it.each(cases)('%s: %s', async (_name, code, input) => {
      const before = await reservationCount(server.orm, stocked.hotel.id);
      const nights = await reservedCounts(server.client, stocked.roomType.id, stocked.from, stocked.to);
      const result = await server.client.request(RESERVE, { input: input(stocked) }, guest);
      expect(errorCode(result)).toBe(code);
      expect(result.data?.reserve ?? null).toBeNull();
      expect(await reservationCount(server.orm, stocked.hotel.id)).toBe(before);
      expect(await reservedCounts(server.client, stocked.roomType.id, stocked.from, stocked.to)).toEqual(nights);
    });
  });

  it('PAYMENT_DECLINED holds no rooms, keeps no money, and leaves a REJECTED reservation for its owner', async () => {
    const { hotel, roomType, from, to } = await stock(server, { total: 5 });
    const declined = await server.token({ sub: `guest-res-${randomUUID()}`, role: 'guest' });
    const before = await reservedCounts(server.client, roomType.id, from, to);
    const result = await server.client.request(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 2), { paymentToken: 'tok_declined' }) }, declined);
    expect(errorCode(result)).toBe('PAYMENT_DECLINED');
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual(before);

    const { myReservations } = await server.client.ok<{ myReservations: ReservationPage }>(MY_RESERVATIONS, {}, declined);
    expect(myReservations.edges.map((e) => e.node)).toMatchObject([{ status: 'REJECTED', hotel: { id: hotel.id } }]);
    const charges = await chargesOf(server.orm, roomType.id);
    expect(charges.map((c) => [c.reservationId, c.status])).toEqual([[myReservations.edges[0].node.id, 'declined']]);
  });
});

describe('cancelReservation', () => {
  it('by the owner, staff of the hotel or an admin: CONFIRMED becomes REFUNDED, nights and money go back, once', async () => {
    const { hotel, roomType, from, to } = await stock(server, { total: 10 });
    const cancellers = [guest, await staffOf(hotel.id), admin];
    const chargeOf = async (id: string) => (await chargesOf(server.orm, roomType.id)).find((c) => c.reservationId === id);
    for (const [i, canceller] of cancellers.entries()) {
      const rooms = i + 1;
      const booked = await reserveOk(server.client, guest, reserveInput(roomType.id, addDays(from, 2 * i), addDays(from, 2 * i + 2), { rooms }));
      const held = await reservedCounts(server.client, roomType.id, from, to);
      const charge = await chargeOf(booked.id);

      const { data } = await cancel(server, booked.id, canceller);
      expect(data?.cancelReservation).toMatchObject({ id: booked.id, status: 'REFUNDED', holdExpiresAt: null });
      const released = held.map((n, night) => (night >= 2 * i && night < 2 * i + 2 ? n - rooms : n));
      expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual(released);
      const refunded = await chargeOf(booked.id);
      expect(refunded).toMatchObject({ status: 'succeeded', amount: charge!.amount, refunded: charge!.amount });
      expect(refunded!.refundedAt).not.toBeNull();

      // Again, with a new key: the same answer, no second refund, nothing released twice.
      const stored = await read(server, booked.id);
      const again = await cancel(server, booked.id, canceller);
      expect(again.data?.cancelReservation).toEqual(stored);
      expect(stored.status).toBe('REFUNDED');
      expect(await chargeOf(booked.id)).toEqual(refunded);
      expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual(released);
    }
  });

  it('answers with the reservation as stored, version included', async () => {
    const { roomType, from } = await stock(server, { total: 10 });
    const booked = await reserveOk(server.client, guest, reserveInput(roomType.id, from, addDays(from, 1)));
    const { data } = await cancel(server, booked.id, guest);
    expect(data?.cancelReservation).toEqual(await read(server, booked.id));
  });

  it('a PENDING hold becomes CANCELLED, its nights released, nothing charged', async () => {
    const { roomType, from, to } = await stock(slowPay, { total: 10 });
    const held = await reserveOk(slowPay.client, guest, reserveInput(roomType.id, from, addDays(from, 2), { paymentToken: 'tok_timeout', rooms: 3 }));
    expect(held.status).toBe('PENDING');
    expect(held.holdExpiresAt).not.toBeNull();
    expect((await reservedCounts(slowPay.client, roomType.id, from, to)).slice(0, 3)).toEqual([3, 3, 0]);

    const { data } = await cancel(slowPay, held.id, guest);
    expect(data?.cancelReservation).toMatchObject({ status: 'CANCELLED', holdExpiresAt: null });
    expect(await reservedCounts(slowPay.client, roomType.id, from, to)).toEqual(Array(14).fill(0));
    expect(await chargesOf(slowPay.orm, roomType.id)).toEqual([]);
    expect((await cancel(slowPay, held.id, guest)).data?.cancelReservation.status).toBe('CANCELLED');
  });

  it('an EXPIRED or REJECTED reservation cannot be cancelled (INVALID_STATE)', async () => {
    const { hotel, roomType, from, to } = await stock(slowPay, { total: 10 });
    const held = await reserveOk(slowPay.client, guest, reserveInput(roomType.id, from, addDays(from, 1), { paymentToken: 'tok_timeout' }));
    expect(held.status).toBe('PENDING');
    expect(await sweepAfter(slowPay, hotel.id, held)).toMatchObject({ expired: 1, confirmed: 0 });
    expect((await read(slowPay, held.id)).status).toBe('EXPIRED');
    expect(errorCode(await cancel(slowPay, held.id, guest))).toBe('INVALID_STATE');
    expect((await read(slowPay, held.id)).status).toBe('EXPIRED');
    expect(await reservedCounts(slowPay.client, roomType.id, from, to)).toEqual(Array(14).fill(0));

    const other = await stock(server, { total: 10 });
    const declined = await server.client.request(RESERVE, { input: reserveInput(other.roomType.id, other.from, addDays(other.from, 1), { paymentToken: 'tok_declined' }) }, otherGuest);
    expect(errorCode(declined)).toBe('PAYMENT_DECLINED');
    const { myReservations } = await server.client.ok<{ myReservations: ReservationPage }>(MY_RESERVATIONS, { first: 1 }, otherGuest);
    const rejected = myReservations.edges[0].node;
    expect(rejected.status).toBe('REJECTED');
    expect(errorCode(await cancel(server, rejected.id, otherGuest))).toBe('INVALID_STATE');
    expect((await read(server, rejected.id)).status).toBe('REJECTED');
  });

  it('after the check-in date has passed: INVALID_STATE, nothing refunded', async () => {
    // Dates moved by SQL break invariant 1 for this hotel on purpose: it stays out of the final check.
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 10 });
    const booked = await reserveOk(server.client, guest, reserveInput(roomType.id, from, addDays(from, 2)));
    const today = todayIn(hotel.timezone);
    await server.orm.em.fork().execute('update reservation set check_in = ?, check_out = ? where id = ?', [addDays(today, -3), addDays(today, -1), booked.id]);

    expect(errorCode(await cancel(server, booked.id, guest))).toBe('INVALID_STATE');
    expect(errorCode(await cancel(server, booked.id, admin))).toBe('INVALID_STATE');
    expect(await read(server, booked.id)).toMatchObject({ status: 'CONFIRMED', version: booked.version });
    expect(await chargesOf(server.orm, roomType.id)).toMatchObject([{ reservationId: booked.id, status: 'succeeded', refunded: 0 }]);
  });

  it("someone else's reservation (another guest, staff of another hotel) is NOT_FOUND and nothing changes", async () => {
    const { roomType, from, to } = await stock(server, { total: 10 });
    const elsewhere = await stock(server);
    const booked = await reserveOk(server.client, guest, reserveInput(roomType.id, from, addDays(from, 2), { rooms: 2 }));
    const held = await reservedCounts(server.client, roomType.id, from, to);
    for (const stranger of [otherGuest, await staffOf(elsewhere.hotel.id)]) {
      expect(errorCode(await cancel(server, booked.id, stranger))).toBe('NOT_FOUND');
    }
    expect(errorCode(await cancel(server, booked.id))).toBe('UNAUTHENTICATED');
    expect(await read(server, booked.id)).toMatchObject({ status: 'CONFIRMED', version: booked.version });
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual(held);
    expect(await chargesOf(server.orm, roomType.id)).toMatchObject([{ reservationId: booked.id, status: 'succeeded', refunded: 0 }]);
  });
});

describe('afterwards', () => {
  it('the invariants hold on every hotel used (but the one whose dates were moved)', async () => {
    // Traffic of its own first, so that run alone it still checks every way a reservation ends.
    const paid = await stock(server, { total: 3 });
    const kept = await reserveOk(server.client, guest, reserveInput(paid.roomType.id, paid.from, addDays(paid.from, 2), { rooms: 2 }));
    const refunded = await reserveOk(server.client, guest, reserveInput(paid.roomType.id, addDays(paid.from, 1), addDays(paid.from, 3)));
    expect((await cancel(server, refunded.id, guest)).data?.cancelReservation.status).toBe('REFUNDED');
    const declined = reserveInput(paid.roomType.id, paid.from, addDays(paid.from, 1), { paymentToken: 'tok_declined' });
    expect(errorCode(await server.client.request(RESERVE, { input: declined }, guest))).toBe('PAYMENT_DECLINED');

    // Unpaid holds: one left PENDING, one cancelled, and one, at a hotel of its own, expired by a sweep.
    const [unpaid, lapsed] = await Promise.all([stock(slowPay, { total: 3 }), stock(slowPay, { total: 3 })]);
    const hold = ({ roomType, from }: StockedRoomType, start: number) =>
      reserveOk(slowPay.client, guest, reserveInput(roomType.id, addDays(from, start), addDays(from, start + 1), { paymentToken: 'tok_timeout' }));
    const [pending, cancelled, expiring] = await Promise.all([hold(unpaid, 0), hold(unpaid, 1), hold(lapsed, 0)]);
    expect((await cancel(slowPay, cancelled.id, guest)).data?.cancelReservation.status).toBe('CANCELLED');
    expect(await sweepAfter(slowPay, lapsed.hotel.id, expiring)).toMatchObject({ expired: 1 });

    const statuses = await Promise.all([kept, refunded, pending, cancelled, expiring].map(async (r) => (await read(server, r.id)).status));
    expect(statuses).toEqual(['CONFIRMED', 'REFUNDED', 'PENDING', 'CANCELLED', 'EXPIRED']);
    expect(await reservedCounts(server.client, paid.roomType.id, paid.from, addDays(paid.from, 3))).toEqual([2, 2, 0]);
    expect(hotelsOf.get(server)).toContain(paid.hotel.id);
    expect(hotelsOf.get(slowPay)).toEqual(expect.arrayContaining([unpaid.hotel.id, lapsed.hotel.id]));
    for (const [on, hotelIds] of hotelsOf) expect(await invariantViolations(on.orm, hotelIds)).toEqual([]);
  });
});
