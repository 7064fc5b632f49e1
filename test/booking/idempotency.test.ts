import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addDays, todayIn } from '../../src/services/common/dates.js';
import { DEFAULT_BOOKING_SETTINGS } from '../../src/services/booking/booking.deps.js';
import {
  CANCEL,
  invariantViolations,
  RESERVE,
  reserveInput,
  SET_INVENTORY,
  stockedRoomType,
  type ReservationData,
} from '../helpers/booking.js';
import { UPDATE_HOTEL } from '../helpers/catalog.js';
import { errorCode } from '../helpers/graphql.js';
import {
  chargesOf,
  gate,
  moneyKept,
  reservationsOf,
  startSibling,
  times,
  type Gate,
} from '../helpers/saga.js';
import { ManualClock } from '../helpers/clock.js';
import { reservedCounts } from '../helpers/inventory.js';
import { isolatedDatabase, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Invariant 2 with Stripe's semantics: one key, per principal and operation, yields at
 * most one effect, and every replay answers what the first request answered.
 */
const HOUR = 3_600_000;

let server: TestServer;
/** A second instance whose saga can be parked after holding the nights, and whose duplicates wait only 300 ms. */
let parking: TestServer;
let park: { reached: Gate; release: Gate } | undefined;
let admin: string;
let guest: string;
let otherGuest: string;

beforeAll(async () => {
  // Holds outlive any sweep another test file runs on the shared database.
  server = await startTestServer({ booking: { holdTtlMs: HOUR, paymentTimeoutMs: 5_000, sweepIntervalMs: 0 } });
  parking = await startSibling(server, {
    settings: { idempotency: { ...DEFAULT_BOOKING_SETTINGS.idempotency, waitMs: 300 } },
    afterStep: async (step) => {
      const parked = park;
      if (step !== 'held' || !parked) return;
      parked.reached.open();
      await parked.release.opened;
    },
  });
  admin = await server.token({ sub: 'admin-idem', role: 'admin' });
  guest = await server.token({ sub: 'guest-idem-1', role: 'guest' });
  otherGuest = await server.token({ sub: 'guest-idem-2', role: 'guest' });
});

afterAll(async () => {
  await parking.stop();
  await server.stop();
});

async function stock(total = 30) {
  const stocked = await stockedRoomType(server.client, admin, { total, nights: 4 });
  return { ...stocked, input: reserveInput(stocked.roomType.id, stocked.from, addDays(stocked.from, 2)) };
}

async function book(input: Record<string, unknown>, token = guest): Promise<ReservationData> {
  const { reserve } = await server.client.ok<{ reserve: ReservationData }>(RESERVE, { input }, token);
  return reserve;
}

async function keyRows(principal: string, operation: string, key: string, orm = server.orm) {
  return orm.em.fork().execute<{ request_hash: string; state: string; seconds: string | number }[]>(
    `select request_hash, state, extract(epoch from expires_at - created_at) as seconds
       from idempotency_key where principal = ? and operation = ? and key = ?`,
    [principal, operation, key],
  );
}

describe('20 identical reserve requests with one key, all at once', () => {
  it('tok_ok: one reservation, one charge, 20 equal answers', async () => {
    const { hotel, roomType, from, to, input } = await stock();
    const results = await times(20, () => server.client.request(RESERVE, { input }, guest));
    expect(results.map(errorCode)).toEqual(Array(20).fill(undefined));
    expect(results.map((r) => r.data)).toEqual(Array(20).fill(results[0].data));
    const answer = results[0].data!.reserve as ReservationData;
    expect(answer.status).toBe('CONFIRMED');

    const reservations = await reservationsOf(server.orm, roomType.id);
    expect(reservations.map((r) => [r.id, r.status])).toEqual([[answer.id, 'CONFIRMED']]);
    const charges = await chargesOf(server.orm, roomType.id);
    expect(charges.map((c) => [c.reservationId, c.status])).toEqual([[answer.id, 'succeeded']]);
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([1, 1, 0, 0]);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });

  it('tok_declined: 20 equal PAYMENT_DECLINED answers, one REJECTED reservation, no money taken', async () => {
    const { hotel, roomType, from, to, input } = await stock();
    const declined = { ...input, paymentToken: 'tok_declined' };
    const results = await times(20, () => server.client.request(RESERVE, { input: declined }, guest));
    expect(results.map(errorCode)).toEqual(Array(20).fill('PAYMENT_DECLINED'));
    expect(results).toEqual(Array(20).fill(results[0]));

    const reservations = await reservationsOf(server.orm, roomType.id);
    expect(reservations.map((r) => r.status)).toEqual(['REJECTED']);
    expect((await chargesOf(server.orm, roomType.id)).map((c) => c.status)).toEqual(['declined']);
    expect(await moneyKept(server.orm, roomType.id)).toBe(0);
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([0, 0, 0, 0]);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });
});

describe('a key already used', () => {
  it('with other input answers IDEMPOTENCY_KEY_REUSED and writes nothing', async () => {
    const { roomType, from, to, input } = await stock();
    const first = await book(input);
    const [before] = await keyRows('guest-idem-1', 'reserve', input.idempotencyKey);
    const variants = [
      { rooms: 2 },
      { checkIn: addDays(from, 1), checkOut: addDays(from, 3) },
      { checkOut: addDays(from, 3) },
      { guest: { name: 'Grace Hopper', email: 'grace@example.com' } },
      { paymentToken: 'tok_declined' },
    ];
    for (const variant of variants) {
      const result = await server.client.request(RESERVE, { input: { ...input, ...variant } }, guest);
      expect(errorCode(result)).toBe('IDEMPOTENCY_KEY_REUSED');
    }
    expect((await reservationsOf(server.orm, roomType.id)).map((r) => r.id)).toEqual([first.id]);
    expect(await chargesOf(server.orm, roomType.id)).toHaveLength(1);
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([1, 1, 0, 0]);
    expect(await keyRows('guest-idem-1', 'reserve', input.idempotencyKey)).toEqual([before]);
  });

  it('by another principal is independent of it', async () => {
    const { hotel, roomType, input } = await stock();
    const mine = await book(input, guest);
    const theirs = await book(input, otherGuest);
    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.status).toBe('CONFIRMED');
    const reservations = await reservationsOf(server.orm, roomType.id);
    expect(reservations.map((r) => [r.id, r.principal])).toEqual([
      [mine.id, 'guest-idem-1'],
      [theirs.id, 'guest-idem-2'],
    ]);
    expect(await chargesOf(server.orm, roomType.id)).toHaveLength(2);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });

  it('replayed after completion returns the same reservation without a new charge', async () => {
    const { roomType, from, to, input } = await stock();
    const first = await book(input);
    const charged = await chargesOf(server.orm, roomType.id);
    const replay = await book(input);
    expect(replay).toEqual(first);
    expect(await chargesOf(server.orm, roomType.id)).toEqual(charged);
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([1, 1, 0, 0]);
  });

  it('that got SOLD_OUT answers SOLD_OUT again, even after rooms were added', async () => {
    const { roomType, from, to, input } = await stock(0);
    expect(errorCode(await server.client.request(RESERVE, { input }, guest))).toBe('SOLD_OUT');
    await server.client.ok(SET_INVENTORY, { input: { roomTypeId: roomType.id, from, to, total: 5 } }, admin);

    expect(errorCode(await server.client.request(RESERVE, { input }, guest))).toBe('SOLD_OUT');
    expect(await reservationsOf(server.orm, roomType.id)).toEqual([]);
    // The rooms are there: a new key books them.
    const fresh = await book({ ...input, idempotencyKey: `${input.idempotencyKey}-2` });
    expect(fresh.status).toBe('CONFIRMED');
  });
});

