import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { errorCode } from '../helpers/graphql.js';
import {
  CHECKOUT,
  EXTEND_HOLD,
  HOLD,
  HOLD_BEST,
  HOLD_SEATS,
  RELEASE_HOLD,
  SEATS_CHANGED,
  checkoutInput,
  holdSeats,
  isolatedHoldEngine,
  seatStates,
  type HoldData,
} from '../helpers/holds.js';
import { ManualClock } from '../helpers/clock.js';
import { connect, until } from '../helpers/live.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createPerformance, seatedPerformance, UPDATE_PERFORMANCE, type PerformanceData } from '../helpers/venues.js';

/** Holds through the API: all or none, owned by the token's principal, extended up to 120 minutes, released, expired. */
let server: TestServer;
const clock = new ManualClock();
const holds = isolatedHoldEngine();
let admin: string;
let ann: string;
let bob: string;

beforeAll(async () => {
  server = await startTestServer({ holdReapIntervalMs: 20 }, { booking: { clock }, venues: { engine: holds.engine } });
  admin = await server.token({ sub: 'admin-holds', role: 'admin' });
  ann = await server.token({ sub: 'guest-ann', role: 'guest' });
  bob = await server.token({ sub: 'guest-bob', role: 'guest' });
});

afterAll(async () => {
  await server.stop();
  await holds.close();
});

const fresh = async (): Promise<PerformanceData> => (await seatedPerformance(server.client, admin)).performance;

describe('holdSeats', () => {
  it('holds all the seats or none, naming the ones that were not free', async () => {
    const performance = await fresh();
    const first = await holdSeats(server.client, ann, performance.id, ['ORCH-R1-1', 'ORCH-R1-2']);
    expect(first.items.map((i) => i.seatId)).toEqual(['ORCH-R1-1', 'ORCH-R1-2']);
    expect(first.total).toEqual({ amount: '160.00', currency: 'EUR' });

    const clash = await server.client.request(HOLD_SEATS, { input: { performanceId: performance.id, seatIds: ['ORCH-R1-2', 'ORCH-R1-3'] } }, bob);
    expect(errorCode(clash)).toBe('SOLD_OUT');
    expect(clash.errors![0].extensions!.unavailableSeatIds).toEqual(['ORCH-R1-2']);
    const states = await seatStates(server.client, performance.id);
    expect(states.get('ORCH-R1-2')).toBe('HELD');
    expect(states.get('ORCH-R1-3')).toBe('FREE');
  });

  it('adds to a hold with its token, up to maxSeatsPerHold, and keeps the price a seat was held at', async () => {
    const { venue, chart } = await seatedPerformance(server.client, admin);
    const performance = await createPerformance(server.client, admin, venue.id, chart.id, { maxSeatsPerHold: 3 });
    const hold = await holdSeats(server.client, ann, performance.id, ['BAL-R1-1']);
    await server.client.ok(UPDATE_PERFORMANCE, {
      input: { id: performance.id, version: performance.version, prices: [{ category: 'A', amount: '80.00' }, { category: 'B', amount: '99.00' }] },
    }, admin);
    const added = await server.client.ok<{ holdSeats: HoldData }>(
      HOLD_SEATS,
      { input: { performanceId: performance.id, seatIds: ['BAL-R1-2'], holdToken: hold.token } },
      ann,
    );
    expect(added.holdSeats.token).toBe(hold.token);
    expect(added.holdSeats.items.map((i) => [i.seatId, i.price.amount])).toEqual([['BAL-R1-1', '45.50'], ['BAL-R1-2', '99.00']]);
    const tooMany = await server.client.request(
      HOLD_SEATS,
      { input: { performanceId: performance.id, seatIds: ['BAL-R1-3', 'BAL-R1-4'], holdToken: hold.token } },
      ann,
    );
    expect(errorCode(tooMany)).toBe('BAD_USER_INPUT');
    // Someone else's token is as good as none.
    const foreign = await server.client.request(
      HOLD_SEATS,
      { input: { performanceId: performance.id, seatIds: ['BAL-R1-5'], holdToken: hold.token } },
      bob,
    );
    expect(errorCode(foreign)).toBe('HOLD_EXPIRED');
  });

  it('refuses unknown seats, closed performances and anonymous callers', async () => {
    const performance = await fresh();
    const unknown = await server.client.request(HOLD_SEATS, { input: { performanceId: performance.id, seatIds: ['ORCH-R9-1'] } }, ann);
    expect(errorCode(unknown)).toBe('BAD_USER_INPUT');
    const anonymous = await server.client.request(HOLD_SEATS, { input: { performanceId: performance.id, seatIds: ['ORCH-R1-1'] } });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
    await server.client.ok(UPDATE_PERFORMANCE, { input: { id: performance.id, version: performance.version, status: 'CLOSED' } }, admin);
    const closed = await server.client.request(HOLD_SEATS, { input: { performanceId: performance.id, seatIds: ['ORCH-R1-1'] } }, ann);
    expect(errorCode(closed)).toBe('INVALID_STATE');
  });
});

