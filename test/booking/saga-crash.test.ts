import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_BOOKING_SETTINGS, type SagaStep } from '../../src/services/booking/booking.deps.js';
import { addDays } from '../../src/services/common/dates.js';
import { invariantViolations, RESERVE, reserveInput, stockedRoomType, type ReservationData } from '../helpers/booking.js';
import { errorCode } from '../helpers/graphql.js';
import {
  chargesOf,
  moneyKept,
  reservationsOf,
  reservationsOfHotel,
  startSibling,
  times,
} from '../helpers/saga.js';
import { ManualClock } from '../helpers/clock.js';
import { reservedCounts } from '../helpers/inventory.js';
import { isolatedDatabase, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The saga commits step by step; a crash between any two steps must still end in a
 * consistent state once the sweeper has run (invariants 1, 3 and 4), and a retry with
 * the same key must finish the work instead of doing it twice (invariant 2).
 */
const LEASE_MS = 200;
/** The primary's holds: longer than the crash instance's, so a sweep a minute ahead leaves them PENDING. */
const HOLD_MS = 120_000;

let server: TestServer;
/**
 * The time of both instances: a lease the crashing one took runs out on the primary's
 * clock too, when the test moves it, and hold deadlines are as of this clock.
 */
const clock = new ManualClock();
/** A second instance: holds of 1 s, leases of 200 ms, and a crash after `crashAfter` when set. */
let crashy: TestServer;
let crashAfter: SagaStep | undefined;
/** A third instance like `crashy`, whose hold claims a new key in the same statement (the path production takes). */
let fusedCrashy: TestServer;
/** The steps the crashing instances' hooks were called after, by instance. */
const stepsSeen = new Map<string, SagaStep[]>();
let admin: string;
let guest: string;

/** Sweeps one hotel as of `ms` from now: other files' holds on the shared database are not ours to settle. */
const sweepIn = (ms: number, hotelId: string) => server.app.sweeper.runOnce(clock.in(ms), { hotelIds: [hotelId] });

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: HOLD_MS, paymentTimeoutMs: 200, sweepIntervalMs: 0 } }, { booking: { clock } });
  const crashing = (name: string, claimWithHold: boolean) =>
    startSibling(server, {
      clock,
      settings: { holdTtlMs: 1_000, idempotency: { ...DEFAULT_BOOKING_SETTINGS.idempotency, leaseMs: LEASE_MS }, claimWithHold },
      afterStep: (step) => {
        stepsSeen.set(name, [...(stepsSeen.get(name) ?? []), step]);
        if (step === crashAfter) throw new Error(`simulated crash after ${step}`);
      },
    });
  crashy = await crashing('step by step', false);
  fusedCrashy = await crashing('claim and hold in one statement', true);
  admin = await server.token({ sub: 'admin-saga', role: 'admin' });
  guest = await server.token({ sub: 'guest-saga', role: 'guest' });
});

afterAll(async () => {
  await fusedCrashy.stop();
  await crashy.stop();
  await server.stop();
});

/** Books on the crashing instance, which dies after `step`; then the sweeper runs a minute later. */
async function crashAt(step: SagaStep, instance: TestServer = crashy) {
  const { hotel, roomType, from, to } = await stockedRoomType(server.client, admin, { total: 5, nights: 3 });
  const input = reserveInput(roomType.id, from, addDays(from, 2));
  crashAfter = step;
  try {
    const answer = await instance.client.request(RESERVE, { input }, guest);
    expect(errorCode(answer)).toBe('INTERNAL_SERVER_ERROR');
  } finally {
    crashAfter = undefined;
  }
  await sweepIn(60_000, hotel.id);
  expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  const reservations = await reservationsOfHotel(server.orm, hotel.id);
  expect(reservations.filter((r) => r.status === 'PENDING')).toEqual([]);
  const nights = () => reservedCounts(server.client, roomType.id, from, to);
  return { hotel, roomType, input, reservations, nights };
}