it('a duplicate of a request still running gets IDEMPOTENCY_KEY_IN_USE; the first one completes alone', async () => {
  const { hotel, roomType, input } = await stock();
  park = { reached: gate(), release: gate() };
  try {
    const first = parking.client.request(RESERVE, { input }, guest);
    await park.reached.opened; // the nights are held; the saga waits before charging

    const duplicate = await parking.client.request(RESERVE, { input }, guest);
    expect(errorCode(duplicate)).toBe('IDEMPOTENCY_KEY_IN_USE');
    expect(await chargesOf(server.orm, roomType.id)).toEqual([]);

    park.release.open();
    const done = await first;
    expect(errorCode(done)).toBeUndefined();
    const reservation = done.data!.reserve as ReservationData;
    expect(reservation.status).toBe('CONFIRMED');

    expect((await book(input)).id).toBe(reservation.id);
    expect((await reservationsOf(server.orm, roomType.id)).map((r) => r.id)).toEqual([reservation.id]);
    expect(await chargesOf(server.orm, roomType.id)).toHaveLength(1);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  } finally {
    park.release.open();
    park = undefined;
  }
});

it('keys of fewer than 8 or more than 255 characters are BAD_USER_INPUT', async () => {
  const { roomType, input } = await stock();
  const withKey = (key: string) => ({ ...input, idempotencyKey: key });
  for (const key of ['', 'x'.repeat(7), 'y'.repeat(256)]) {
    expect(errorCode(await server.client.request(RESERVE, { input: withKey(key) }, guest))).toBe('BAD_USER_INPUT');
  }
  // The bounds themselves are fine.
  const shortest = await book(withKey(randomUUID().slice(0, 8)));
  const longest = await book(withKey(`${input.idempotencyKey}-`.padEnd(255, 'z')));
  expect((await reservationsOf(server.orm, roomType.id)).map((r) => r.id)).toEqual([shortest.id, longest.id]);

  for (const key of ['x'.repeat(7), 'y'.repeat(256)]) {
    const cancel = await server.client.request(CANCEL, { input: { id: shortest.id, idempotencyKey: key } }, guest);
    expect(errorCode(cancel)).toBe('BAD_USER_INPUT');
  }
  expect((await reservationsOf(server.orm, roomType.id)).map((r) => r.status)).toEqual(['CONFIRMED', 'CONFIRMED']);
});

