import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Orm } from '../../src/infra/database.js';
import { addDays } from '../../src/services/common/dates.js';
import { CANCEL, RESERVE, reserveInput, SET_INVENTORY, stockedRoomType } from '../helpers/booking.js';
import { connect, until, watch, type Change } from '../helpers/live.js';
import { isolatedDatabase, openTestDatabase, startTestServer, testConfig, type TestServer } from '../helpers/server.js';

/**
 * The outbox relay publishes what its own server committed at once (`OutboxRelay.nudge`),
 * not at its next poll. The poll is set a minute apart, on a database of this test's own
 * (no other server's relay publishes its rows): each change below must reach a
 * subscriber within seconds, which only the nudge can do.
 */
let main: Orm;
let database: Awaited<ReturnType<typeof isolatedDatabase>>;
let server: TestServer;
let client: ReturnType<typeof connect>;

beforeAll(async () => {
  main = await openTestDatabase(testConfig(), 2);
  database = await isolatedDatabase(main);
  server = await startTestServer(
    { relayIntervalMs: 60_000, booking: { holdTtlMs: 30_000, paymentTimeoutMs: 500, sweepIntervalMs: 0 } },
    { orm: database.orm },
  );
  client = connect(server.app);
});

afterAll(async () => {
  await client.dispose();
  await server.app.stop();
  await database.orm.close();
  await database.drop();
  await main.close();
});

it('publishes a reservation, its cancellation and an inventory change as soon as they commit', async () => {
  const started = Date.now();
  const admin = await server.token({ sub: 'admin-nudge', role: 'admin' });
  const guest = await server.token({ sub: 'guest-nudge', role: 'guest' });
  const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 4, nights: 1 });
  const watcher = await watch(server.app, client, { hotelId: hotel.id });
  const arrives = (what: string, seen: (c: Change) => boolean) =>
    until(() => watcher.changes.some(seen), 5_000, what);

  const { reserve } = await server.client.ok(RESERVE, { input: reserveInput(roomType.id, from, addDays(from, 1)) }, guest);
  await arrives('the reservation', (c) => c.days[0].reserved === 1);
  await server.client.ok(CANCEL, { input: { id: reserve.id, idempotencyKey: `cancel-${reserve.id}` } }, guest);
  const reserved = watcher.changes.findIndex((c) => c.days[0].reserved === 1);
  await arrives('the cancellation', (c) => c.days[0].reserved === 0 && watcher.changes.indexOf(c) > reserved);
  await server.client.ok(SET_INVENTORY, { input: { roomTypeId: roomType.id, from, to: addDays(from, 1), total: 7 } }, admin);
  await arrives('the inventory change', (c) => c.days[0].total === 7);

  expect(watcher.errors).toEqual([]);
  // All of it well inside one poll of the relay.
  expect(Date.now() - started).toBeLessThan(60_000);
});
