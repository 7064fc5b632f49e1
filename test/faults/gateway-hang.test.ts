import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditInvariants } from '../../src/services/booking/audit.js';
import { addDays } from '../../src/services/common/dates.js';
import { RESERVE, reserveInput, stockedRoomType, type ReservationData } from '../helpers/booking.js';
import { errorCode, type GraphQLResult } from '../helpers/graphql.js';
import { reservedCounts } from '../helpers/inventory.js';
import { isolatedDatabase, startTestServer, testConfig, type TestServer } from '../helpers/server.js';

/**
 * The fault suite: the payment gateway hangs (every charge of `tok_timeout` never
 * answers) while bookings run on two server instances. Each booking still answers
 * within the payment timeout (PENDING, holding its nights); the sweepers settle every
 * one at its deadline (no charge: EXPIRED, nights released); bookings with a working
 * token go on meanwhile; the invariants hold.
 */
const PAYMENT_TIMEOUT_MS = 300;
const HOLD_MS = 1_500;
/** On the shared database; it makes (and in the end drops) the database of its own the two instances run on. */
let admin0: TestServer;
let database: Awaited<ReturnType<typeof isolatedDatabase>>;
let servers: TestServer[] = [];
let admin: string;
let guest: string;

beforeAll(async () => {
  // A database of its own: these sweepers run every 100 ms and must not settle other files' holds.
  admin0 = await startTestServer({ booking: { ...testConfig().booking, sweepIntervalMs: 0 } });
  database = await isolatedDatabase(admin0.orm);
  const booking = { holdTtlMs: HOLD_MS, paymentTimeoutMs: PAYMENT_TIMEOUT_MS, sweepIntervalMs: 100 };
  servers = [await startTestServer({ booking }, { orm: database.orm }), await startTestServer({ booking }, { orm: database.orm })];
  admin = await servers[0].token({ sub: 'admin-gateway-hang', role: 'admin' });
  guest = await servers[0].token({ sub: 'guest-gateway-hang', role: 'guest' });
});

afterAll(async () => {
  for (const server of servers) await server.app.stop();
  await database.orm.close();
  await database.drop();
  await admin0.stop();
});

describe('a payment gateway that hangs', () => {
  it('answers PENDING within the payment timeout, settles each hold at its deadline, and keeps every invariant', async () => {
    const { hotel, roomType, from, to } = await stockedRoomType(servers[0].client, admin, { total: 100, nights: 10 });
    const book = (i: number, paymentToken: string) => {
      const checkIn = addDays(from, i % 8);
      const started = Date.now();
      return servers[i % 2].client
        .request<{ reserve: ReservationData }>(RESERVE, { input: reserveInput(roomType.id, checkIn, addDays(checkIn, 2), { paymentToken }) }, guest)
        .then((answer) => ({ answer, ms: Date.now() - started }));
    };
    const hanging = await Promise.all(Array.from({ length: 16 }, (_, i) => book(i, 'tok_timeout')));
    const working = await Promise.all(Array.from({ length: 8 }, (_, i) => book(i, 'tok_ok')));

    for (const { answer, ms } of hanging) {
      expect(errorCode(answer as GraphQLResult)).toBeUndefined();
      expect(answer.data!.reserve.status).toBe('PENDING');
      // The gateway's timeout, plus the saga's own steps: never a hang.
      expect(ms).toBeLessThan(PAYMENT_TIMEOUT_MS + 2_000);
    }
    expect(working.map(({ answer }) => answer.data?.reserve.status)).toEqual(Array(8).fill('CONFIRMED'));

    // The sweepers of both instances settle every PENDING hold once its deadline has passed.
    const pending = async () =>
      (
        await database.orm.em
          .fork()
          .getConnection()
          .execute<{ n: number }[]>(`select count(*)::int as n from reservation where hotel_id = ? and status = 'PENDING'`, [hotel.id])
      )[0].n;
    const deadline = Date.now() + HOLD_MS + 10_000;
    while ((await pending()) > 0) {
      if (Date.now() > deadline) throw new Error('PENDING holds were not settled');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const statuses = await database.orm.em
      .fork()
      .getConnection()
      .execute<{ status: string; n: number }[]>(`select status, count(*)::int as n from reservation where hotel_id = ? group by status order by status`, [hotel.id]);
    expect(statuses).toEqual([
      { status: 'CONFIRMED', n: 8 },
      { status: 'EXPIRED', n: 16 },
    ]);
    // Only the working bookings hold nights: 8 stays of 2 nights over 8 start dates.
    expect((await reservedCounts(servers[0].client, roomType.id, from, to)).reduce((a, b) => a + b, 0)).toBe(16);
    const reports = await auditInvariants(database.orm.em.fork(), { hotelIds: [hotel.id], staleBefore: new Date(Date.now() - 200) });
    expect(reports.flatMap((r) => r.violations)).toEqual([]);
  }, 60_000);
});
