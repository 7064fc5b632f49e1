import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { DEFAULT_BOOKING_SETTINGS } from '../../src/services/booking/booking.deps.js';
import { claimAndHold, type StayRequest } from '../../src/services/booking/hold.js';
import { IdempotencyKeys, requestHash } from '../../src/services/booking/idempotency.js';
import { systemClock } from '../../src/services/common/clock.js';
import { addDays } from '../../src/services/common/dates.js';
import { query, sql } from '../../src/services/common/sql.js';
import { validateStayShape } from '../../src/services/stays/stay.validation.js';
import { RESERVE, reserveInput, stockedRoomType } from '../helpers/booking.js';
import { errorCode } from '../helpers/graphql.js';
import { gate } from '../helpers/saga.js';
import { reservedCounts } from '../helpers/inventory.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * For a new idempotency key the hold statement claims the key too (one commit fewer per
 * booking): running and linked to the reservation it holds, or done with SOLD_OUT when
 * it refuses the stay; and nothing at all, the stay included, when the key exists or the
 * stay is not one it may hold (the saga then claims and holds step by step).
 */

let server: TestServer;
let slowPay: TestServer;
let admin: string;
let guest: string;
const keys = () => new IdempotencyKeys(server.orm.em.fork(), DEFAULT_BOOKING_SETTINGS.idempotency, systemClock);

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: 600_000, paymentTimeoutMs: 5_000, sweepIntervalMs: 0 } });
  // A gateway that does not answer within 1.5 s, and duplicates that wait 300 ms for the first request.
  slowPay = await startTestServer(
    {
      booking: { holdTtlMs: 600_000, paymentTimeoutMs: 1_500, sweepIntervalMs: 0 },
    },
    { orm: server.orm, booking: { settings: { idempotency: { ...DEFAULT_BOOKING_SETTINGS.idempotency, waitMs: 300 } } } },
  );
  admin = await server.token({ sub: 'admin-claim-hold', role: 'admin' });
  guest = await server.token({ sub: `guest-claim-hold-${randomUUID()}`, role: 'guest' });
});

afterAll(async () => {
  await slowPay.app.stop();
  await server.stop();
});

function stayRequest(roomTypeId: string, checkIn: string, nights: number, rooms = 1): StayRequest {
  const now = new Date();
  return {
    roomTypeId,
    stay: validateStayShape({ checkIn, checkOut: addDays(checkIn, nights), rooms }),
    principal: 'claim-hold-principal',
    guest: { name: 'Ada Lovelace', email: 'ada@example.com' },
    now,
    holdExpiresAt: new Date(now.getTime() + 600_000),
  };
}

const keyRow = async (key: string) =>
  query(
    server.orm.em.fork(),
    'test.keyRow',
    sql`select state, claim_id, reservation_id, error_code, error_message from idempotency_key
         where principal = 'claim-hold-principal' and operation = 'reserve' and key = ${key}`,
    z.object({
      state: z.string(),
      claim_id: z.string().nullable(),
      reservation_id: z.string().nullable(),
      error_code: z.string().nullable(),
      error_message: z.string().nullable(),
    }),
  );

const reservationsOf = (roomTypeId: string) =>
  query(server.orm.em.fork(), 'test.reservations', sql`select id, status from reservation where room_type_id = ${roomTypeId}::uuid`, z.object({ id: z.string(), status: z.string() }));