it('keys are kept at least 24 hours, and the sweeper purges only the expired ones', async () => {
  // Keys are purged by the unscoped sweep only, which must not touch what other files
  // keep on the shared database: a database of its own, and a clock the test moves.
  const isolated = await isolatedDatabase(server.orm);
  const clock = new ManualClock();
  const keeper = await startTestServer(
    { booking: { holdTtlMs: HOUR, paymentTimeoutMs: 5_000, sweepIntervalMs: 0 } },
    { orm: isolated.orm, booking: { clock } },
  );
  try {
    const { roomType, from } = await stockedRoomType(keeper.client, admin, { nights: 4 });
    const expiring = reserveInput(roomType.id, from, addDays(from, 1));
    const kept = reserveInput(roomType.id, addDays(from, 1), addDays(from, 2));
    await keeper.client.ok(RESERVE, { input: expiring }, guest);
    clock.advance(HOUR);
    await keeper.client.ok(RESERVE, { input: kept }, guest);
    const keysLeft = async () => {
      const rows = await Promise.all([expiring, kept].map((input) => keyRows('guest-idem-1', 'reserve', input.idempotencyKey, isolated.orm)));
      return rows.map((found) => found.length);
    };
    for (const { idempotencyKey } of [expiring, kept]) {
      const [row] = await keyRows('guest-idem-1', 'reserve', idempotencyKey, isolated.orm);
      expect(row.state).toBe('done');
      expect(Number(row.seconds)).toBeGreaterThanOrEqual(24 * 3600);
    }

    clock.advance(23 * HOUR); // 24 hours after the first key
    expect(await keeper.app.sweeper.runOnce()).toMatchObject({ purgedKeys: 0 });
    expect(await keysLeft()).toEqual([1, 1]);

    // Just past the first key's retention, an hour before the second one's.
    clock.advance(DEFAULT_BOOKING_SETTINGS.idempotency.retentionMs - 24 * HOUR + 1);
    expect(await keeper.app.sweeper.runOnce()).toMatchObject({ purgedKeys: 1 });
    expect(await keysLeft()).toEqual([0, 1]);
  } finally {
    await keeper.stop();
    await isolated.drop();
  }
});

describe('cancelReservation with a key', () => {
  it('twice answers the same; the key on another reservation is IDEMPOTENCY_KEY_REUSED', async () => {
    const { hotel, roomType, from, input } = await stock();
    const first = await book(input);
    const second = await book(reserveInput(roomType.id, addDays(from, 2), addDays(from, 4)));
    const cancel = { id: first.id, idempotencyKey: `cancel-${input.idempotencyKey}` };

    const once = await server.client.request(CANCEL, { input: cancel }, guest);
    expect(errorCode(once)).toBeUndefined();
    expect(once.data!.cancelReservation.status).toBe('REFUNDED');
    const twice = await server.client.request(CANCEL, { input: cancel }, guest);
    expect(twice).toEqual(once);

    const reused = await server.client.request(CANCEL, { input: { ...cancel, id: second.id } }, guest);
    expect(errorCode(reused)).toBe('IDEMPOTENCY_KEY_REUSED');
    const statuses = (await reservationsOf(server.orm, roomType.id)).map((r) => [r.id, r.status]);
    expect(statuses).toEqual([
      [first.id, 'REFUNDED'],
      [second.id, 'CONFIRMED'],
    ]);
    const charges = await chargesOf(server.orm, roomType.id);
    expect(charges.map((c) => [c.reservationId, c.refunded === c.amount])).toEqual([
      [first.id, true],
      [second.id, false],
    ]);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });
});

it('a replay answers as the first time did even once the check-in date has passed', async () => {
  // Pago Pago (UTC-11) today is always yesterday or earlier in Kiritimati (UTC+14).
  const { hotel, roomType } = await stockedRoomType(server.client, admin, {
    hotel: { timezone: 'Pacific/Pago_Pago' },
    startInDays: 0,
    nights: 2,
  });
  const today = todayIn('Pacific/Pago_Pago');
  const input = reserveInput(roomType.id, today, addDays(today, 1));
  const { reserve: first } = await server.client.ok<{ reserve: ReservationData }>(RESERVE, { input }, guest);

  await server.client.ok(UPDATE_HOTEL, { input: { id: hotel.id, version: hotel.version, timezone: 'Pacific/Kiritimati' } }, admin);
  const { reserve: replay } = await server.client.ok<{ reserve: ReservationData }>(RESERVE, { input }, guest);
  expect(replay).toEqual(first);
  const fresh = await server.client.request(RESERVE, { input: { ...input, idempotencyKey: `key-${randomUUID()}` } }, guest);
  expect(errorCode(fresh)).toBe('BAD_USER_INPUT');
  expect(await reservationsOf(server.orm, roomType.id)).toHaveLength(1);
});
