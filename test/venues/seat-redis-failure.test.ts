import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { auditVenueInvariants } from '../../src/services/venues/audit.js';
import { errorCode, type GraphQLResult } from '../helpers/graphql.js';
import {
  CHECKOUT,
  HOLD,
  HOLD_SEATS,
  SEAT_STATES,
  checkoutInput,
  holdSeats,
  isolatedHoldEngine,
  seatStates,
  type BookingData,
  type HoldData,
} from '../helpers/holds.js';
import { until } from '../helpers/live.js';
import { freePort, RedisProcess, redisServerInstalled } from '../helpers/redis-process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createChart, createPerformance, createVenue, seatedPerformance } from '../helpers/venues.js';

/**
 * Redis keeps nothing on disk and may lose everything (VENUES.md, "Holds live in Redis,
 * bookings in PostgreSQL"). A server on a redis-server of this test's own takes a storm of
 * holds and checkouts; the test kills Redis in the middle of it and starts it again,
 * empty. Clients get BUSY meanwhile, never an internal error; afterwards the performance
 * is rebuilt from PostgreSQL on its next use: what was sold is SOLD again, holds are gone,
 * and the engine agrees with PostgreSQL (invariant 7).
 */
const restartable = redisServerInstalled() ? describe : describe.skip;

const ROWS = 20;
const SEATS_PER_ROW = 50;
const SEATS = ROWS * SEATS_PER_ROW;
const seatOf = (n: number) => `ORCH-R${Math.floor(n / SEATS_PER_ROW) + 1}-${(n % SEATS_PER_ROW) + 1}`;
const random = (n: number) => Math.floor(Math.random() * n);

interface Answer {
  operation: 'hold' | 'checkout';
  status: number;
  code: string;
}

