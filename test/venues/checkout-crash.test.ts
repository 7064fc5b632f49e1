import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_BOOKING_SETTINGS, type SagaStep } from '../../src/services/booking/booking.deps.js';
import { auditVenueInvariants } from '../../src/services/venues/audit.js';
import { ManualClock } from '../helpers/clock.js';
import { errorCode } from '../helpers/graphql.js';
import { CHECKOUT, checkoutInput, holdSeats, seatStates } from '../helpers/holds.js';
import { startCrashingSibling } from '../helpers/saga.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { seatedPerformance } from '../helpers/venues.js';

/**
 * Checkout runs the hotel's saga: a crash between any two steps ends consistent once
 * the sweeper has run (seats, bookings and money agree: invariants 6, 7 and 9), and a
 * retry with the same key finishes the work instead of doing it twice.
 */
const LEASE_MS = 200;
const clock = new ManualClock();
let server: TestServer;
/** A second instance on the same database and hold engine, that dies after `crashAfter`. */
let crashy: TestServer;
let crashAfter: SagaStep | undefined;
let admin: string;
let guest: string;

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: 60_000, paymentTimeoutMs: 200, sweepIntervalMs: 0 } }, { booking: { clock } });
  crashy = await startCrashingSibling(server, { clock, leaseMs: LEASE_MS, crashAt: () => crashAfter });
  admin = await server.token({ sub: 'admin-checkout-crash', role: 'admin' });
  guest = await server.token({ sub: `guest-${randomUUID()}`, role: 'guest' });
});

afterAll(async () => {
  await crashy.stop();
  await server.stop();
});

/** Holds two seats and checks out on the crashing instance, which dies after `step`; then a sweep ten minutes later. */
async function crashAt(step: SagaStep) {
  const { venue, performance } = await seatedPerformance(server.client, admin);
  const hold = await holdSeats(server.client, guest, performance.id, ['ORCH-R1-1', 'ORCH-R1-2']);
  const input = checkoutInput(hold.token);
  crashAfter = step;
  try {
    expect(errorCode(await crashy.client.request(CHECKOUT, { input }, guest))).toBe('INTERNAL_SERVER_ERROR');
  } finally {
    crashAfter = undefined;
  }
  await server.app.sweeper.runOnce(clock.in(10 * 60_000), { venueIds: [venue.id] });
  const bookings = await server.orm.em
    .fork()
    .getConnection()
    .execute<{ id: string; status: string }[]>(`select id, status from booking where offering_id = ? order by id`, [performance.id]);
  const charges = await server.orm.em
    .fork()
    .getConnection()
    .execute<{ status: string }[]>(
      `select c.status from test_gateway_charge c join booking b on c.idempotency_key = b.id::text where b.offering_id = ?`,
      [performance.id],
    );
  const seats = async () => {
    const states = await seatStates(server.client, performance.id);
    return [states.get('ORCH-R1-1'), states.get('ORCH-R1-2')];
  };
  const audit = async () =>
    (await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: [performance.id], now: clock.now() })).flatMap(
      (r) => r.violations,
    );
  return { input, hold, bookings, charges: charges.map((c) => c.status), seats, audit, performance };
}