describe('the hold', () => {
  it("is the holder's alone: others read null and get HOLD_EXPIRED", async () => {
    const performance = await fresh();
    const hold = await holdSeats(server.client, ann, performance.id, ['ORCH-R2-5']);
    expect((await server.client.ok(HOLD, { token: hold.token }, ann)).hold.token).toBe(hold.token);
    expect((await server.client.ok(HOLD, { token: hold.token }, bob)).hold).toBeNull();
    expect(errorCode(await server.client.request(EXTEND_HOLD, { token: hold.token, minutes: 5 }, bob))).toBe('HOLD_EXPIRED');
    expect(errorCode(await server.client.request(RELEASE_HOLD, { token: hold.token }, bob))).toBe('HOLD_EXPIRED');
    expect(errorCode(await server.client.request(CHECKOUT, { input: checkoutInput(hold.token) }, bob))).toBe('HOLD_EXPIRED');
    expect((await server.client.ok(HOLD, { token: 'not-a-token' }, ann)).hold).toBeNull();
  });

  it('extends up to 120 minutes from its creation, and no further', async () => {
    const performance = await fresh();
    const hold = await holdSeats(server.client, ann, performance.id, ['ORCH-R2-6']);
    const extended = (await server.client.ok(EXTEND_HOLD, { token: hold.token, minutes: 60 }, ann)).extendHold;
    expect(Date.parse(extended.expiresAt)).toBe(clock.now().getTime() + 60 * 60_000);
    clock.advance(50 * 60_000);
    const tooLong = await server.client.request(EXTEND_HOLD, { token: hold.token, minutes: 90 }, ann);
    expect(errorCode(tooLong)).toBe('BAD_USER_INPUT');
    const last = (await server.client.ok(EXTEND_HOLD, { token: hold.token, minutes: 70 }, ann)).extendHold;
    expect(Date.parse(last.expiresAt)).toBe(Date.parse(hold.expiresAt) - 10 * 60_000 + 120 * 60_000);
  });

  it('releases some seats, then the rest (null when nothing is left)', async () => {
    const performance = await fresh();
    const hold = await holdSeats(server.client, ann, performance.id, ['BAL-R2-1', 'BAL-R2-2', 'BAL-R2-3']);
    const some = (await server.client.ok(RELEASE_HOLD, { token: hold.token, itemIds: ['BAL-R2-2'] }, ann)).releaseHold;
    expect(some.items.map((i: { seatId: string }) => i.seatId)).toEqual(['BAL-R2-1', 'BAL-R2-3']);
    expect((await seatStates(server.client, performance.id)).get('BAL-R2-2')).toBe('FREE');
    expect((await server.client.ok(RELEASE_HOLD, { token: hold.token }, ann)).releaseHold).toBeNull();
    const states = await seatStates(server.client, performance.id);
    expect([...states.values()].every((s) => s === 'FREE')).toBe(true);
  });

  it('expires at its deadline with nobody touching the performance: seats FREE and subscribers told', async () => {
    const performance = await fresh();
    const hold = await holdSeats(server.client, ann, performance.id, ['ORCH-R3-4', 'ORCH-R3-5']);
    const socket = connect(server.app);
    const changes: { seats: { seatId: string; status: string }[]; sections: { key: string; held: number }[] }[] = [];
    const before = server.app.seatFeed.subscriberCount;
    const stop = socket.subscribe<{ seatsChanged: (typeof changes)[number] }>(
      { query: SEATS_CHANGED, variables: { performanceId: performance.id } },
      { next: (r) => r.data && changes.push(r.data.seatsChanged), error: () => undefined, complete: () => undefined },
    );
    try {
      await until(() => server.app.seatFeed.subscriberCount > before, 5_000, 'the subscription');
      clock.advance(Date.parse(hold.expiresAt) - clock.now().getTime());
      // The reaper (every 20 ms here) is the only one to look at the performance.
      await until(() => changes.length > 0, 5_000, 'the expiry event');
      expect(changes[0].seats).toEqual([
        { seatId: 'ORCH-R3-4', status: 'FREE' },
        { seatId: 'ORCH-R3-5', status: 'FREE' },
      ]);
      expect(changes[0].sections).toEqual([{ key: 'ORCH', held: 0, sold: 0, blocked: 0, available: 30 }]);
      expect((await server.client.ok(HOLD, { token: hold.token }, ann)).hold).toBeNull();
      expect(errorCode(await server.client.request(CHECKOUT, { input: checkoutInput(hold.token) }, ann))).toBe('HOLD_EXPIRED');
    } finally {
      stop();
      await socket.dispose();
    }
  });

  it('reaches every subscriber, also two that subscribe to a performance at the same moment', async () => {
    const performance = await fresh();
    const socket = connect(server.app);
    const received: string[][] = [[], []];
    const before = server.app.seatFeed.subscriberCount;
    const stops = received.map((list) =>
      socket.subscribe<{ seatsChanged: { seats: { seatId: string }[] } }>(
        { query: SEATS_CHANGED, variables: { performanceId: performance.id } },
        { next: (r) => r.data && list.push(...r.data.seatsChanged.seats.map((s) => s.seatId)), error: () => undefined, complete: () => undefined },
      ),
    );
    try {
      await until(() => server.app.seatFeed.subscriberCount >= before + 2, 5_000, 'both subscriptions');
      await holdSeats(server.client, ann, performance.id, ['BAL-R2-5']);
      await until(() => received.every((list) => list.length > 0), 5_000, 'the hold on both subscriptions');
      expect(received).toEqual([['BAL-R2-5'], ['BAL-R2-5']]);
    } finally {
      for (const stop of stops) stop();
      await socket.dispose();
    }
  });

  it('cannot be checked out at its deadline', async () => {
    const performance = await fresh();
    const hold = await holdSeats(server.client, ann, performance.id, ['BAL-R1-7']);
    clock.advance(Date.parse(hold.expiresAt) - clock.now().getTime());
    expect(errorCode(await server.client.request(CHECKOUT, { input: checkoutInput(hold.token) }, ann))).toBe('HOLD_EXPIRED');
    expect((await seatStates(server.client, performance.id)).get('BAL-R1-7')).toBe('FREE');
  });
});