describe('claimAndHold', () => {
  it('claims a new key as running, linked to the reservation it holds, in the same statement', async () => {
    const { roomType, from } = await stockedRoomType(server.client, admin, { total: 3, nights: 4 });
    const request = stayRequest(roomType.id, from, 2);
    const claim = keys().newClaim({ principal: request.principal, operation: 'reserve', key: `k-${randomUUID()}` }, requestHash({ a: 1 }));
    const reservation = await claimAndHold(server.orm.em.fork(), request, claim);
    expect(reservation).toMatchObject({ status: 'PENDING', totalMinor: 20_000 });
    expect(await keyRow(claim.scope.key)).toEqual([
      { state: 'running', claim_id: claim.scope.claim, reservation_id: reservation!.id, error_code: null, error_message: null },
    ]);
    expect(await reservedCounts(server.client, roomType.id, from, addDays(from, 3))).toEqual([1, 1, 0]);
  });

  it('claims it as done with SOLD_OUT, and holds nothing, when a night has no room', async () => {
    const { roomType, from } = await stockedRoomType(server.client, admin, { total: 1, nights: 4 });
    const taken = stayRequest(roomType.id, addDays(from, 1), 1);
    await claimAndHold(server.orm.em.fork(), taken, keys().newClaim({ principal: taken.principal, operation: 'reserve', key: `k-${randomUUID()}` }, 'h'));
    const request = stayRequest(roomType.id, from, 3);
    const claim = keys().newClaim({ principal: request.principal, operation: 'reserve', key: `k-${randomUUID()}` }, 'h');
    await expect(claimAndHold(server.orm.em.fork(), request, claim)).rejects.toMatchObject({
      code: 'SOLD_OUT',
      message: `Not enough rooms left on ${addDays(from, 1)}`,
    });
    expect(await keyRow(claim.scope.key)).toEqual([
      {
        state: 'done',
        claim_id: claim.scope.claim,
        reservation_id: null,
        error_code: 'SOLD_OUT',
        error_message: `Not enough rooms left on ${addDays(from, 1)}`,
      },
    ]);
    expect(await reservedCounts(server.client, roomType.id, from, addDays(from, 3))).toEqual([0, 1, 0]);
  });

  it('changes nothing, the stay included, when the key was claimed before', async () => {
    const { roomType, from } = await stockedRoomType(server.client, admin, { total: 3, nights: 4 });
    const request = stayRequest(roomType.id, from, 2);
    const key = `k-${randomUUID()}`;
    const first = keys().newClaim({ principal: request.principal, operation: 'reserve', key }, 'h');
    const held = await claimAndHold(server.orm.em.fork(), request, first);
    const again = keys().newClaim({ principal: request.principal, operation: 'reserve', key }, 'h');
    expect(await claimAndHold(server.orm.em.fork(), stayRequest(roomType.id, from, 2), again)).toBeUndefined();
    expect(await keyRow(key)).toEqual([expect.objectContaining({ state: 'running', claim_id: first.scope.claim, reservation_id: held!.id })]);
    expect((await reservationsOf(roomType.id)).map((r) => r.id)).toEqual([held!.id]);
    expect(await reservedCounts(server.client, roomType.id, from, addDays(from, 3))).toEqual([1, 1, 0]);
  });

  it('changes nothing for a stay in the past or a room type that does not exist', async () => {
    const { roomType, from } = await stockedRoomType(server.client, admin, { total: 3, nights: 4 });
    const past = stayRequest(roomType.id, addDays(from, -3), 2);
    const pastClaim = keys().newClaim({ principal: past.principal, operation: 'reserve', key: `k-${randomUUID()}` }, 'h');
    expect(await claimAndHold(server.orm.em.fork(), past, pastClaim)).toBeUndefined();
    const missing = stayRequest(randomUUID(), from, 2);
    const missingClaim = keys().newClaim({ principal: missing.principal, operation: 'reserve', key: `k-${randomUUID()}` }, 'h');
    expect(await claimAndHold(server.orm.em.fork(), missing, missingClaim)).toBeUndefined();
    expect(await keyRow(pastClaim.scope.key)).toEqual([]);
    expect(await keyRow(missingClaim.scope.key)).toEqual([]);
    expect(await reservationsOf(roomType.id)).toEqual([]);
  });
});

it('a duplicate that arrives while the first request is paying gets IDEMPOTENCY_KEY_IN_USE, then the replay', async () => {
  const { roomType, from } = await stockedRoomType(slowPay.client, admin, { total: 3, nights: 4 });
  // tok_timeout: the gateway does not answer, so the first request waits out its 1.5 s payment deadline.
  const input = reserveInput(roomType.id, from, addDays(from, 2), { paymentToken: 'tok_timeout' });
  const held = gate();
  const first = slowPay.client.request(RESERVE, { input }, guest).finally(() => held.open());
  // Until the hold is there, the duplicate could come first: wait for the reservation.
  for (let i = 0; (await reservationsOf(roomType.id)).length === 0; i++) {
    if (i > 500) throw new Error('the first request never held the stay');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const duplicate = await slowPay.client.request(RESERVE, { input }, guest);
  expect(errorCode(duplicate)).toBe('IDEMPOTENCY_KEY_IN_USE');
  const answer = await first;
  expect(errorCode(answer)).toBeUndefined();
  expect(answer.data!.reserve).toMatchObject({ status: 'PENDING' });
  const replay = await slowPay.client.request(RESERVE, { input }, guest);
  expect(replay.data).toEqual(answer.data);
  expect((await reservationsOf(roomType.id)).length).toBe(1);
});