describe('a crash after a checkout step ends consistent', () => {
  it('after claimed: nothing happened; a retry once the lease has passed checks out', async () => {
    const { input, bookings, seats, audit } = await crashAt('claimed');
    expect(bookings).toEqual([]);
    expect(await seats()).toEqual(['HELD', 'HELD']);
    clock.advance(LEASE_MS + 1);
    const retry = await server.client.request(CHECKOUT, { input }, guest);
    expect(retry.data?.checkout.status).toBe('CONFIRMED');
    expect(await seats()).toEqual(['SOLD', 'SOLD']);
    expect(await audit()).toEqual([]);
  });

  it('after held: the sweeper finds no charge, expires the booking and frees the seats', async () => {
    const { bookings, charges, seats, audit } = await crashAt('held');
    expect(bookings.map((b) => b.status)).toEqual(['EXPIRED']);
    expect(charges).toEqual([]);
    expect(await seats()).toEqual(['FREE', 'FREE']);
    expect(await audit()).toEqual([]);
  });

  it('after charged: the sweeper finds the payment and confirms; the seats are SOLD', async () => {
    const { bookings, charges, seats, audit } = await crashAt('charged');
    expect(bookings.map((b) => b.status)).toEqual(['CONFIRMED']);
    expect(charges).toEqual(['succeeded']);
    expect(await seats()).toEqual(['SOLD', 'SOLD']);
    expect(await audit()).toEqual([]);
  });

  it('after finalized: CONFIRMED, and a retry with the key answers it without a second charge', async () => {
    const { input, bookings, seats, audit, performance } = await crashAt('finalized');
    expect(bookings.map((b) => b.status)).toEqual(['CONFIRMED']);
    clock.advance(LEASE_MS + 1);
    const retry = await server.client.request(CHECKOUT, { input }, guest);
    expect(retry.data?.checkout).toMatchObject({ id: bookings[0].id, status: 'CONFIRMED' });
    const charges = await server.orm.em
      .fork()
      .getConnection()
      .execute(`select count(*)::int as n from test_gateway_charge c join booking b on c.idempotency_key = b.id::text where b.offering_id = ?`, [performance.id]);
    expect(charges[0].n).toBe(1);
    expect(await seats()).toEqual(['SOLD', 'SOLD']);
    expect(await audit()).toEqual([]);
  });
});

describe('the hold engine failing inside checkout', () => {
  /** A server whose hold engine fails beginCheckout as told: before reaching the engine, or after (the reply lost). */
  let failing: 'before' | 'after' | undefined;
  let flaky: TestServer;

  beforeAll(async () => {
    const engine = server.app.holds;
    const faulty = new Proxy(engine, {
      get(target, property, receiver) {
        if (property !== 'beginCheckout') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<typeof engine.beginCheckout>) => {
          if (failing === 'before') throw new Error('connection refused');
          const answer = await target.beginCheckout(...args);
          if (failing === 'after') throw new Error('connection reset');
          return answer;
        };
      },
    });
    flaky = await startTestServer({ booking: server.config.booking }, { orm: server.orm, venues: { engine: faulty }, booking: { clock } });
  });

  afterAll(() => flaky.app.stop());

  async function attempt(how: 'before' | 'after') {
    const { venue, performance } = await seatedPerformance(server.client, admin);
    const hold = await holdSeats(server.client, guest, performance.id, ['BAL-R1-1', 'BAL-R1-2']);
    const input = checkoutInput(hold.token);
    failing = how;
    try {
      expect(errorCode(await flaky.client.request(CHECKOUT, { input }, guest))).toBe('BUSY');
    } finally {
      failing = undefined;
    }
    const seats = async () => {
      const states = await seatStates(server.client, performance.id);
      return [states.get('BAL-R1-1'), states.get('BAL-R1-2')];
    };
    return { venue, performance, input, seats };
  }

  it('unreachable before the seats moved: BUSY, the hold stands, and a retry with the key checks out', async () => {
    const { performance, input, seats } = await attempt('before');
    expect(await seats()).toEqual(['HELD', 'HELD']);
    const retry = await flaky.client.request(CHECKOUT, { input }, guest);
    expect(retry.data?.checkout.status).toBe('CONFIRMED');
    expect(await seats()).toEqual(['SOLD', 'SOLD']);
    const bookings = await server.orm.em
      .fork()
      .getConnection()
      .execute<{ status: string }[]>(`select status from booking where offering_id = ? order by id`, [performance.id]);
    // The attempt that failed is kept, EXPIRED, holding nothing.
    expect(bookings.map((b) => b.status)).toEqual(['EXPIRED', 'CONFIRMED']);
    const audit = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: [performance.id], now: clock.now() });
    expect(audit.flatMap((r) => r.violations)).toEqual([]);
  });

  it('the reply lost after the seats moved: BUSY, and the sweeper frees the seats of the given-up booking', async () => {
    const { venue, performance, input, seats } = await attempt('after');
    expect(await seats()).toEqual(['HELD', 'HELD']);
    const report = await server.app.sweeper.runOnce(clock.now(), { venueIds: [venue.id] });
    expect(report.resynced).toBe(1);
    expect(await seats()).toEqual(['FREE', 'FREE']);
    // The hold was spent by the attempt: a retry with the key is told so.
    expect(errorCode(await flaky.client.request(CHECKOUT, { input }, guest))).toBe('HOLD_EXPIRED');
    const audit = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: [performance.id], now: clock.now() });
    expect(audit.flatMap((r) => r.violations)).toEqual([]);
  });
});

