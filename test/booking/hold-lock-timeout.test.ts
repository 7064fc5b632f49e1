import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addDays } from '../../src/services/common/dates.js';
import { touchInventory } from '../../src/services/stays/stays.store.js';
import { invariantViolations, RESERVE, reserveInput, reserveOk, SET_RATES, stockedRoomType } from '../helpers/booking.js';
import { errorCode } from '../helpers/graphql.js';
import { amounts, readInventory, reservedCounts } from '../helpers/inventory.js';
import type { Orm } from '../../src/infra/database.js';
import { isolatedDatabase, openTestDatabase, startTestServer, testConfig, type TestServer } from '../helpers/server.js';

/**
 * The hold waits for its nights' row locks as long as PostgreSQL lets it; an operator
 * bounds the wait with `lock_timeout` (README, "Operations"). A hold that times out is
 * retried with jitter, then answered BUSY, which the idempotency key does not remember;
 * any other statement that times out on a lock is answered BUSY too. Row locks need
 * concurrent connections: PostgreSQL only.
 */
const describeOnPostgres = process.env.DATABASE_URL ? describe : describe.skip;

describeOnPostgres('a hold that cannot get its nights within lock_timeout', () => {
  let main: Orm;
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let server: TestServer;
  let admin: string;
  let guest: string;

  beforeAll(async () => {
    main = await openTestDatabase(testConfig(), 2);
    database = await isolatedDatabase(main, { lock_timeout: '100ms' });
    server = await startTestServer(
      { booking: { holdTtlMs: 600_000, paymentTimeoutMs: 5_000, sweepIntervalMs: 0 } },
      { orm: database.orm, booking: { settings: { maxAttempts: 3 } } },
    );
    admin = await server.token({ sub: 'admin-lock-timeout', role: 'admin' });
    guest = await server.token({ sub: `guest-lock-timeout-${randomUUID()}`, role: 'guest' });
  });

  const amountsOf = async (roomTypeId: string, from: string, to: string) =>
    amounts(await readInventory(server.client, roomTypeId, from, to), 'baseRate');

  afterAll(async () => {
    await server.stop();
    await database.drop();
    await main.close();
  });

  it('answers BUSY after its attempts, holds nothing, and the same key books once the nights are free', async () => {
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 5, nights: 2 });
    const to = addDays(from, 2);
    const input = reserveInput(roomType.id, from, to);
    // Staff repricing the nights holds their locks (as setRates does) for longer than the timeout.
    await server.orm.em.fork().transactional(async (tx) => {
      await touchInventory(tx, { roomTypeId: roomType.id, from, to });
      const refused = await server.client.request(RESERVE, { input }, guest);
      expect(errorCode(refused)).toBe('BUSY');
    });
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([0, 0]);

    const booked = await reserveOk(server.client, guest, input);
    expect(booked.status).toBe('CONFIRMED');
    expect(await reservedCounts(server.client, roomType.id, from, to)).toEqual([1, 1]);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });

  it('answers a staff change that cannot get the nights in time BUSY, and it applies once they are free', async () => {
    const { roomType, from } = await stockedRoomType(server.client, admin, { total: 5, nights: 2 });
    const to = addDays(from, 2);
    const input = { roomTypeId: roomType.id, from, to, amount: '120.00' };
    await server.orm.em.fork().transactional(async (tx) => {
      await touchInventory(tx, { roomTypeId: roomType.id, from, to });
      const refused = await server.client.request(SET_RATES, { input }, admin);
      expect(errorCode(refused)).toBe('BUSY');
      expect(refused.errors![0].extensions).toMatchObject({ retryAfterSeconds: 1 });
    });
    expect(await amountsOf(roomType.id, from, to)).toEqual(['100.00', '100.00']);
    await server.client.ok(SET_RATES, { input }, admin);
    expect(await amountsOf(roomType.id, from, to)).toEqual(['120.00', '120.00']);
  });
});
