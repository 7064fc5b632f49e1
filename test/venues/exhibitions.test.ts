import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addDays } from '../../src/services/common/dates.js';
import { auditVenueInvariants } from '../../src/services/venues/audit.js';
import { ManualClock } from '../helpers/clock.js';
import { daysFromNow } from '../helpers/booking.js';
import { errorCode } from '../helpers/graphql.js';
import { CHECKOUT, checkoutInput, HOLD, RELEASE_HOLD, type BookingData } from '../helpers/holds.js';
import { connect, until } from '../helpers/live.js';
import {
  createExhibition,
  holdTickets,
  SET_TIME_SLOTS,
  setTimeSlots,
  TIME_SLOTS_CHANGED,
  timeSlots,
  UPDATE_EXHIBITION,
  type SlotData,
} from '../helpers/offerings.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createVenue, staffClaims } from '../helpers/venues.js';

/**
 * Timed-entry exhibitions (issue 11): slots over a range of dates in the venue's time
 * zone, tickets held all or none within each slot's capacity on the same hold engine,
 * checked out through the same saga, live over timeSlotsChanged.
 */
const clock = new ManualClock();
let server: TestServer;
let admin: string;
let guest: string;
const offeringIds: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: 60_000, paymentTimeoutMs: 300, sweepIntervalMs: 0 } }, { booking: { clock } });
  admin = await server.token({ sub: 'admin-exhibitions', role: 'admin' });
  guest = await server.token({ sub: `guest-${randomUUID()}`, role: 'guest' });
});

afterAll(async () => {
  const reports = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds, now: clock.now() });
  expect(reports.flatMap((r) => r.violations)).toEqual([]);
  await server.stop();
});

/** A Berlin venue with an exhibition and slots of 5 tickets at 12.50 on the date three days from now (10:00 and 11:00). */
async function exhibition(slots: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) {
  const venue = await createVenue(server.client, admin, { timezone: 'Europe/Berlin' });
  const made = await createExhibition(server.client, admin, venue.id, overrides);
  offeringIds.push(made.id);
  const date = daysFromNow(3, 'Europe/Berlin');
  const created = await setTimeSlots(server.client, admin, made.id, { from: date, to: addDays(date, 1), ...slots });
  return { venue, exhibition: made, date, slots: created };
}

const checkout = (token: string, input: Record<string, unknown>) => server.client.request<{ checkout: BookingData }>(CHECKOUT, { input }, token);