restartable('a seat storm while Redis dies and comes back empty', () => {
  let redis: RedisProcess;
  let server: TestServer;
  let admin: string;
  const run = randomUUID().slice(0, 8);

  beforeAll(async () => {
    redis = new RedisProcess(await freePort());
    await redis.start();
    server = await startTestServer({ redisUrl: redis.url, booking: { holdTtlMs: 60_000, paymentTimeoutMs: 5_000, sweepIntervalMs: 0 } });
    admin = await server.token({ sub: `admin-seat-rf-${run}`, role: 'admin' });
  });

  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('answers BUSY while Redis is gone, then rebuilds the performance from PostgreSQL: sold seats SOLD, holds gone, no drift', async () => {
    const venue = await createVenue(server.client, admin);
    const chart = await createChart(server.client, admin, venue.id, [{ key: 'ORCH', category: 'A', rows: ROWS, seatsPerRow: SEATS_PER_ROW }]);
    const performanceId = (await createPerformance(server.client, admin, venue.id, chart.id, { prices: [{ category: 'A', amount: '50.00' }] })).id;
    const guest = (name: string) => server.token({ sub: `guest-seat-rf-${run}-${name}`, role: 'guest' });

    const answers: Answer[] = [];
    const call = async <T extends Record<string, unknown>>(operation: Answer['operation'], query: string, input: Record<string, unknown>, token: string) => {
      const result: GraphQLResult<T> = await server.client.request<T>(query, { input }, token);
      answers.push({ operation, status: result.status, code: errorCode(result) ?? (result.data ? 'ok' : `http ${result.status}`) });
      return result;
    };

    // Holds whose holders wait until after the restart to check out: seats 0-39, two each.
    const waiting: { token: string; hold: HoldData }[] = [];
    for (let i = 0; i < 20; i++) {
      const token = await guest(`waiting-${i}`);
      const result = await call<{ holdSeats: HoldData }>('hold', HOLD_SEATS, { performanceId, seatIds: [seatOf(2 * i), seatOf(2 * i + 1)] }, token);
      waiting.push({ token, hold: result.data!.holdSeats });
    }

    // The storm: 200 guests, each holding 2 random seats (of seats 40 on) and checking them
    // out, trying new seats on SOLD_OUT; Redis is killed once 40 checkouts have confirmed.
    let confirmed = 0;
    const unfinished: { token: string; hold: HoldData }[] = [];
    const flow = async (i: number) => {
      const token = await guest(`storm-${i}`);
      for (let attempt = 0; attempt < 4; attempt++) {
        const first = 40 + random(SEATS - 40);
        const second = 40 + ((first - 40 + 1 + random(SEATS - 41)) % (SEATS - 40));
        const held = await call<{ holdSeats: HoldData }>('hold', HOLD_SEATS, { performanceId, seatIds: [seatOf(first), seatOf(second)] }, token);
        if (errorCode(held) === 'SOLD_OUT') continue;
        if (!held.data) return;
        const hold = held.data.holdSeats;
        const booked = await call<{ checkout: BookingData }>('checkout', CHECKOUT, checkoutInput(hold.token), token);
        if (booked.data?.checkout.status === 'CONFIRMED') confirmed++;
        else unfinished.push({ token, hold });
        return;
      }
    };
    const storm = Promise.all(Array.from({ length: 200 }, (_, i) => flow(i)));
    await until(() => confirmed >= 40, 30_000, '40 checkouts before the kill');
    const answeredBeforeKill = answers.length;
    await redis.stop();
    await storm;

    // Nothing the clients saw was an internal error: refusals, BUSY, or success.
    const seen = new Set(answers.map((a) => `${a.operation} ${a.status} ${a.code}`));
    for (const answer of seen) expect(answer).toMatch(/^(hold 200 (ok|SOLD_OUT|BUSY)|checkout 200 (ok|BUSY|HOLD_EXPIRED))$/);
    expect(answers.slice(answeredBeforeKill).some((a) => a.code === 'BUSY')).toBe(true);
    expect(server.logs.filter((r) => r.msg === 'unexpected error in GraphQL operation')).toEqual([]);

    // What PostgreSQL records, which the engine must be rebuilt from: no seat in two live bookings.
    const db = server.orm.em.fork().getConnection();
    const soldTwice = await db.execute(
      `select seat_id, count(*)::int as n from booking_item where offering_id = ? and live group by seat_id having count(*) > 1`,
      [performanceId],
    );
    expect(soldTwice).toEqual([]);
    const confirmedSeats = async () =>
      (
        await db.execute<{ seat_id: string }[]>(
          `select i.seat_id from booking_item i join booking b on b.id = i.booking_id
            where b.offering_id = ? and b.status = 'CONFIRMED' and i.live order by i.seat_id`,
          [performanceId],
        )
      ).map((r) => r.seat_id);
    const sold = await confirmedSeats();
    expect(sold.length).toBeGreaterThanOrEqual(80);
    const soldMap = (map: SeatMapData) => map.seats.filter((s) => s.status === 'SOLD').map((s) => s.seatId).sort();

    const logsAtRestart = server.logs.length;
    await redis.start();
    const probe = new Redis(redis.url);
    try {
      expect(await probe.exists(`{perf:${performanceId}}:loaded`)).toBe(0);
      // The next operation on the performance (once the server's client is back) rebuilds it.
      let first: GraphQLResult<{ performance: SeatMapData }> | undefined;
      await untilAsync(async () => {
        first = await server.client.request<{ performance: SeatMapData }>(SEAT_STATES, { id: performanceId });
        return errorCode(first) !== 'BUSY';
      }, 'the seat map to answer again');
      expect(first!.errors).toBeUndefined();
      expect(await probe.exists(`{perf:${performanceId}}:loaded`)).toBe(1);
      const rebuilt = server.logs.slice(logsAtRestart).filter((r) => r.msg === 'rebuilt hold-engine state from PostgreSQL' && r.offeringId === performanceId);
      expect(rebuilt).toMatchObject([{ sold: sold.length, pending: 0, blocked: 0 }]);
      // Every seat of a CONFIRMED booking is SOLD again, those confirmed while Redis was down too.
      expect(soldMap(first!.data!.performance)).toEqual([...sold].sort());
    } finally {
      probe.disconnect();
    }

    // Bookings the storm left PENDING (none is expected with tok_ok) are settled, and the
    // follow-ups that failed while Redis was down are finished (the sweeper's resync).
    await server.app.sweeper.runOnce(new Date(Date.now() + 10 * 60_000), { venueIds: [venue.id] });
    expect(await db.execute(`select id from booking where offering_id = ? and status = 'PENDING'`, [performanceId])).toEqual([]);
    expect(await confirmedSeats()).toEqual(sold);

    const after = (await server.client.ok<{ performance: SeatMapData }>(SEAT_STATES, { id: performanceId })).performance;
    const statusOf = new Map(after.seats.map((s) => [s.seatId, s.status]));
    // Nothing else is taken: the holds are gone.
    expect(soldMap(after)).toEqual([...sold].sort());
    expect(after.seats.filter((s) => s.status === 'HELD')).toEqual([]);
    expect(after.sections).toEqual([{ key: 'ORCH', capacity: SEATS, held: 0, sold: sold.length, blocked: 0, available: SEATS - sold.length }]);

    // Holds made before the restart are gone: their holders get HOLD_EXPIRED at checkout, and their seats are free.
    for (const { token, hold } of [...waiting, ...unfinished]) {
      expect((await server.client.ok<{ hold: HoldData | null }>(HOLD, { token: hold.token }, token)).hold).toBeNull();
      expect(errorCode(await server.client.request(CHECKOUT, { input: checkoutInput(hold.token) }, token))).toBe('HOLD_EXPIRED');
    }
    for (const { hold } of waiting) for (const item of hold.items) expect(statusOf.get(item.seatId)).toBe('FREE');

    // The rebuilt engine sells on: a free seat can be bought, a sold one cannot be held.
    const late = await guest('late');
    const refused = await server.client.request(HOLD_SEATS, { input: { performanceId, seatIds: [sold[0]] } }, late);
    expect(errorCode(refused)).toBe('SOLD_OUT');
    const free = after.seats.find((s) => s.status === 'FREE')!.seatId;
    const lateHold = (await server.client.ok<{ holdSeats: HoldData }>(HOLD_SEATS, { input: { performanceId, seatIds: [free] } }, late)).holdSeats;
    const lateBooking = (await server.client.ok<{ checkout: BookingData }>(CHECKOUT, { input: checkoutInput(lateHold.token) }, late)).checkout;
    expect(lateBooking.status).toBe('CONFIRMED');

    const reports = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: [performanceId] });
    expect(reports.flatMap((r) => r.violations)).toEqual([]);
    expect(server.logs.filter((r) => r.msg === 'unexpected error in GraphQL operation')).toEqual([]);
  });
});