describe('a crash after a saga step ends consistent', () => {
  it('after claimed: nothing was booked, and a retry with the key books once the lease has passed', async () => {
    const { hotel, roomType, input, reservations, nights } = await crashAt('claimed');
    expect(reservations).toEqual([]);
    expect(await nights()).toEqual([0, 0, 0]);

    clock.advance(LEASE_MS + 1); // the crashed request's lease has run out
    const retry = await server.client.request(RESERVE, { input }, guest);
    expect(errorCode(retry)).toBeUndefined();
    const booked = retry.data!.reserve as ReservationData;
    expect(booked.status).toBe('CONFIRMED');
    expect((await reservationsOf(server.orm, roomType.id)).map((r) => r.id)).toEqual([booked.id]);
    expect((await chargesOf(server.orm, roomType.id)).map((c) => c.status)).toEqual(['succeeded']);
    expect(await nights()).toEqual([1, 1, 0]);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });

  describe.each([
    ['step by step', () => crashy],
    ['claim and hold in one statement', () => fusedCrashy],
  ])('%s', (name, instance) => {
    it('after held: the hold expires, its nights are released and no money is taken', async () => {
      const { roomType, reservations, nights } = await crashAt('held', instance());
      expect(reservations.map((r) => r.status)).toEqual(['EXPIRED']);
      expect(await chargesOf(server.orm, roomType.id)).toEqual([]);
      expect(await nights()).toEqual([0, 0, 0]);
    });

    it('after charged: the sweeper finds the payment and confirms, charged exactly once', async () => {
      const { roomType, reservations, nights } = await crashAt('charged', instance());
      expect(reservations.map((r) => r.status)).toEqual(['CONFIRMED']);
      const charges = await chargesOf(server.orm, roomType.id);
      expect(charges.map((c) => [c.reservationId, c.status, c.refunded])).toEqual([
        [reservations[0].id, 'succeeded', 0],
      ]);
      expect(await nights()).toEqual([1, 1, 0]);
    });

    it('after finalized: CONFIRMED, and a retry with the key returns it without a second charge', async () => {
      const { hotel, roomType, input, reservations, nights } = await crashAt('finalized', instance());
      expect(reservations.map((r) => r.status)).toEqual(['CONFIRMED']);

      clock.advance(LEASE_MS + 1); // the crashed request's lease has run out
      const retry = await server.client.request(RESERVE, { input }, guest);
      expect(errorCode(retry)).toBeUndefined();
      expect(retry.data!.reserve).toMatchObject({ id: reservations[0].id, status: 'CONFIRMED' });
      expect((await chargesOf(server.orm, roomType.id)).map((c) => [c.reservationId, c.status])).toEqual([
        [reservations[0].id, 'succeeded'],
      ]);
      expect(await nights()).toEqual([1, 1, 0]);
      expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
    });

    it('stops where asked: the one-statement path has no point between claim and hold', () => {
      const steps = stepsSeen.get(name)!;
      expect(steps.includes('claimed')).toBe(name === 'step by step');
      expect(steps).toEqual(expect.arrayContaining(['held', 'charged', 'finalized']));
    });
  });
});

describe('payments that do not go through', () => {
  it('tok_timeout: PENDING holds its nights until holdExpiresAt, then EXPIRED with them released', async () => {
    const { hotel, roomType, from, to } = await stockedRoomType(server.client, admin, { total: 5, nights: 3 });
    const input = reserveInput(roomType.id, from, addDays(from, 2), { paymentToken: 'tok_timeout' });
    const { reserve } = await server.client.ok<{ reserve: ReservationData }>(RESERVE, { input }, guest);
    expect(reserve.status).toBe('PENDING');
    const expiresAt = Date.parse(reserve.holdExpiresAt!);
    expect(expiresAt).toBe(clock.in(HOLD_MS).getTime()); // as of the server's clock, not the wall clock
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([1, 1, 0]);

    await server.app.sweeper.runOnce(new Date(expiresAt - 1_000), { hotelIds: [hotel.id] });
    expect((await reservationsOf(server.orm, roomType.id)).map((r) => r.status)).toEqual(['PENDING']);
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([1, 1, 0]);

    await server.app.sweeper.runOnce(new Date(expiresAt + 1), { hotelIds: [hotel.id] });
    expect((await reservationsOf(server.orm, roomType.id)).map((r) => r.status)).toEqual(['EXPIRED']);
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([0, 0, 0]);
    expect(await moneyKept(server.orm, roomType.id)).toBe(0);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });

  it('tok_declined: PAYMENT_DECLINED at once, REJECTED, nights released, no money kept', async () => {
    const { hotel, roomType, from, to } = await stockedRoomType(server.client, admin, { total: 5, nights: 3 });
    const input = reserveInput(roomType.id, from, addDays(from, 2), { paymentToken: 'tok_declined' });
    const answer = await server.client.request(RESERVE, { input }, guest);
    expect(errorCode(answer)).toBe('PAYMENT_DECLINED');
    expect((await reservationsOf(server.orm, roomType.id)).map((r) => r.status)).toEqual(['REJECTED']);
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([0, 0, 0]);
    expect(await moneyKept(server.orm, roomType.id)).toBe(0);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });
});