describe('holdBestAvailable', () => {
  it('holds adjacent seats in one row, front rows of the dearest category first', async () => {
    const performance = await fresh();
    const best = (await server.client.ok<{ holdBestAvailable: HoldData }>(HOLD_BEST, { input: { performanceId: performance.id, quantity: 4 } }, ann))
      .holdBestAvailable;
    const seats = best.items.map((i) => i.seatId);
    expect(seats).toHaveLength(4);
    expect(seats.every((s) => s.startsWith('ORCH-R1-'))).toBe(true);
    const numbers = seats.map((s) => Number(s.split('-')[2])).sort((a, b) => a - b);
    expect(numbers[3] - numbers[0]).toBe(3);
  });

  it('answers SOLD_OUT when no block fits, and filters by category and accessibility', async () => {
    const performance = await fresh();
    const none = await server.client.request(HOLD_BEST, { input: { performanceId: performance.id, quantity: 9, categories: ['B'] } }, ann);
    expect(errorCode(none)).toBe('SOLD_OUT');
    const balcony = (await server.client.ok(HOLD_BEST, { input: { performanceId: performance.id, quantity: 2, categories: ['B'] } }, ann))
      .holdBestAvailable as HoldData;
    expect(balcony.items.every((i) => i.seatId.startsWith('BAL-R1-'))).toBe(true);
    const accessible = (await server.client.ok(HOLD_BEST, { input: { performanceId: performance.id, quantity: 1, accessible: true } }, bob))
      .holdBestAvailable as HoldData;
    expect(accessible.items[0].seatId).toMatch(/^ORCH-R\d-1$/);
    const unknown = await server.client.request(HOLD_BEST, { input: { performanceId: performance.id, quantity: 1, sectionKeys: ['NOPE'] } }, ann);
    expect(errorCode(unknown)).toBe('BAD_USER_INPUT');
  });
});
