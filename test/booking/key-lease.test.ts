import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_BOOKING_SETTINGS, type SagaStep } from '../../src/services/booking/booking.deps.js';
import { addDays } from '../../src/services/common/dates.js';
import { auditVenueInvariants } from '../../src/services/venues/audit.js';
import { invariantViolations, RESERVE, reserveInput, stockedRoomType, type ReservationData } from '../helpers/booking.js';
import { ManualClock } from '../helpers/clock.js';
import { errorCode, type GraphQLResult } from '../helpers/graphql.js';
import { CHECKOUT, checkoutInput, holdSeats } from '../helpers/holds.js';
import { reservedCounts } from '../helpers/inventory.js';
import { chargesOf, gate, reservationsOf, startSibling, type Gate } from '../helpers/saga.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { seatedPerformance } from '../helpers/venues.js';

/**
 * Idempotency-key leases (issue 14): a running request renews a short lease, so a retry
 * of a request that died is answered within about a lease, not a minute; and each claim
 * has a fence, so a request that stalled past its lease cannot act beside the retry
 * that took its claim over (invariant 2).
 */
const LEASE_MS = DEFAULT_BOOKING_SETTINGS.idempotency.leaseMs;

let server: TestServer;
/** Dies (throws) after `crashAfter`: its claim is never renewed again. Real time, default lease. */
let crashy: TestServer;
let crashAfter: SagaStep | undefined;
/**
 * Parks its request at `stallAt` until the test opens the gate, with a clock that stands
 * still: its renewals keep the lease where a frozen process's last renewal left it.
 */
let stalling: TestServer;
let stall: { at: SagaStep; gate: Gate; reached: Gate } | undefined;
let admin: string;

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: 60_000, paymentTimeoutMs: 2_000, sweepIntervalMs: 0 } });
  crashy = await startSibling(server, {
    afterStep: (step) => {
      if (step === crashAfter) throw new Error(`simulated crash after ${step}`);
    },
  });
  stalling = await startTestServer(
    { booking: server.config.booking },
    {
      orm: server.orm,
      venues: { engine: server.app.holds },
      booking: {
        clock: new ManualClock(new Date(Date.now() - 60_000)),
        afterStep: async (step) => {
          if (stall?.at !== step) return;
          stall.reached.open();
          await stall.gate.opened;
        },
      },
    },
  );
  admin = await server.token({ sub: 'admin-key-lease', role: 'admin' });
});

afterAll(async () => {
  stall?.gate.open();
  await stalling.app.stop();
  await crashy.app.stop();
  await server.stop();
});

const newGuest = () => server.token({ sub: `guest-${randomUUID()}`, role: 'guest' });

describe('a retry of a request whose server died', () => {
  it.each<[SagaStep, string]>([
    ['claimed', 'before the hold: runs afresh'],
    ['held', 'after the hold: finishes the same reservation'],
  ])('died after %s: answered definitively within a lease of the death (%s)', async (step) => {
    const guest = await newGuest();
    const { hotel, roomType, from, to } = await stockedRoomType(server.client, admin, { total: 5, nights: 3 });
    const input = reserveInput(roomType.id, from, addDays(from, 2));
    crashAfter = step;
    const died = await crashy.client.request(RESERVE, { input }, guest);
    crashAfter = undefined;
    expect(errorCode(died)).toBe('INTERNAL_SERVER_ERROR');
    const deathAt = Date.now();

    const retry = await server.client.request(RESERVE, { input }, guest);
    const answeredAfterMs = Date.now() - deathAt;
    expect(errorCode(retry)).toBeUndefined();
    const booked = retry.data!.reserve as ReservationData;
    expect(booked.status).toBe('CONFIRMED');
    // The lease lapses at most LEASE_MS after the last renewal; the rest is the saga's own time.
    expect(answeredAfterMs).toBeLessThan(LEASE_MS + 3_000);

    expect((await reservationsOf(server.orm, roomType.id)).map((r) => r.id)).toEqual([booked.id]);
    expect((await chargesOf(server.orm, roomType.id)).map((c) => [c.reservationId, c.status])).toEqual([[booked.id, 'succeeded']]);
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([1, 1, 0]);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });
});