it('a checkout that dies between its record and moving the seats: a retry with the key confirms, and the seats become SOLD once the hold lapses', async () => {
  let release: ((answer: { ok: false; reason: 'token' }) => void) | undefined;
  const engine = server.app.holds;
  const stuck = new Proxy(engine, {
    get(target, property, receiver) {
      if (property !== 'beginCheckout') return Reflect.get(target, property, receiver);
      // Never answers until the test lets it: the request is as good as dead.
      return () => new Promise((resolve) => (release = resolve));
    },
  });
  const dying = await startTestServer(
    { booking: server.config.booking },
    {
      orm: server.orm,
      venues: { engine: stuck },
      // Its own clock, standing still: a stuck request still renews its key's lease, and a
      // dead one would not; renewals on a frozen clock never reach past the lease the test waits out.
      booking: { clock: new ManualClock(clock.now()), settings: { idempotency: { ...DEFAULT_BOOKING_SETTINGS.idempotency, leaseMs: LEASE_MS } } },
    },
  );
  try {
    const { venue, performance } = await seatedPerformance(server.client, admin);
    const hold = await holdSeats(server.client, guest, performance.id, ['ORCH-R3-1', 'ORCH-R3-2']);
    const input = checkoutInput(hold.token);
    const first = dying.client.request(CHECKOUT, { input }, guest);
    const recorded = async () =>
      (await server.orm.em.fork().getConnection().execute(`select id, status from booking where offering_id = ?`, [performance.id])) as {
        id: string;
        status: string;
      }[];
    const deadline = Date.now() + 5_000;
    while ((await recorded()).length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect((await recorded()).map((b) => b.status)).toEqual(['PENDING']);

    clock.advance(LEASE_MS + 1);
    const retry = await server.client.request(CHECKOUT, { input }, guest);
    expect(retry.data?.checkout.status).toBe('CONFIRMED');
    const states = async () => {
      const map = await seatStates(server.client, performance.id);
      return [map.get('ORCH-R3-1'), map.get('ORCH-R3-2')];
    };
    // The seats are still in the hold: nobody else can take them, and they are not FREE.
    expect(await states()).toEqual(['HELD', 'HELD']);
    clock.advance(Date.parse(hold.expiresAt) - clock.now().getTime());
    const report = await server.app.sweeper.runOnce(clock.now(), { venueIds: [venue.id] });
    expect(report.resynced).toBe(1);
    expect(await states()).toEqual(['SOLD', 'SOLD']);

    // The first request comes back at last, refused: it must not undo the booking a retry confirmed.
    release!({ ok: false, reason: 'token' });
    expect(errorCode(await first)).toBe('HOLD_EXPIRED');
    expect((await recorded()).map((b) => b.status)).toEqual(['CONFIRMED']);
    // Nor its key: a replay still answers the booking.
    expect((await server.client.request(CHECKOUT, { input }, guest)).data?.checkout.status).toBe('CONFIRMED');
    const audit = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: [performance.id], now: clock.now() });
    expect(audit.flatMap((r) => r.violations)).toEqual([]);
  } finally {
    await dying.app.stop();
  }
});
