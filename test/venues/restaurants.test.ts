import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditVenueInvariants } from '../../src/services/venues/audit.js';
import { ManualClock } from '../helpers/clock.js';
import { daysFromNow } from '../helpers/booking.js';
import { errorCode } from '../helpers/graphql.js';
import { CANCEL_BOOKING, CHECKOUT, checkoutInput, type BookingData } from '../helpers/holds.js';
import { connect, until } from '../helpers/live.js';
import {
  availability,
  CREATE_RESTAURANT,
  createRestaurant,
  createTable,
  DELETE_TABLE,
  DINING_CHANGED,
  holdTable,
  UPDATE_RESTAURANT,
  type TableData,
} from '../helpers/offerings.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createVenue, staffClaims } from '../helpers/venues.js';

/**
 * Restaurant tables (issue 11): seatings from opening hours, the smallest free table
 * that fits held for the whole turn on the same hold engine (two seatings of a table
 * never overlap), checked out through the same saga, live over diningAvailabilityChanged.
 */
const ZONE = 'Europe/Berlin';
let server: TestServer;
let admin: string;
let guest: string;
const offeringIds: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: 60_000, paymentTimeoutMs: 300, sweepIntervalMs: 0 } });
  admin = await server.token({ sub: 'admin-restaurants', role: 'admin' });
  guest = await server.token({ sub: `guest-${randomUUID()}`, role: 'guest' });
});

afterAll(async () => {
  const reports = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds });
  expect(reports.flatMap((r) => r.violations)).toEqual([]);
  await server.stop();
});

/** The instant of a local time on a date where the restaurant is (no daylight-saving change on these test dates matters). */
const at = (date: string, time: string) => {
  const guess = new Date(`${date}T${time}:00Z`);
  const offset = new Date(guess.toLocaleString('en-US', { timeZone: ZONE })).getTime() - new Date(guess.toLocaleString('en-US', { timeZone: 'UTC' })).getTime();
  return new Date(guess.getTime() - offset).toISOString();
};

/** A Berlin restaurant open 18:00-23:00 daily (seatings every 30 minutes, 90-minute turn) with three 2-tops, two 4-tops and a 6-top. */
async function restaurant(overrides: Record<string, unknown> = {}) {
  const venue = await createVenue(server.client, admin, { timezone: ZONE });
  const made = await createRestaurant(server.client, admin, venue.id, overrides);
  offeringIds.push(made.id);
  const tables: TableData[] = [];
  for (const [label, min, max] of [['T1', 1, 2], ['T2', 1, 2], ['T3', 1, 2], ['F1', 3, 4], ['F2', 3, 4], ['S1', 5, 6]] as const) {
    tables.push(await createTable(server.client, admin, made.id, label, min, max));
  }
  return { venue, restaurant: made, tables, date: daysFromNow(3, ZONE) };
}

const checkout = (token: string, input: Record<string, unknown>) => server.client.request<{ checkout: BookingData }>(CHECKOUT, { input }, token);

describe('staff set up restaurants', () => {
  it('refuses bad hours and times with the field, and the auth matrix holds', async () => {
    const venue = await createVenue(server.client, admin, { timezone: ZONE });
    const create = (token: string | undefined, overrides: Record<string, unknown>) =>
      server.client.request(CREATE_RESTAURANT, { input: { venueId: venue.id, name: 'Chez Test', openingHours: [{ weekday: 1, opens: '18:00', closes: '23:00' }], ...overrides } }, token);
    for (const [overrides, field] of [
      [{ openingHours: [{ weekday: 8, opens: '18:00', closes: '23:00' }] }, 'openingHours[0].weekday'],
      [{ openingHours: [{ weekday: 1, opens: '23:00', closes: '18:00' }] }, 'openingHours[0].closes'],
      [{ openingHours: [{ weekday: 1, opens: '18:03', closes: '23:00' }] }, 'openingHours[0].opens'],
      [{ openingHours: [{ weekday: 1, opens: '12:00', closes: '15:00' }, { weekday: 1, opens: '14:00', closes: '22:00' }] }, 'openingHours'],
      [{ turnMinutes: 92 }, 'turnMinutes'],
      [{ slotMinutes: 0 }, 'slotMinutes'],
      [{ depositPerCover: '-1' }, 'depositPerCover'],
      [{ maxPartySize: 0 }, 'maxPartySize'],
    ] as const) {
      const answer = await create(admin, overrides);
      expect({ overrides, code: errorCode(answer), field: answer.errors?.[0].extensions?.field }).toEqual({ overrides, code: 'BAD_USER_INPUT', field });
    }
    expect(errorCode(await create(undefined, {}))).toBe('UNAUTHENTICATED');
    expect(errorCode(await create(guest, {}))).toBe('FORBIDDEN');
    expect(errorCode(await create(await server.token(staffClaims([randomUUID()])), {}))).toBe('FORBIDDEN');
    const made = await create(await server.token(staffClaims([venue.id])), {});
    expect(errorCode(made)).toBeUndefined();
    offeringIds.push((made.data!.createRestaurant as { id: string }).id);
  });
});