describe('staff set up exhibitions and slots', () => {
  it('slots start at the local times asked, across both daylight-saving changes (Europe/Berlin)', async () => {
    const venue = await createVenue(server.client, admin, { timezone: 'Europe/Berlin' });
    const { id } = await createExhibition(server.client, admin, venue.id);
    offeringIds.push(id);
    // Last Sunday of March 2027: 02:00 -> 03:00. Last Sunday of October 2027: 03:00 -> 02:00.
    const march = await setTimeSlots(server.client, admin, id, { from: '2027-03-27', to: '2027-03-29', opens: '01:00', closes: '04:00', intervalMinutes: 60 });
    expect(march.map((slot) => slot.startsAt)).toEqual([
      '2027-03-27T00:00:00.000Z', // 01:00 CET
      '2027-03-27T01:00:00.000Z',
      '2027-03-27T02:00:00.000Z',
      '2027-03-28T00:00:00.000Z', // 01:00 CET; 02:00 does not exist that night
      '2027-03-28T01:00:00.000Z', // 03:00 CEST
    ]);
    expect(march.map((slot) => (new Date(slot.endsAt).getTime() - new Date(slot.startsAt).getTime()) / 60_000)).toEqual([60, 60, 60, 60, 60]);
    const october = await setTimeSlots(server.client, admin, id, { from: '2027-10-31', to: '2027-11-01', opens: '01:00', closes: '04:00', intervalMinutes: 60 });
    expect(october.map((slot) => slot.startsAt)).toEqual([
      '2027-10-30T23:00:00.000Z', // 01:00 CEST
      '2027-10-31T00:00:00.000Z', // 02:00 CEST, its first occurrence
      '2027-10-31T02:00:00.000Z', // 03:00 CET
    ]);
    // Guests list them by the local date.
    expect((await timeSlots(server.client, id, '2027-03-28')).map((slot) => slot.startsAt)).toEqual([
      '2027-03-28T00:00:00.000Z',
      '2027-03-28T01:00:00.000Z',
    ]);
    // A day slot at 10:00 is 09:00Z in winter and 08:00Z in summer.
    const day = await setTimeSlots(server.client, admin, id, { from: '2027-03-27', to: '2027-03-29', opens: '10:00', closes: '11:00', intervalMinutes: 60 });
    expect(day.map((slot) => slot.startsAt)).toEqual(['2027-03-27T09:00:00.000Z', '2027-03-28T08:00:00.000Z']);
  });

  it('refuses bad input with the field, and the auth matrix holds', async () => {
    const venue = await createVenue(server.client, admin, { timezone: 'Europe/Berlin' });
    const { id } = await createExhibition(server.client, admin, venue.id);
    offeringIds.push(id);
    const set = (token: string | undefined, overrides: Record<string, unknown>) =>
      server.client.request(SET_TIME_SLOTS, {
        input: { exhibitionId: id, from: '2027-01-04', to: '2027-01-05', opens: '10:00', closes: '12:00', intervalMinutes: 60, capacity: 5, price: '10', ...overrides },
      }, token);
    for (const [overrides, field] of [
      [{ to: '2027-01-04' }, 'to'],
      [{ to: '2028-01-10' }, 'to'],
      [{ opens: '25:00' }, 'opens'],
      [{ closes: '09:00' }, 'closes'],
      [{ intervalMinutes: 0 }, 'intervalMinutes'],
      [{ capacity: -1 }, 'capacity'],
      [{ price: '-3' }, 'price'],
      [{ price: '1.234' }, 'price'],
    ] as const) {
      const answer = await set(admin, overrides);
      expect({ overrides, code: errorCode(answer), field: answer.errors?.[0].extensions?.field }).toEqual({ overrides, code: 'BAD_USER_INPUT', field });
    }
    const staff = await server.token(staffClaims([venue.id]));
    const otherStaff = await server.token(staffClaims([randomUUID()]));
    expect(errorCode(await set(undefined, {}))).toBe('UNAUTHENTICATED');
    expect(errorCode(await set(guest, {}))).toBe('FORBIDDEN');
    expect(errorCode(await set(otherStaff, {}))).toBe('FORBIDDEN');
    expect(errorCode(await set(staff, {}))).toBeUndefined();
    const notSchema = await server.client.request(
      `mutation($input: CreateExhibitionInput!) { createExhibition(input: $input) { id } }`,
      { input: { venueId: venue.id, title: 'X', detailsSchema: { type: 'no-such-type' } } },
      staff,
    );
    expect(errorCode(notSchema)).toBe('BAD_USER_INPUT');
  });
});