it('invariant 4: after a sweep at T no PENDING hold expires before T', async () => {
  const { hotel, roomType, from, to } = await stockedRoomType(server.client, admin, { total: 10, nights: 3 });
  const input = () => reserveInput(roomType.id, from, addDays(from, 2), { paymentToken: 'tok_timeout' });
  await times(3, () => crashy.client.ok(RESERVE, { input: input() }, guest)); // 1 s holds
  const { reserve: lasting } = await server.client.ok(RESERVE, { input: input() }, guest); // 2 min hold

  const T = clock.in(60_000);
  await server.app.sweeper.runOnce(T, { hotelIds: [hotel.id] });
  const reservations = await reservationsOfHotel(server.orm, hotel.id);
  const stale = reservations.filter((r) => r.status === 'PENDING' && new Date(r.hold_expires_at!) < T);
  expect(stale).toEqual([]);
  expect(reservations.filter((r) => r.status === 'PENDING').map((r) => r.id)).toEqual([lasting.id]);
  expect(reservations.filter((r) => r.status === 'EXPIRED')).toHaveLength(3);
  expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([1, 1, 0]);
  expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
});

it('two sweepers at once settle each due reservation exactly once', async () => {
  // A database of its own: the counts must not see what other test files do meanwhile.
  const isolated = await isolatedDatabase(server.orm);
  const config = { booking: { holdTtlMs: 1_000, paymentTimeoutMs: 200, sweepIntervalMs: 0 } };
  const one = await startTestServer(config, { orm: isolated.orm });
  let dying = false;
  const two = await startSibling(one, {
    afterStep: (step) => {
      if (dying && step === 'charged') throw new Error('simulated crash after charged');
    },
  });
  try {
    const token = await one.token({ sub: 'admin-sweep', role: 'admin' });
    const { hotel, roomType, from, to } = await stockedRoomType(one.client, token, { total: 20, nights: 3 });
    const input = (paymentToken: string) => reserveInput(roomType.id, from, addDays(from, 2), { paymentToken });
    // Unpaid holds, and holds whose payment went through before their server died.
    const unpaid = await times(6, () => one.client.request(RESERVE, { input: input('tok_timeout') }, guest));
    expect(unpaid.map((r) => r.data?.reserve.status)).toEqual(Array(6).fill('PENDING'));
    dying = true;
    const paid = await times(4, () => two.client.request(RESERVE, { input: input('tok_ok') }, guest));
    expect(paid.map(errorCode)).toEqual(Array(4).fill('INTERNAL_SERVER_ERROR'));
    expect((await reservationsOf(isolated.orm, roomType.id)).map((r) => r.status)).toEqual(Array(10).fill('PENDING'));

    const at = new Date(Date.now() + 60_000);
    const reports = await Promise.all([one.app.sweeper.runOnce(at), two.app.sweeper.runOnce(at)]);
    const total = (key: 'confirmed' | 'expired') => reports.reduce((sum, report) => sum + report[key], 0);
    expect({ confirmed: total('confirmed'), expired: total('expired') }).toEqual({ confirmed: 4, expired: 6 });

    const statuses = (await reservationsOf(isolated.orm, roomType.id)).map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(4).fill('CONFIRMED'), ...Array(6).fill('EXPIRED')]);
    expect((await chargesOf(isolated.orm, roomType.id)).map((c) => c.status)).toEqual(Array(4).fill('succeeded'));
    expect(await reservedCounts(one.client, roomType.id, from, to)).toEqual([4, 4, 0]);
    expect(await invariantViolations(isolated.orm, [hotel.id])).toEqual([]);
  } finally {
    await two.stop();
    await one.stop();
    await isolated.drop();
  }
});