describe('seatings and tables', () => {
  it("lists a date's seatings for a party, and holds the smallest free table that fits for the whole turn", async () => {
    const { restaurant: place, tables, date } = await restaurant({ depositPerCover: '10.00' });
    const seatings = await availability(server.client, place.id, date, 2);
    // 18:00 ... 21:30 (the last start leaves a 90-minute turn before 23:00), three 2-tops each.
    expect(seatings.map((s) => s.startsAt)).toEqual(['18:00', '18:30', '19:00', '19:30', '20:00', '20:30', '21:00', '21:30'].map((t) => at(date, t)));
    expect(new Set(seatings.map((s) => s.tablesAvailable))).toEqual(new Set([3]));
    expect((await availability(server.client, place.id, date, 5))[0].tablesAvailable).toBe(1);
    expect(await availability(server.client, place.id, date, 9)).toEqual([]);

    const held = (await holdTable(server.client, guest, place.id, at(date, '19:00'), 2)).data!.holdTable;
    expect(held).toMatchObject({ kind: 'RESTAURANT', offeringId: place.id, total: { amount: '20.00' } });
    expect(held.items).toEqual([
      {
        id: expect.any(String),
        seatId: null,
        timeSlotId: null,
        tableId: tables[0].id,
        startsAt: at(date, '19:00'),
        endsAt: at(date, '20:30'),
        quantity: 2,
        price: { amount: '20.00', currency: 'EUR' },
      },
    ]);
    // A party of 3 gets a 4-top, not the 6-top.
    const four = (await holdTable(server.client, guest, place.id, at(date, '19:00'), 3)).data!.holdTable;
    expect(four.items[0].tableId).toBe(tables[3].id);
    // Seatings that overlap the held turn have one 2-top fewer; those after it have all three.
    const after = new Map((await availability(server.client, place.id, date, 2)).map((s) => [s.startsAt, s.tablesAvailable]));
    expect([after.get(at(date, '18:00')), after.get(at(date, '19:30')), after.get(at(date, '20:30'))]).toEqual([2, 2, 3]);
    // Not a seating: BAD_USER_INPUT; too big a party: BAD_USER_INPUT.
    expect(errorCode(await holdTable(server.client, guest, place.id, at(date, '19:10'), 2))).toBe('BAD_USER_INPUT');
    expect(errorCode(await holdTable(server.client, guest, place.id, at(date, '19:00'), 9))).toBe('BAD_USER_INPUT');
  });

  it('200 guests at once for the same seating: exactly as many holds as fitting tables, none double-booked; overlapping seatings never share a table', async () => {
    const { restaurant: place, date } = await restaurant();
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => server.token({ sub: `diner-${i}-${randomUUID()}`, role: 'guest' })));
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => holdTable(server.client, tokens[i % 20], place.id, at(date, '19:00'), 2)));
    expect(answers.map(errorCode).filter((code) => code !== undefined && code !== 'SOLD_OUT')).toEqual([]);
    const won = answers.filter((a) => errorCode(a) === undefined).map((a) => a.data!.holdTable.items[0].tableId);
    expect(won).toHaveLength(3);
    expect(new Set(won).size).toBe(3);
    // 19:30 overlaps 19:00's 90 minutes on every 2-top; 20:30 starts as they end.
    const other = await server.token({ sub: `guest-${randomUUID()}`, role: 'guest' });
    expect(errorCode(await holdTable(server.client, other, place.id, at(date, '19:30'), 2))).toBe('SOLD_OUT');
    const later = await holdTable(server.client, other, place.id, at(date, '20:30'), 2);
    expect(won).toContain(later.data!.holdTable.items[0].tableId);
  });

  it('closed: no seating is offered and a hold is refused', async () => {
    const { restaurant: place, date } = await restaurant();
    expect((await availability(server.client, place.id, date, 2)).length).toBeGreaterThan(0);
    await server.client.ok(UPDATE_RESTAURANT, { input: { id: place.id, version: place.version, status: 'CLOSED' } }, admin);
    expect(await availability(server.client, place.id, date, 2)).toEqual([]);
    expect(errorCode(await holdTable(server.client, guest, place.id, at(date, '19:00'), 2))).toBe('INVALID_STATE');
  });

  it('zero deposit: checkout needs no payment token and confirms at once; with a deposit it charges party x deposit', async () => {
    const free = await restaurant();
    const hold = (await holdTable(server.client, guest, free.restaurant.id, at(free.date, '18:00'), 2)).data!.holdTable;
    expect(hold.total.amount).toBe('0.00');
    const booked = await checkout(guest, checkoutInput(hold.token, { paymentToken: null }));
    expect(errorCode(booked)).toBeUndefined();
    expect(booked.data!.checkout).toMatchObject({ kind: 'RESTAURANT', status: 'CONFIRMED', total: { amount: '0.00' } });

    const paid = await restaurant({ depositPerCover: '15.00' });
    const paidHold = (await holdTable(server.client, guest, paid.restaurant.id, at(paid.date, '18:00'), 4)).data!.holdTable;
    expect(errorCode(await checkout(guest, checkoutInput(paidHold.token, { paymentToken: null })))).toBe('BAD_USER_INPUT');
    const paidBooking = await checkout(guest, checkoutInput(paidHold.token));
    expect(paidBooking.data!.checkout).toMatchObject({ status: 'CONFIRMED', total: { amount: '60.00' } });
  });

  it('changing hours or turn never cancels a booking, and a table with a booking to come cannot be deleted', async () => {
    const { restaurant: place, tables, date } = await restaurant();
    const hold = (await holdTable(server.client, guest, place.id, at(date, '21:30'), 5)).data!.holdTable;
    const booking = (await checkout(guest, checkoutInput(hold.token, { paymentToken: null }))).data!.checkout;
    expect(booking.status).toBe('CONFIRMED');
    const changed = await server.client.ok<{ updateRestaurant: { turnMinutes: number; version: number } }>(
      UPDATE_RESTAURANT,
      { input: { id: place.id, version: place.version, turnMinutes: 120, openingHours: [{ weekday: 1, opens: '12:00', closes: '15:00' }] } },
      admin,
    );
    expect(changed.updateRestaurant.turnMinutes).toBe(120);
    const six = tables[5];
    expect(errorCode(await server.client.request(DELETE_TABLE, { id: six.id, version: six.version }, admin))).toBe('INVALID_STATE');
    // The booking stands; once cancelled, the table can go.
    const cancelled = await server.client.request(CANCEL_BOOKING, { input: { id: booking.id, idempotencyKey: randomUUID() } }, guest);
    expect(errorCode(cancelled)).toBeUndefined();
    expect((await server.client.ok<{ deleteDiningTable: boolean }>(DELETE_TABLE, { id: six.id, version: six.version }, admin)).deleteDiningTable).toBe(true);
  });
});