describe('tickets', () => {
  it('holds N tickets of a slot all or none, adds slots to the hold, and checks out', async () => {
    const { exhibition: show, slots, date } = await exhibition();
    const [ten, eleven] = slots;
    const first = await holdTickets(server.client, guest, ten.id, 3);
    const hold = first.data!.holdTimedEntry;
    expect(hold).toMatchObject({ kind: 'EXHIBITION', offeringId: show.id, total: { amount: '37.50', currency: 'EUR' } });
    expect(hold.items).toEqual([
      { id: ten.id, seatId: null, timeSlotId: ten.id, tableId: null, startsAt: ten.startsAt, endsAt: ten.endsAt, quantity: 3, price: { amount: '37.50', currency: 'EUR' } },
    ]);
    // Only 2 are left: 3 more is SOLD_OUT, and holds nothing.
    const other = await server.token({ sub: `guest-${randomUUID()}`, role: 'guest' });
    expect(errorCode(await holdTickets(server.client, other, ten.id, 3))).toBe('SOLD_OUT');
    expect((await timeSlots(server.client, show.id, date)).map((s) => [s.held, s.available])).toEqual([[3, 2], [0, 5]]);
    expect((await timeSlots(server.client, show.id, date, 3)).map((s) => s.id)).toEqual([eleven.id]);

    const added = (await holdTickets(server.client, guest, eleven.id, 2, hold.token)).data!.holdTimedEntry;
    expect(added.items.map((item) => [item.timeSlotId, item.quantity])).toEqual([[ten.id, 3], [eleven.id, 2]]);
    expect(added.total.amount).toBe('62.50');
    // Releasing a slot's item gives back its tickets.
    const released = await server.client.ok<{ releaseHold: { items: { id: string }[] } }>(RELEASE_HOLD, { token: hold.token, itemIds: [eleven.id] }, guest);
    expect(released.releaseHold.items.map((item) => item.id)).toEqual([ten.id]);

    const booked = await checkout(guest, checkoutInput(hold.token));
    expect(errorCode(booked)).toBeUndefined();
    const booking = booked.data!.checkout as BookingData & { kind: string; items: { seatId: null; quantity: number; price: { amount: string } }[] };
    expect(booking).toMatchObject({ kind: 'EXHIBITION', status: 'CONFIRMED', total: { amount: '37.50' } });
    expect(booking.items).toEqual([{ seatId: null, quantity: 3, price: { amount: '37.50' } }]);
    expect((await timeSlots(server.client, show.id, date)).map((s) => [s.held, s.sold, s.available])).toEqual([[0, 3, 2], [0, 0, 5]]);
  });

  it('a capacity below held + sold is refused and nothing changes; otherwise capacity and price change, held tickets keep theirs', async () => {
    const { exhibition: show, slots, date } = await exhibition();
    const hold = (await holdTickets(server.client, guest, slots[0].id, 4)).data!.holdTimedEntry;
    const refused = await server.client.request(SET_TIME_SLOTS, {
      input: { exhibitionId: show.id, from: date, to: addDays(date, 1), opens: '10:00', closes: '12:00', intervalMinutes: 60, capacity: 3, price: '20.00' },
    }, admin);
    expect(errorCode(refused)).toBe('INVALID_STATE');
    expect(refused.errors![0].extensions!.timeSlotIds).toEqual([slots[0].id]);
    expect((await timeSlots(server.client, show.id, date)).map((s) => [s.capacity, s.price.amount])).toEqual([[5, '12.50'], [5, '12.50']]);

    const changed = await setTimeSlots(server.client, admin, show.id, { from: date, to: addDays(date, 1), capacity: 8, price: '20.00' });
    expect(changed.map((s) => [s.id, s.capacity, s.held, s.available, s.price.amount])).toEqual([
      [slots[0].id, 8, 4, 4, '20.00'],
      [slots[1].id, 8, 0, 8, '20.00'],
    ]);
    const kept = await server.client.ok<{ hold: { total: { amount: string } } }>(HOLD, { token: hold.token }, guest);
    expect(kept.hold.total.amount).toBe('50.00');
    const more = (await holdTickets(server.client, guest, slots[0].id, 1, hold.token)).data!.holdTimedEntry;
    expect(more.total.amount).toBe('70.00');
  });

  it('expires with no traffic, and a checkout at the deadline is HOLD_EXPIRED', async () => {
    const { exhibition: show, slots, date } = await exhibition({}, { holdMinutes: 1 });
    const hold = (await holdTickets(server.client, guest, slots[0].id, 2)).data!.holdTimedEntry;
    clock.advance(60_000);
    expect(errorCode(await checkout(guest, checkoutInput(hold.token)))).toBe('HOLD_EXPIRED');
    expect((await timeSlots(server.client, show.id, date))[0]).toMatchObject({ held: 0, sold: 0, available: 5 });
  });

  it('validates details against the schema, listing every violation with its path', async () => {
    const detailsSchema = {
      type: 'object',
      required: ['visitors'],
      properties: {
        visitors: { type: 'array', minItems: 1, items: { type: 'object', required: ['type'], properties: { type: { enum: ['adult', 'child', 'student'] } } } },
      },
      additionalProperties: false,
    };
    const { slots } = await exhibition({}, { detailsSchema });
    const hold = (await holdTickets(server.client, guest, slots[0].id, 2)).data!.holdTimedEntry;
    const bad = await checkout(guest, checkoutInput(hold.token, { details: { visitors: [{ type: 'pensioner' }, {}], extra: 1 } }));
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    const paths = (bad.errors![0].extensions!.detailsErrors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['/extra', '/visitors/0/type', '/visitors/1/type']);
    const good = await checkout(guest, checkoutInput(hold.token, { details: { visitors: [{ type: 'adult' }, { type: 'child' }] } }));
    expect(errorCode(good)).toBeUndefined();
    expect(good.data!.checkout.details).toEqual({ visitors: [{ type: 'adult' }, { type: 'child' }] });
  });

  it('is closed to new holds when staff close it; an unknown slot is NOT_FOUND', async () => {
    const { exhibition: show, slots } = await exhibition();
    await server.client.ok(UPDATE_EXHIBITION, { input: { id: show.id, version: show.version, status: 'CLOSED' } }, admin);
    expect(errorCode(await holdTickets(server.client, guest, slots[0].id, 1))).toBe('INVALID_STATE');
    expect(errorCode(await holdTickets(server.client, guest, randomUUID(), 1))).toBe('NOT_FOUND');
  });
});