describe('the hold engine losing its state inside a checkout', () => {
  /**
   * Checkout records the PENDING booking, then moves the seats in the engine. If the
   * engine loses its state between the two, the move rebuilds it from PostgreSQL, which
   * by then has this booking's seats as pending, and finds the token gone. The attempt
   * answers HOLD_EXPIRED and must not leave those seats pending for a booking it drops.
   */
  const holds = isolatedHoldEngine();
  let loseState = false;
  let server: TestServer;

  beforeAll(async () => {
    const { engine } = holds;
    const losing = new Proxy(engine, {
      get(target, property, receiver) {
        if (property !== 'beginCheckout') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<typeof engine.beginCheckout>) => {
          if (loseState) {
            loseState = false;
            await target.drop(args[0]);
          }
          return target.beginCheckout(...args);
        };
      },
    });
    server = await startTestServer({ booking: { holdTtlMs: 60_000, paymentTimeoutMs: 5_000, sweepIntervalMs: 0 } }, { venues: { engine: losing } });
  });

  afterAll(async () => {
    await server.stop();
    await holds.close();
  });

  it('answers HOLD_EXPIRED, leaves no booking, and frees the seats the rebuild gave it', async () => {
    const run = randomUUID().slice(0, 8);
    const admin = await server.token({ sub: `admin-lost-${run}`, role: 'admin' });
    const guest = await server.token({ sub: `guest-lost-${run}`, role: 'guest' });
    const { performance } = await seatedPerformance(server.client, admin);
    const hold = await holdSeats(server.client, guest, performance.id, ['BAL-R1-1', 'BAL-R1-2']);
    loseState = true;
    expect(errorCode(await server.client.request(CHECKOUT, { input: checkoutInput(hold.token) }, guest))).toBe('HOLD_EXPIRED');
    expect(loseState).toBe(false);

    const states = await seatStates(server.client, performance.id);
    expect([states.get('BAL-R1-1'), states.get('BAL-R1-2')]).toEqual(['FREE', 'FREE']);
    const bookings = await server.orm.em.fork().getConnection().execute(`select id from booking where offering_id = ?`, [performance.id]);
    expect(bookings).toEqual([]);
    const reports = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: [performance.id] });
    expect(reports.flatMap((r) => r.violations)).toEqual([]);
  });
});

interface SeatMapData {
  sections: { key: string; capacity: number; held: number; sold: number; blocked: number; available: number }[];
  seats: { seatId: string; status: string }[];
}

/** Polls an async condition every 100 ms; throws after 15 s. */
async function untilAsync(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
