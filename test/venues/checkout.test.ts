import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditVenueInvariants } from '../../src/services/venues/audit.js';
import { errorCode } from '../helpers/graphql.js';
import {
  BOOKING,
  BOOKING_FIELDS,
  CANCEL_BOOKING,
  CHECKOUT,
  checkoutInput,
  holdSeats,
  seatStates,
  type BookingData,
} from '../helpers/holds.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createPerformance, seatedPerformance, staffClaims } from '../helpers/venues.js';

/** Checkout: the hold becomes a booking through the payment saga, with Stripe's idempotency and validated details. */
let server: TestServer;
let admin: string;
let ann: string;
let bob: string;
const venueIds: string[] = [];
const performanceIds: string[] = [];

const MY_BOOKINGS = `query { myBookings(first: 50) { edges { node { id status } } } }`;
const VENUE_BOOKINGS = `query($venueId: ID!, $status: ReservationStatus) { venueBookings(venueId: $venueId, status: $status) { edges { node { id status } } } }`;
const UPDATE_DETAILS = `mutation($input: UpdateBookingDetailsInput!) { updateBookingDetails(input: $input) { ${BOOKING_FIELDS} } }`;

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: 60_000, paymentTimeoutMs: 300, sweepIntervalMs: 0 } });
  admin = await server.token({ sub: 'admin-checkout', role: 'admin' });
  ann = await server.token({ sub: `guest-ann-${randomUUID()}`, role: 'guest' });
  bob = await server.token({ sub: `guest-bob-${randomUUID()}`, role: 'guest' });
});

afterAll(async () => {
  // Whatever these tests did, the venue invariants hold for their performances.
  const reports = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: performanceIds });
  expect(reports.flatMap((r) => r.violations)).toEqual([]);
  await server.stop();
});

async function performance(overrides: Record<string, unknown> = {}) {
  const { venue, chart } = await seatedPerformance(server.client, admin);
  const made = await createPerformance(server.client, admin, venue.id, chart.id, overrides);
  venueIds.push(venue.id);
  performanceIds.push(made.id);
  return { venue, performance: made };
}

const checkout = (token: string, input: Record<string, unknown>) => server.client.request<{ checkout: BookingData }>(CHECKOUT, { input }, token);

describe('checkout', () => {
  it('confirms a paid booking: seats SOLD at the price they were held at', async () => {
    const { performance: show } = await performance();
    const hold = await holdSeats(server.client, ann, show.id, ['ORCH-R1-4', 'BAL-R1-1']);
    const result = await checkout(ann, checkoutInput(hold.token));
    const booking = result.data!.checkout as BookingData & { kind: string; offeringId: string; title: string };
    expect(booking).toMatchObject({ status: 'CONFIRMED', kind: 'PERFORMANCE', offeringId: show.id, title: show.title, total: { amount: '125.50' } });
    expect(booking.items.map((i) => i.seatId)).toEqual(['ORCH-R1-4', 'BAL-R1-1']);
    const states = await seatStates(server.client, show.id);
    expect([states.get('ORCH-R1-4'), states.get('BAL-R1-1')]).toEqual(['SOLD', 'SOLD']);
    // The hold is spent.
    expect(errorCode(await checkout(ann, checkoutInput(hold.token)))).toBe('HOLD_EXPIRED');
  });

  it('answers PAYMENT_DECLINED and frees the seats when the payment is refused', async () => {
    const { performance: show } = await performance();
    const hold = await holdSeats(server.client, ann, show.id, ['ORCH-R2-1', 'ORCH-R2-2']);
    const input = checkoutInput(hold.token, { paymentToken: 'tok_declined' });
    expect(errorCode(await checkout(ann, input))).toBe('PAYMENT_DECLINED');
    const states = await seatStates(server.client, show.id);
    expect([states.get('ORCH-R2-1'), states.get('ORCH-R2-2')]).toEqual(['FREE', 'FREE']);
    // A replay answers the same, and someone else can buy the seats.
    expect(errorCode(await checkout(ann, input))).toBe('PAYMENT_DECLINED');
    const again = await holdSeats(server.client, bob, show.id, ['ORCH-R2-1']);
    expect((await checkout(bob, checkoutInput(again.token))).data!.checkout.status).toBe('CONFIRMED');
  });

  it('replays the same key with the same input, and refuses it with other input', async () => {
    const { performance: show } = await performance();
    const hold = await holdSeats(server.client, ann, show.id, ['BAL-R2-4']);
    const input = checkoutInput(hold.token);
    const [first, second] = await Promise.all([checkout(ann, input), checkout(ann, input)]);
    expect(first.data!.checkout.id).toBe(second.data!.checkout.id);
    const reused = await checkout(ann, { ...input, guest: { name: 'Other', email: 'other@example.com' } });
    expect(errorCode(reused)).toBe('IDEMPOTENCY_KEY_REUSED');
    const rows = await server.orm.em.fork().getConnection().execute(`select count(*)::int as n from booking where offering_id = ?`, [show.id]);
    expect(rows[0].n).toBe(1);
  });

  it('validates details against the detailsSchema, reporting every violation with its path', async () => {
    const schema = {
      type: 'object',
      required: ['attendees'],
      properties: {
        attendees: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } } },
        note: { type: 'string', maxLength: 10 },
      },
      additionalProperties: false,
    };
    const { performance: show } = await performance({ detailsSchema: schema });
    const hold = await holdSeats(server.client, ann, show.id, ['ORCH-R3-1']);
    const bad = await checkout(ann, checkoutInput(hold.token, { details: { attendees: [{ name: '' }, {}], note: 'far too long a note' } }));
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    const paths = (bad.errors![0].extensions!.detailsErrors as { path: string }[]).map((e) => e.path).sort();
    // A missing property is reported at its own path.
    expect(paths).toEqual(['/attendees/0/name', '/attendees/1/name', '/note']);
    // Nothing was taken: the hold is still there and checks out with good details.
    const good = await checkout(ann, checkoutInput(hold.token, { details: { attendees: [{ name: 'Ada' }] } }));
    expect(good.data!.checkout).toMatchObject({ status: 'CONFIRMED', details: { attendees: [{ name: 'Ada' }] } });

    const update = await server.client.request(UPDATE_DETAILS, { input: { id: good.data!.checkout.id, version: good.data!.checkout.version, details: { note: 'x' } } }, ann);
    expect(errorCode(update)).toBe('BAD_USER_INPUT');
    const stale = await server.client.request(UPDATE_DETAILS, { input: { id: good.data!.checkout.id, version: 999, details: { attendees: [] } } }, ann);
    expect(errorCode(stale)).toBe('VERSION_CONFLICT');
    const updated = await server.client.ok(UPDATE_DETAILS, { input: { id: good.data!.checkout.id, version: good.data!.checkout.version, details: { attendees: [] } } }, ann);
    expect(updated.updateBookingDetails.details).toEqual({ attendees: [] });
  });

  it('needs a payment token when the hold costs money', async () => {
    const { performance: show } = await performance();
    const hold = await holdSeats(server.client, ann, show.id, ['ORCH-R1-9']);
    expect(errorCode(await checkout(ann, checkoutInput(hold.token, { paymentToken: null })))).toBe('BAD_USER_INPUT');
  });

  it('leaves a booking PENDING when the gateway does not answer; the sweeper settles it', async () => {
    const { venue, performance: show } = await performance();
    const hold = await holdSeats(server.client, ann, show.id, ['BAL-R2-8']);
    const result = await checkout(ann, checkoutInput(hold.token, { paymentToken: 'tok_timeout' }));
    expect(result.data!.checkout.status).toBe('PENDING');
    expect((await seatStates(server.client, show.id)).get('BAL-R2-8')).toBe('HELD');
    const report = await server.app.sweeper.runOnce(new Date(Date.now() + 10 * 60_000), { venueIds: [venue.id] });
    expect(report.expired + report.confirmed).toBe(1);
    const booking = (await server.client.ok(BOOKING, { id: result.data!.checkout.id }, ann)).booking;
    const seat = (await seatStates(server.client, show.id)).get('BAL-R2-8');
    expect([booking.status, seat]).toEqual(booking.status === 'CONFIRMED' ? ['CONFIRMED', 'SOLD'] : ['EXPIRED', 'FREE']);
  });
});