describe('1,000 concurrent guests on a slot of 200', () => {
  it('never holds or sells more than 200, and after checkouts and expiries the counters equal the bookings', async () => {
    const { exhibition: show, slots, date } = await exhibition({ capacity: 200, opens: '10:00', closes: '11:00' }, { holdMinutes: 5 });
    const slot = slots[0];
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => server.token({ sub: `storm-${i}-${randomUUID()}`, role: 'guest' })));
    let running = true;
    const samples: SlotData[] = [];
    const sampler = (async () => {
      while (running) samples.push((await timeSlots(server.client, show.id, date))[0]);
    })();
    const answers = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => holdTickets(server.client, tokens[i % tokens.length], slot.id, 1 + (i % 3))),
    );
    running = false;
    await sampler;
    const held = answers.filter((a) => errorCode(a) === undefined).map((a) => a.data!.holdTimedEntry);
    expect(answers.map(errorCode).filter((code) => code !== undefined && code !== 'SOLD_OUT')).toEqual([]);
    const tickets = held.reduce((sum, hold) => sum + hold.items[0].quantity, 0);
    expect(tickets).toBeLessThanOrEqual(200);
    expect(tickets).toBeGreaterThan(197);
    expect(samples.length).toBeGreaterThan(0);
    for (const sample of samples) expect(sample.held + sample.sold).toBeLessThanOrEqual(200);

    // Half check out, the rest expire.
    const buyers = held.filter((_, i) => i % 2 === 0);
    const bookings = await Promise.all(
      buyers.map((hold) => checkout(tokens[answers.findIndex((a) => a.data?.holdTimedEntry?.token === hold.token) % tokens.length], checkoutInput(hold.token))),
    );
    expect(bookings.map(errorCode).filter(Boolean)).toEqual([]);
    const sold = buyers.reduce((sum, hold) => sum + hold.items[0].quantity, 0);
    clock.advance(5 * 60_000);
    expect((await timeSlots(server.client, show.id, date))[0]).toMatchObject({ held: 0, sold, available: 200 - sold });
    const reports = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: [show.id], now: clock.now() });
    expect(reports.flatMap((r) => r.violations)).toEqual([]);
  });
});

describe('live', () => {
  it('timeSlotsChanged pushes holds, releases, sales and capacity changes of the date, once per event, on every instance', async () => {
    const { exhibition: show, slots, date } = await exhibition();
    const second = await startTestServer({ booking: server.config.booking }, { orm: server.orm, venues: { engine: server.app.holds }, booking: { clock } });
    try {
      const received: {
        server: number;
        change: { eventId: string; slots: { id: string; held: number; sold: number; capacity: number; price: { amount: string } }[] };
      }[] = [];
      const clients = [connect(server.app), connect(second.app)];
      const stops = clients.map((client, i) =>
        client.subscribe<{ timeSlotsChanged: (typeof received)[number]['change'] }>(
          { query: TIME_SLOTS_CHANGED, variables: { exhibitionId: show.id, date } },
          { next: (result) => result.data && received.push({ server: i, change: result.data.timeSlotsChanged }), error: () => undefined, complete: () => undefined },
        ),
      );
      await until(() => server.app.seatFeed.subscriberCount > 0 && second.app.seatFeed.subscriberCount > 0, 5_000, 'both servers subscribed');
      const hold = (await holdTickets(server.client, guest, slots[1].id, 2)).data!.holdTimedEntry;
      await until(() => received.length >= 2, 5_000, 'the hold on both servers');
      expect(received.map((r) => r.change.slots)).toEqual([
        [{ id: slots[1].id, held: 2, sold: 0, capacity: 5, available: 3, price: { amount: '12.50' } }],
        [{ id: slots[1].id, held: 2, sold: 0, capacity: 5, available: 3, price: { amount: '12.50' } }],
      ]);
      expect(new Set(received.map((r) => r.server))).toEqual(new Set([0, 1]));
      await checkout(guest, checkoutInput(hold.token));
      await setTimeSlots(server.client, admin, show.id, { from: date, to: addDays(date, 1), capacity: 6, price: '14.00' });
      await until(() => received.filter((r) => r.server === 0 && r.change.slots.some((s) => s.capacity === 6)).length >= 1, 5_000, 'the capacity change');
      // The change's own price, whether or not PostgreSQL had committed it when the event was read.
      const changed = received.find((r) => r.server === 0 && r.change.slots.some((s) => s.capacity === 6))!.change.slots;
      expect(changed.map((s) => s.price.amount)).toEqual(['14.00', '14.00']);
      const ours = received.filter((r) => r.server === 0).map((r) => r.change);
      expect(new Set(ours.map((c) => c.eventId)).size).toBe(ours.length);
      expect(ours.some((c) => c.slots.some((s) => s.id === slots[1].id && s.sold === 2 && s.held === 0))).toBe(true);
      stops.forEach((stop) => stop());
      await Promise.all(clients.map((client) => client.dispose()));
    } finally {
      await second.app.stop();
    }
  });
});