describe('deleting a table', () => {
  it('is allowed once its bookings are over', async () => {
    const clock = new ManualClock();
    const later = await startTestServer({ booking: server.config.booking }, { orm: server.orm, venues: { engine: server.app.holds }, booking: { clock } });
    try {
      const venue = await createVenue(later.client, admin, { timezone: ZONE });
      const place = await createRestaurant(later.client, admin, venue.id);
      offeringIds.push(place.id);
      const table = await createTable(later.client, admin, place.id, 'T1', 1, 2);
      const date = daysFromNow(1, ZONE);
      const hold = (await holdTable(later.client, guest, place.id, at(date, '18:00'), 2)).data!.holdTable;
      expect((await later.client.request(CHECKOUT, { input: checkoutInput(hold.token, { paymentToken: null }) }, guest)).data!.checkout.status).toBe('CONFIRMED');
      expect(errorCode(await later.client.request(DELETE_TABLE, { id: table.id, version: table.version }, admin))).toBe('INVALID_STATE');
      clock.advance(3 * 86_400_000);
      expect((await later.client.ok<{ deleteDiningTable: boolean }>(DELETE_TABLE, { id: table.id, version: table.version }, admin)).deleteDiningTable).toBe(true);
    } finally {
      await later.app.stop();
    }
  });
});

describe('live', () => {
  it('diningAvailabilityChanged pushes the tables whose seatings changed on the date, with all their seatings that day', async () => {
    const { restaurant: place, tables, date } = await restaurant();
    const received: { date: string; tables: { tableId: string; intervals: { startsAt: string; endsAt: string }[] }[] }[] = [];
    const client = connect(server.app);
    const stop = client.subscribe<{ diningAvailabilityChanged: (typeof received)[number] }>(
      { query: DINING_CHANGED, variables: { restaurantId: place.id, date } },
      { next: (result) => result.data && received.push(result.data.diningAvailabilityChanged), error: () => undefined, complete: () => undefined },
    );
    await until(() => server.app.seatFeed.subscriberCount >= 1, 5_000, 'the subscription');
    await holdTable(server.client, guest, place.id, at(date, '18:00'), 2);
    await until(() => received.length >= 1, 5_000, 'the first change');
    await holdTable(server.client, guest, place.id, at(date, '20:00'), 2);
    await until(() => received.length >= 2, 5_000, 'the second change');
    expect(received[0]).toMatchObject({ date, tables: [{ tableId: tables[0].id, intervals: [{ startsAt: at(date, '18:00'), endsAt: at(date, '19:30') }] }] });
    expect(received[1].tables).toEqual([
      {
        tableId: tables[0].id,
        intervals: [
          { startsAt: at(date, '18:00'), endsAt: at(date, '19:30') },
          { startsAt: at(date, '20:00'), endsAt: at(date, '21:30') },
        ],
      },
    ]);
    stop();
    await client.dispose();
  });
});