describe('bookings', () => {
  it('are read by their owner, staff of the venue and admins; anyone else gets NOT_FOUND', async () => {
    const { venue, performance: show } = await performance();
    const hold = await holdSeats(server.client, ann, show.id, ['ORCH-R2-9']);
    const booking = (await checkout(ann, checkoutInput(hold.token))).data!.checkout;
    const staff = await server.token(staffClaims([venue.id]));
    const otherStaff = await server.token(staffClaims([randomUUID()]));
    for (const token of [ann, staff, admin]) expect((await server.client.ok(BOOKING, { id: booking.id }, token)).booking.id).toBe(booking.id);
    for (const token of [bob, otherStaff]) expect(errorCode(await server.client.request(BOOKING, { id: booking.id }, token))).toBe('NOT_FOUND');
    expect(errorCode(await server.client.request(BOOKING, { id: booking.id }))).toBe('UNAUTHENTICATED');

    const mine = (await server.client.ok(MY_BOOKINGS, {}, ann)).myBookings.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(mine).toContain(booking.id);
    expect((await server.client.ok(MY_BOOKINGS, {}, bob)).myBookings.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(booking.id);
    const ofVenue = (await server.client.ok(VENUE_BOOKINGS, { venueId: venue.id, status: 'CONFIRMED' }, staff)).venueBookings.edges;
    expect(ofVenue.map((e: { node: { id: string } }) => e.node.id)).toEqual([booking.id]);
    expect(errorCode(await server.client.request(VENUE_BOOKINGS, { venueId: venue.id }, otherStaff))).toBe('FORBIDDEN');
    expect(errorCode(await server.client.request(VENUE_BOOKINGS, { venueId: venue.id }, ann))).toBe('FORBIDDEN');
  });

  it('cancel frees the seats and refunds, once per key', async () => {
    const { performance: show } = await performance();
    const hold = await holdSeats(server.client, ann, show.id, ['BAL-R1-3', 'BAL-R1-4']);
    const booking = (await checkout(ann, checkoutInput(hold.token))).data!.checkout;
    const input = { id: booking.id, idempotencyKey: randomUUID(), reason: 'plans changed' };
    expect(errorCode(await server.client.request(CANCEL_BOOKING, { input }, bob))).toBe('NOT_FOUND');
    const cancelled = (await server.client.ok(CANCEL_BOOKING, { input }, ann)).cancelBooking;
    expect(cancelled.status).toBe('REFUNDED');
    expect((await server.client.ok(CANCEL_BOOKING, { input }, ann)).cancelBooking.id).toBe(booking.id);
    const states = await seatStates(server.client, show.id);
    expect([states.get('BAL-R1-3'), states.get('BAL-R1-4')]).toEqual(['FREE', 'FREE']);
    const charges = await server.orm.em
      .fork()
      .getConnection()
      .execute(`select amount_minor::int as amount, refunded_minor::int as refunded from test_gateway_charge where idempotency_key = ?`, [booking.id]);
    expect(charges).toEqual([{ amount: 9100, refunded: 9100 }]);
  });
});
