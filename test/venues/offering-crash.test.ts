import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SagaStep } from '../../src/services/booking/booking.deps.js';
import { addDays } from '../../src/services/common/dates.js';
import { auditVenueInvariants } from '../../src/services/venues/audit.js';
import { ManualClock } from '../helpers/clock.js';
import { daysFromNow } from '../helpers/booking.js';
import { errorCode } from '../helpers/graphql.js';
import { CHECKOUT, checkoutInput } from '../helpers/holds.js';
import {
  availability,
  createExhibition,
  createRestaurant,
  createTable,
  holdTable,
  holdTickets,
  setTimeSlots,
  timeSlots,
} from '../helpers/offerings.js';
import { startCrashingSibling } from '../helpers/saga.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createVenue } from '../helpers/venues.js';

/**
 * Tickets and tables go through the seats' saga: a crash after any step ends consistent
 * once the sweeper has run (invariants 6, 7 and 9), and a retry with the key finishes
 * the work instead of doing it twice.
 */
const LEASE_MS = 200;
const clock = new ManualClock();
let server: TestServer;
let crashy: TestServer;
let crashAfter: SagaStep | undefined;
let admin: string;
let guest: string;

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: 60_000, paymentTimeoutMs: 200, sweepIntervalMs: 0 } }, { booking: { clock } });
  crashy = await startCrashingSibling(server, { clock, leaseMs: LEASE_MS, crashAt: () => crashAfter });
  admin = await server.token({ sub: 'admin-offering-crash', role: 'admin' });
  guest = await server.token({ sub: `guest-${randomUUID()}`, role: 'guest' });
});

afterAll(async () => {
  await crashy.stop();
  await server.stop();
});

/** What a test needs of one kind: a hold to check out, and what is taken (tickets held + sold, or tables busy). */
interface Kind {
  /** `units`: what the hold takes (2 tickets, 1 table), as `taken` counts it. */
  setUp(): Promise<{ venueId: string; offeringId: string; holdToken: string; units: number; taken: () => Promise<{ held: number; sold: number }> }>;
}

const kinds: [string, Kind][] = [
  [
    'exhibition tickets',
    {
      async setUp() {
        const venue = await createVenue(server.client, admin, { timezone: 'Europe/Berlin' });
        const { id } = await createExhibition(server.client, admin, venue.id);
        const date = daysFromNow(3, 'Europe/Berlin');
        const [slot] = await setTimeSlots(server.client, admin, id, { from: date, to: addDays(date, 1) });
        const hold = (await holdTickets(server.client, guest, slot.id, 2)).data!.holdTimedEntry;
        const taken = async () => {
          const [now] = await timeSlots(server.client, id, date);
          return { held: now.held, sold: now.sold };
        };
        return { venueId: venue.id, offeringId: id, holdToken: hold.token, units: 2, taken };
      },
    },
  ],
  [
    'restaurant tables',
    {
      async setUp() {
        const venue = await createVenue(server.client, admin, { timezone: 'Europe/Berlin' });
        const { id } = await createRestaurant(server.client, admin, venue.id, { depositPerCover: '10.00' });
        await createTable(server.client, admin, id, 'T1', 1, 2);
        const date = daysFromNow(3, 'Europe/Berlin');
        const [first] = await availability(server.client, id, date, 2);
        const hold = (await holdTable(server.client, guest, id, first.startsAt, 2)).data!.holdTable;
        // The one table is taken (held or sold) while its first seating has no table left.
        const taken = async () => {
          const states = await server.orm.em
            .fork()
            .getConnection()
            .execute<{ status: string }[]>(`select status from booking where offering_id = ? and status in ('PENDING', 'CONFIRMED')`, [id]);
          const free = (await availability(server.client, id, date, 2)).some((s) => s.startsAt === first.startsAt);
          const sold = states.filter((s) => s.status === 'CONFIRMED').length;
          return { held: free || sold > 0 ? 0 : 1, sold };
        };
        return { venueId: venue.id, offeringId: id, holdToken: hold.token, units: 1, taken };
      },
    },
  ],
];

describe.each(kinds)('%s: a crash after a checkout step ends consistent', (_name, kind) => {
  async function crashAt(step: SagaStep) {
    const { venueId, offeringId, holdToken, units, taken } = await kind.setUp();
    const input = checkoutInput(holdToken);
    crashAfter = step;
    try {
      expect(errorCode(await crashy.client.request(CHECKOUT, { input }, guest))).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      crashAfter = undefined;
    }
    await server.app.sweeper.runOnce(clock.in(10 * 60_000), { venueIds: [venueId] });
    const bookings = await server.orm.em
      .fork()
      .getConnection()
      .execute<{ id: string; status: string }[]>(`select id, status from booking where offering_id = ? order by id`, [offeringId]);
    const audit = async () =>
      (await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: [offeringId], now: clock.now() })).flatMap((r) => r.violations);
    return { input, bookings, units, taken, audit };
  }

  it('after claimed: nothing happened; a retry once the lease has passed checks out', async () => {
    const { input, bookings, units, taken, audit } = await crashAt('claimed');
    expect(bookings).toEqual([]);
    expect(await taken()).toEqual({ held: units, sold: 0 });
    clock.advance(LEASE_MS + 1);
    const retry = await server.client.request(CHECKOUT, { input }, guest);
    expect(retry.data?.checkout.status).toBe('CONFIRMED');
    expect(await taken()).toEqual({ held: 0, sold: units });
    expect(await audit()).toEqual([]);
  });

  it('after held: the sweeper finds no charge, expires the booking and frees what it held', async () => {
    const { bookings, taken, audit } = await crashAt('held');
    expect(bookings.map((b) => b.status)).toEqual(['EXPIRED']);
    expect(await taken()).toEqual({ held: 0, sold: 0 });
    expect(await audit()).toEqual([]);
  });

  it('after charged: the sweeper finds the payment and confirms', async () => {
    const { bookings, units, taken, audit } = await crashAt('charged');
    expect(bookings.map((b) => b.status)).toEqual(['CONFIRMED']);
    expect(await taken()).toEqual({ held: 0, sold: units });
    expect(await audit()).toEqual([]);
  });

  it('after finalized: CONFIRMED, and a retry with the key answers it', async () => {
    const { input, bookings, audit } = await crashAt('finalized');
    expect(bookings.map((b) => b.status)).toEqual(['CONFIRMED']);
    clock.advance(LEASE_MS + 1);
    const retry = await server.client.request(CHECKOUT, { input }, guest);
    expect(retry.data?.checkout).toMatchObject({ id: bookings[0].id, status: 'CONFIRMED' });
    expect(await audit()).toEqual([]);
  });
});