describe('a request that stalls past its lease and comes back', () => {
  /** Parks a reserve on the stalling instance at `at`; resolves once it is parked. */
  async function parkAt(at: SagaStep, run: () => Promise<GraphQLResult>) {
    stall = { at, gate: gate(), reached: gate() };
    const answer = run();
    await stall.reached.opened;
    return { answer, resume: () => stall!.gate.open() };
  }

  it('parked after its claim: the retry books, the stalled request then holds nothing (IDEMPOTENCY_KEY_IN_USE)', async () => {
    const guest = await newGuest();
    const { hotel, roomType, from, to } = await stockedRoomType(server.client, admin, { total: 5, nights: 3 });
    const input = reserveInput(roomType.id, from, addDays(from, 2));
    const stalled = await parkAt('claimed', () => stalling.client.request(RESERVE, { input }, guest));

    const retry = await server.client.request(RESERVE, { input }, guest);
    expect(errorCode(retry)).toBeUndefined();
    const booked = retry.data!.reserve as ReservationData;
    expect(booked.status).toBe('CONFIRMED');

    stalled.resume();
    expect(errorCode(await stalled.answer)).toBe('IDEMPOTENCY_KEY_IN_USE');
    expect((await reservationsOf(server.orm, roomType.id)).map((r) => r.id)).toEqual([booked.id]);
    expect((await chargesOf(server.orm, roomType.id)).map((c) => c.status)).toEqual(['succeeded']);
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([1, 1, 0]);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
    // The key remembers the retry's answer.
    const replay = await server.client.request(RESERVE, { input }, guest);
    expect(replay.data!.reserve).toMatchObject({ id: booked.id, status: 'CONFIRMED' });
  });

  it('parked after its hold: both answer the one reservation, charged once', async () => {
    const guest = await newGuest();
    const { hotel, roomType, from, to } = await stockedRoomType(server.client, admin, { total: 5, nights: 3 });
    const input = reserveInput(roomType.id, from, addDays(from, 2));
    const stalled = await parkAt('held', () => stalling.client.request(RESERVE, { input }, guest));

    const retry = await server.client.request(RESERVE, { input }, guest);
    expect(errorCode(retry)).toBeUndefined();
    const booked = retry.data!.reserve as ReservationData;
    expect(booked.status).toBe('CONFIRMED');

    stalled.resume();
    const late = await stalled.answer;
    expect(errorCode(late)).toBeUndefined();
    expect(late.data!.reserve).toMatchObject({ id: booked.id, status: 'CONFIRMED' });
    expect((await chargesOf(server.orm, roomType.id)).map((c) => [c.reservationId, c.status])).toEqual([[booked.id, 'succeeded']]);
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([1, 1, 0]);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });

  it('a venue checkout parked after its claim: the retry books the seats, the stalled one changes nothing', async () => {
    const guest = await newGuest();
    const { performance } = await seatedPerformance(server.client, admin);
    const hold = await holdSeats(server.client, guest, performance.id, ['ORCH-R1-1', 'ORCH-R1-2']);
    const input = checkoutInput(hold.token);
    const stalled = await parkAt('claimed', () => stalling.client.request(CHECKOUT, { input }, guest));

    const retry = await server.client.request(CHECKOUT, { input }, guest);
    expect(errorCode(retry)).toBeUndefined();
    expect(retry.data!.checkout).toMatchObject({ status: 'CONFIRMED' });

    stalled.resume();
    // The hold is checked out by then; the stalled request's answer is not written under the key (its fence is gone).
    expect(errorCode(await stalled.answer)).toBe('HOLD_EXPIRED');
    const replay = await server.client.request(CHECKOUT, { input }, guest);
    expect(replay.data!.checkout).toMatchObject({ id: (retry.data!.checkout as { id: string }).id, status: 'CONFIRMED' });
    const bookings = await server.orm.em
      .fork()
      .getConnection()
      .execute<{ status: string }[]>(`select status from booking where offering_id = ?`, [performance.id]);
    expect(bookings.map((b) => b.status)).toEqual(['CONFIRMED']);
    const report = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: [performance.id] });
    expect(report.flatMap((r) => r.violations)).toEqual([]);
  });
});
